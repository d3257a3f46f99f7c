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
  updateRecordUpdate,
  type CancelInput,
  type CompleteTaskInput,
  type MoveInput,
  type MutationResult,
  type PipelineInstanceInput,
  type UpdateRecordInput,
} from '../workflows/messages';
import type { Actor, PipelineVersion, RecordView } from '../workflows/domain/types';
import { updateSharedFieldsUpdate, type UpdateSharedFieldsInput } from '../workflows/record-writer-messages';
import { instanceStartOptions } from '../workflows/instance-summary';
import { heldSearchAttributes } from '../workflows/search-attributes';
import type { RecordTriggerInput } from '../workflows/record-trigger';
import type { StoredRecordInput, TriggerOutcome } from '../workflows/trigger-types';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
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

  /** Starts a run and answers its first step once it is written, in one round trip. */
  function startRun(def: PipelineVersion, input: PipelineInstanceInput, options: Partial<WorkflowStartOptions>): Promise<MutationResult> {
    const operation = new WithStartWorkflowOperation(PIPELINE_INSTANCE_WORKFLOW, {
      workflowId: input.instanceId,
      taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      ...instanceStartOptions(def, input),
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
    /** Starts the instance and answers its first step, in one round trip. */
    start(def: PipelineVersion, input: PipelineInstanceInput, opts: { allowReinitiation: boolean }): Promise<MutationResult> {
      return startRun(def, input, { workflowIdReusePolicy: opts.allowReinitiation ? 'ALLOW_DUPLICATE' : 'REJECT_DUPLICATE' });
    },

    /**
     * Reopens a finished instance: a new run under the same workflow id (its
     * earlier runs stay in Temporal as they closed, or are gone with the
     * namespace's retention), from the final state as its view holds it,
     * whose first step is the move out of the outcome stage. It starts with
     * the search attributes of that final state; the step upserts those it changes.
     */
    reopen(def: PipelineVersion, input: PipelineInstanceInput & { state: InstanceState; reopen: MoveInput }): Promise<MutationResult> {
      const typedSearchAttributes = heldSearchAttributes(def, input.state);
      return startRun(def, input, { workflowIdReusePolicy: 'ALLOW_DUPLICATE', typedSearchAttributes });
    },

    /** Resolves once the instance has entered its first stage (its view and record are written). */
    awaitStarted(instanceId: string): Promise<MutationResult> {
      return updatingInstance(() => handle(instanceId).executeUpdate(startedUpdate));
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
      const workflowId = `trigger:${recordId}:updated:${version}`;
      return writing(async () => {
        try {
          return await client.workflow.execute(RECORD_TRIGGER_WORKFLOW, { workflowId, taskQueue, args: [input], workflowIdReusePolicy: 'REJECT_DUPLICATE' });
        } catch (err) {
          // Another answer of the same version asked first (the record had moved on by the time both read it).
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          return client.workflow.getHandle(workflowId).result() as Promise<TriggerOutcome[]>;
        }
      });
    },

    recordChanged(instanceId: string, record: RecordView): Promise<void> {
      return reading(() => handle(instanceId).signal(recordChangedSignal, record));
    },

    /** A PATCH of a shared record, applied by its writer workflow; answers the record as stored. */
    updateShared(writerId: string, input: Omit<UpdateSharedFieldsInput, 'requestId'>): Promise<RecordView> {
      const requestId = crypto.randomUUID();
      return updatingInstance(() =>
        client.workflow.getHandle(writerId).executeUpdate(updateSharedFieldsUpdate, { args: [{ ...input, requestId }], updateId: requestId }),
      );
    },
  };
}

export type InstanceClient = ReturnType<typeof instanceClient>;
