import crypto from 'node:crypto';
import {
  WithStartWorkflowOperation,
  type Client,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { InstanceState } from '../workflows/domain/types';
import {
  cancelUpdate,
  completeTaskUpdate,
  moveUpdate,
  PIPELINE_INSTANCE_WORKFLOW,
  RECORD_TRIGGER_WORKFLOW,
  recordChangedSignal,
  startedUpdate,
  stateQuery,
  updateRecordUpdate,
  type CancelInput,
  type CompleteTaskInput,
  type MoveInput,
  type MutationResult,
  type PipelineInstanceInput,
  type UpdateRecordInput,
} from '../workflows/messages';
import type { Actor, RecordView } from '../workflows/domain/types';
import { instanceStartOptions } from '../workflows/instance-summary';
import { heldSearchAttributes } from '../workflows/search-attributes';
import type { RecordTriggerInput } from '../workflows/record-trigger';
import type { StoredRecordInput, TriggerOutcome } from '../workflows/trigger-types';
import type { Metrics } from '../lib/metrics';
import { pipelineKeyOf } from '../workflows/domain/instances';
import { bounded, isUnprocessed, mapped, resent, serverWatch, TEMPORAL_CALL_TIMEOUTS, updateId, updating } from './temporal-calls';

export { resent, TEMPORAL_CALL_TIMEOUTS, toAppError } from './temporal-calls';

/**
 * Every Temporal call the API makes, in one place: start, drive and read
 * pipeline instances. Temporal's errors come out as AppErrors with an HTTP status.
 */
export function instanceClient(client: Client, taskQueue: string, metrics?: Metrics) {
  const handle = (instanceId: string): WorkflowHandle => client.workflow.getHandle(instanceId);
  const refusedOn = (instanceId: string) => (reason: string) =>
    metrics?.movesRefused.inc({ pipeline: pipelineKeyOf(instanceId), reason });
  const { readMs, writeMs } = TEMPORAL_CALL_TIMEOUTS;
  const watcher = serverWatch(client);
  const reading = <T>(call: () => Promise<T>) => mapped(() => bounded(watcher, client, readMs, call));
  const writing = <T>(call: () => Promise<T>) => mapped(() => bounded(watcher, client, writeMs, call));
  const resend = () => metrics?.updatesResent.inc();
  const updatingInstance = <T>(call: () => Promise<T>, refused?: (reason: string) => void) =>
    updating(() => bounded(watcher, client, writeMs, () => resent(call, resend)), refused);

  /** Starts a run and returns its state once its first step is taken, in one round trip. */
  function startRun(input: PipelineInstanceInput, options: Partial<WorkflowStartOptions>): Promise<InstanceState> {
    const operation = new WithStartWorkflowOperation(PIPELINE_INSTANCE_WORKFLOW, {
      workflowId: input.instanceId,
      taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      ...instanceStartOptions(input),
      ...options,
    });
    return writing(async () => {
      try {
        return await client.workflow.executeUpdateWithStart(startedUpdate, { startWorkflowOperation: operation });
      } catch (err) {
        // The run started; only its answer was dropped, and asking again for it changes nothing.
        if (!isUnprocessed(err)) throw err;
        resend();
        return resent(() => handle(input.instanceId).executeUpdate(startedUpdate), resend);
      }
    });
  }

  return {
    /** Starts the instance and returns its first state, in one round trip. */
    start(input: PipelineInstanceInput, opts: { allowReinitiation: boolean }): Promise<InstanceState> {
      return startRun(input, { workflowIdReusePolicy: opts.allowReinitiation ? 'ALLOW_DUPLICATE' : 'REJECT_DUPLICATE' });
    },

    /**
     * Reopens a finished instance: a new run under the same workflow id (its
     * earlier runs stay in Temporal as they closed), from the final state, whose
     * first step is the move out of the outcome stage. It starts with the search
     * attributes of that final state; the step upserts those it changes.
     */
    reopen(input: PipelineInstanceInput & { state: InstanceState; reopen: MoveInput }): Promise<InstanceState> {
      const typedSearchAttributes = heldSearchAttributes(input.definition, input.state);
      return startRun(input, { workflowIdReusePolicy: 'ALLOW_DUPLICATE', typedSearchAttributes });
    },

    /**
     * The final state of an instance whose latest run has finished or is
     * finishing (an outcome stage entered, the run about to complete); undefined
     * while it runs, or when its run closed any other way (terminated).
     */
    async finalState(instanceId: string): Promise<InstanceState | undefined> {
      const run = handle(instanceId);
      return writing(async () => {
        const { status } = await run.describe();
        if (status.name === 'RUNNING' && (await run.query(stateQuery)).status === 'running') return undefined;
        if (status.name !== 'RUNNING' && status.name !== 'COMPLETED') return undefined;
        return (await run.result()) as InstanceState;
      });
    },

    /** Resolves once the instance has entered its first stage (its projection and record are written). */
    awaitStarted(instanceId: string): Promise<InstanceState> {
      return updatingInstance(() => handle(instanceId).executeUpdate(startedUpdate));
    },

    state(instanceId: string): Promise<InstanceState> {
      return reading(() => handle(instanceId).query(stateQuery));
    },

    move(instanceId: string, input: MoveInput): Promise<MutationResult> {
      const id = updateId(input.actor.userId, input.idempotencyKey);
      return updatingInstance(() => handle(instanceId).executeUpdate(moveUpdate, { args: [input], updateId: id }), refusedOn(instanceId));
    },

    completeTask(instanceId: string, input: CompleteTaskInput): Promise<MutationResult> {
      const id = updateId(input.actor.userId, input.idempotencyKey);
      return updatingInstance(() => handle(instanceId).executeUpdate(completeTaskUpdate, { args: [input], updateId: id }), refusedOn(instanceId));
    },

    updateRecord(instanceId: string, input: UpdateRecordInput): Promise<MutationResult> {
      const id = crypto.randomUUID();
      return updatingInstance(() => handle(instanceId).executeUpdate(updateRecordUpdate, { args: [input], updateId: id }));
    },

    cancel(instanceId: string, input: CancelInput): Promise<MutationResult> {
      const id = crypto.randomUUID();
      return updatingInstance(() => handle(instanceId).executeUpdate(cancelUpdate, { args: [input], updateId: id }));
    },

    /**
     * Writes a new record and starts its pipelines in one durable workflow, so a
     * crash of this process after the call leaves nothing half done.
     */
    created(record: StoredRecordInput, actor: Actor): Promise<TriggerOutcome[]> {
      const input: RecordTriggerInput = { kind: 'created', record, recordId: record.id, actor };
      return writing(() =>
        client.workflow.execute(RECORD_TRIGGER_WORKFLOW, { workflowId: `trigger:${record.id}:created`, taskQueue, args: [input] }),
      );
    },

    /** A record changed with no instance running on it: pipelines whose filter it now matches start. */
    updated(recordId: string, version: number, actor: Actor): Promise<TriggerOutcome[]> {
      const input: RecordTriggerInput = { kind: 'updated', recordId, actor };
      return writing(() =>
        client.workflow.execute(RECORD_TRIGGER_WORKFLOW, {
          workflowId: `trigger:${recordId}:updated:${version}`,
          taskQueue,
          args: [input],
        }),
      );
    },

    recordChanged(instanceId: string, record: RecordView): Promise<void> {
      return reading(() => handle(instanceId).signal(recordChangedSignal, record));
    },
  };
}

export type InstanceClient = ReturnType<typeof instanceClient>;
