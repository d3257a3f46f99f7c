import { Context } from '@temporalio/activity';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import type { RecordView } from '../workflows/domain/types';
import { recordChangedSignal, shareRecordUpdate } from '../workflows/messages';
import { applyRecordChange, isEmptyChange } from '../workflows/record-change';
import {
  joinRecordUpdate,
  RECORD_WRITER_WORKFLOW,
  recordWriterId,
  writeRecordUpdate,
  type RecordWriterInput,
} from '../workflows/record-writer-messages';
import { stepIds, type RecordChange, type TransitionInput } from '../workflows/transition';
import type { ActivityDeps } from './deps';
import { toRecordView } from './store/records';

/** What a step's record write answers the workflow: the record as stored when the writer chose the version, and its writer. */
export interface RecordWritten {
  record?: RecordView;
  writer?: string | null;
}

/** A join retried this often (the record's writer changing under it) before the activity gives up and Temporal retries it. */
const JOIN_ATTEMPTS = 20;

const isInstance = (workflowId: string) => workflowId.startsWith('pipeline:');
const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** attempt, 2_000)));

/** The update came back refused by the writer workflow, with this type. */
const refusedAs = (err: unknown, type: string) =>
  err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === type;

/**
 * How a step's change reaches its record: written directly by the instance
 * that writes the record alone, through the shared record's writer workflow,
 * or, for an instance's first write of a record that exists, by joining it
 * (see workflows/record-writer.ts). Also the writer workflow's own activities.
 */
export function recordRoutes({ stores, temporal }: ActivityDeps) {
  const { client, taskQueue } = temporal;

  const writerStart = (recordId: string) =>
    new WithStartWorkflowOperation(RECORD_WRITER_WORKFLOW, {
      workflowId: recordWriterId(recordId),
      taskQueue,
      args: [{ recordId } satisfies RecordWriterInput],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });

  async function running(workflowId: string): Promise<boolean> {
    try {
      return (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /**
   * The instance takes the record, or joins the writer that holds it. A record
   * nobody writes (or whose writing instance has closed) is written with the
   * version it was read at claimed, so the API's own writes and other
   * instances' first writes cannot interleave with it; the instance is then
   * its writer. A record another running instance writes is handed to the
   * shared record's writer workflow, which takes the change.
   */
  async function join(input: TransitionInput, change: RecordChange): Promise<RecordWritten> {
    const { recordId, eventId } = input;
    const { instanceId } = stepIds(eventId);
    const at = input.event.at;
    for (let attempt = 0; attempt < JOIN_ATTEMPTS; attempt++) {
      const doc = await stores.records.getWritable(recordId);
      if (!doc) throw new Error(`record ${recordId} does not exist`);
      // A retry of a join that was written: the instance is the record's writer since.
      if (doc.lastEventId === eventId) return { record: toRecordView(doc), writer: null };
      const writer = doc.writer;
      if (!writer || writer === instanceId || (isInstance(writer) && !(await running(writer)))) {
        const keep = input.releasesRecord ? undefined : instanceId;
        const stored = await stores.records.writeClaimed(doc, (r) => applyRecordChange(r, change, r.version + 1), eventId, at, keep);
        if (stored) return { record: toRecordView(stored), writer: null };
      } else {
        const answer = await client.workflow.executeUpdateWithStart(joinRecordUpdate, {
          args: [{ instanceId, eventId, change, writer, ...(input.releasesRecord ? { releases: true } : {}) }],
          startWorkflowOperation: writerStart(recordId),
          updateId: eventId,
        });
        if ('record' in answer) return { record: answer.record, writer: recordWriterId(recordId) };
      }
      await pause(attempt);
    }
    throw new Error(`record ${recordId}: its writer kept changing; trying again`);
  }

  /** A change of a shared record, applied by its writer workflow; a writer that let the record go sends the step back to joining it. */
  async function forward(via: string, input: TransitionInput, change: RecordChange): Promise<RecordWritten> {
    try {
      const record = await client.workflow.executeUpdateWithStart(writeRecordUpdate, {
        args: [{ from: stepIds(input.eventId).instanceId, eventId: input.eventId, change, ...(input.releasesRecord ? { releases: true } : {}) }],
        startWorkflowOperation: new WithStartWorkflowOperation(RECORD_WRITER_WORKFLOW, {
          workflowId: via,
          taskQueue,
          args: [{ recordId: input.recordId } satisfies RecordWriterInput],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
        updateId: input.eventId,
      });
      return { record };
    } catch (err) {
      if (!refusedAs(err, 'not_shared')) throw err;
      return join(input, change);
    }
  }

  return {
    /** The step's change to its record, by whichever route the instance's state names. */
    async write(input: TransitionInput, change: RecordChange): Promise<RecordWritten> {
      const route = input.route;
      if (!route) {
        await stores.records.applyChange(input.recordId, input.eventId, change, input.event.at, { release: input.releasesRecord });
        return {};
      }
      return 'via' in route ? forward(route.via, input, change) : join(input, change);
    },

    /** A last step that changes nothing on the record (a cancel) still gives up writing it. */
    async release(input: TransitionInput): Promise<RecordWritten> {
      const route = input.route;
      if (!route) await stores.records.release(input.recordId, stepIds(input.eventId).instanceId);
      else if ('via' in route) await forward(route.via, input, { set: {}, unset: [], version: 0 });
      return {};
    },

    activities: {
      /**
       * The writer workflow takes the record over from the instance that wrote
       * it alone (which answers its copy once any step it is writing is done),
       * or from the record as stored when that instance has closed, or when the
       * writer workflow itself restarted. Nothing when nobody writes the
       * record any more: the joining step then takes it itself.
       */
      async takeSharedRecord(input: { recordId: string; writer: string; by: string }): Promise<{ record?: RecordView; member?: string }> {
        if (input.writer !== input.by && isInstance(input.writer)) {
          try {
            const runId = Context.current().info.workflowExecution?.runId ?? '';
            const copy = await client.workflow
              .getHandle(input.writer)
              .executeUpdate(shareRecordUpdate, { args: [{ writer: input.by }], updateId: `share:${input.by}:${runId}` });
            if (copy) return { record: copy, member: input.writer };
          } catch (err) {
            if (!(err instanceof WorkflowNotFoundError) && !(err instanceof WorkflowUpdateFailedError)) throw err;
          }
        }
        const doc = await stores.records.getWritable(input.recordId);
        if (!doc) throw new Error(`record ${input.recordId} does not exist`);
        if (doc.writer && (doc.writer === input.writer || doc.writer === input.by)) return { record: toRecordView(doc) };
        return {};
      },

      /** One change of a shared record, stored as its writer versioned it; the other instances get the record through their queues. */
      async writeSharedRecord(input: { recordId: string; writer: string; eventId: string; change: RecordChange; notify: string[]; record: RecordView }): Promise<void> {
        if (!isEmptyChange(input.change)) {
          await stores.records.applyChange(input.recordId, input.eventId, input.change, new Date().toISOString(), { writer: input.writer });
        }
        await Promise.all(
          input.notify.map((member) =>
            client.workflow
              .getHandle(member)
              .signal(recordChangedSignal, input.record)
              .catch((err: unknown) => {
                // A member that closed meanwhile has nothing to follow.
                if (!(err instanceof WorkflowNotFoundError)) throw err;
              }),
          ),
        );
      },

      async releaseSharedRecord(input: { recordId: string; writer: string }): Promise<void> {
        await stores.records.release(input.recordId, input.writer);
      },
    },
  };
}
