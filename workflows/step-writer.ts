import {
  ParentClosePolicy,
  proxyActivities,
  proxyLocalActivities,
  startChild,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { PipelineActivities } from './activity-contract';
import type { Actor, PipelineVersion } from './domain/types';
import type { PipelineRef } from './pipeline-ref';
import { unpackVersion } from './pinned-version';
import { RECORD_TRIGGER_WORKFLOW } from './messages';
import { startInstance } from './start-instance';
import type { StepWritten, TransitionInput, TransitionKind } from './transition';
import type { PlannedTriggers } from './trigger-types';

const STEP_WRITES = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
} as const;
const remote = proxyActivities<PipelineActivities>(STEP_WRITES);
const local = proxyLocalActivities<PipelineActivities>(STEP_WRITES);

/**
 * Steps whose content follows from what history already holds: the start (its
 * input), a timer that fired, a step whose activity completed. A retried task
 * plans the same step again, so they are written by a local activity, run by
 * the worker inside the workflow task with no activity task round trip: half
 * the server's work per fired deadline, which is what a storm of expiring
 * leads is made of.
 *
 * A step an update asks for is written by an activity task instead, scheduled
 * once the task that accepted the update is recorded: a local activity would
 * write before that, and an update lost with its task (a server restart) would
 * leave writes under a sequence number that the next step reuses with other
 * content.
 *
 * A task retried after its local activity wrote (a worker that died in
 * between) plans the step at the later time: the event and the record keep the
 * first attempt's time, the instance's projection and state the second's.
 */
const LOCAL_STEP_KINDS: ReadonlySet<TransitionKind> = new Set<TransitionKind>([
  'started',
  'deadline_fired',
  'deadline_approaching',
  'auto_advanced',
]);

export function writeStep(input: TransitionInput): Promise<StepWritten> {
  return (LOCAL_STEP_KINDS.has(input.event.kind) ? local : remote).recordTransition(input);
}

/**
 * The pinned version a run's start names: read by the worker (which holds
 * every version it loaded, as they never change) in the run's first task, and
 * kept in history by the local activity's marker, so a replay never reads it again.
 */
export async function loadPipeline(ref: PipelineRef): Promise<PipelineVersion> {
  return unpackVersion(await local.pipelineVersion(ref));
}

/**
 * Starts the pipelines of a record a step created, as 1.0's steps did (its
 * activity answered the plan); a step of this version starts them in its
 * activity. Plain starts the step planned are made here; anything else (an
 * instance to update, a contact's instance bound elsewhere), or a start that
 * lost its id to another, goes to the record's durable trigger, which plans
 * again and settles it.
 */
export async function startLinked(recordId: string, planned: PlannedTriggers | undefined, actor: Actor): Promise<void> {
  const starts = planned?.actions.filter((a) => a.action === 'start') ?? [];
  if (planned && starts.length === planned.actions.length) {
    try {
      for (const action of starts) await startInstance(action, planned.record, actor);
      return;
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
  try {
    await startChild(RECORD_TRIGGER_WORKFLOW, {
      workflowId: `trigger:${recordId}:created`,
      args: [{ kind: 'created', recordId, actor }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/**
 * Child starts in flight, not awaited so that no step's answer waits on them:
 * the run may not end, or continue as new, before each has been started.
 */
export class ChildStarts {
  private readonly pending = new Set<Promise<void>>();

  track(start: Promise<void>): void {
    this.pending.add(start);
    // A failed start stays in the set for settled() to rethrow; the second handler only keeps it from being unhandled meanwhile.
    void start.then(
      () => this.pending.delete(start),
      () => undefined,
    );
  }

  get inFlight(): boolean {
    return this.pending.size > 0;
  }

  async settled(): Promise<void> {
    await Promise.all(this.pending);
  }
}
