import {
  proxySinks,
  type ActivityInput,
  type ContinueAsNewInput,
  type LocalActivityInput,
  type Next,
  type Sinks,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/**
 * Bundled only into the golden replay's worker (workflows/golden-replay.test.ts):
 * tells the test what the workflow code asks for while it replays a recorded
 * history, which Temporal's own replay checks only by command type.
 */
export interface GoldenSinks extends Sinks {
  golden: {
    /** An activity or local activity the code scheduled, with its input. */
    scheduled(kind: 'remote' | 'local', activityType: string, args: unknown[]): void;
    /** What the run ended with: its result, or the input it continued as new with. */
    ended(kind: 'completed' | 'continued', value: unknown): void;
  };
}

const { golden } = proxySinks<GoldenSinks>();

class Outbound implements WorkflowOutboundCallsInterceptor {
  scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) {
    golden.scheduled('remote', input.activityType, input.args);
    return next(input);
  }

  scheduleLocalActivity(input: LocalActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>) {
    golden.scheduled('local', input.activityType, input.args);
    return next(input);
  }

  continueAsNew(input: ContinueAsNewInput, next: Next<WorkflowOutboundCallsInterceptor, 'continueAsNew'>) {
    golden.ended('continued', input.args[0]);
    return next(input);
  }
}

class Inbound implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>) {
    const result = await next(input);
    golden.ended('completed', result);
    return result;
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ outbound: [new Outbound()], inbound: [new Inbound()] });
