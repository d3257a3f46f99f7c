import { ApplicationFailure, allHandlersFinished, condition, makeContinueAsNewFunc, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { PipelineActivities } from './activity-contract';
import type { RecordView } from './domain/types';
import { applyRecordChange, isEmptyChange } from './record-change';
import {
  joinRecordUpdate,
  updateSharedFieldsUpdate,
  writeRecordUpdate,
  type JoinRecordAnswer,
  type RecordWriterInput,
  type RecordWriterState,
} from './record-writer-messages';
import type { RecordChange } from './transition';

const { takeSharedRecord, writeSharedRecord, releaseSharedRecord } = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
});

/** Continue-as-new well before the server's limits, as the instances do. */
const MAX_CHANGES_PER_RUN = 500;
/** Change ids kept to recognise a resend: far more than the changes in flight at once. */
const APPLIED_KEPT = 64;

/**
 * The one writer of a record that several running instances share (two
 * pipelines on two stage fields of one record). A record with one instance is
 * written by that instance alone; when a second joins, this workflow takes the
 * record over: the first instance hands it its copy through an update, which
 * waits in that instance's queue for any step being written. From then on
 * every change (the instances' steps, the API's PATCHes) comes here as an
 * update, one at a time, and each is stored under the next version of this
 * copy, so no change is lost and no version holds two contents. The other
 * instances get the record after each change through their queues. When the
 * last instance leaves, the record's writer is cleared and the run ends.
 */
export async function recordWriter(input: RecordWriterInput): Promise<void> {
  const self = workflowInfo().workflowId;
  let state: RecordWriterState | undefined = input.state;
  const queue: Array<() => Promise<void>> = [];
  let changes = 0;

  function serially<T>(work: () => Promise<T>): Promise<T> {
    return new Promise((resolve, reject) => queue.push(() => work().then(resolve, reject)));
  }

  /** Stores `change` under the next version, unless it was applied already (a resend), and tells the other members. */
  async function apply(current: RecordWriterState, change: RecordChange, eventId: string, from?: string): Promise<RecordView> {
    if (current.applied.includes(eventId) || isEmptyChange(change)) return current.record;
    const record = applyRecordChange(current.record, change, current.record.version + 1);
    const notify = current.members.filter((m) => m !== from);
    await writeSharedRecord({ recordId: input.recordId, writer: self, eventId: `${self}:${eventId}`, change: { ...change, version: record.version }, notify, record });
    current.record = record;
    current.applied = [...current.applied, eventId].slice(-APPLIED_KEPT);
    changes++;
    return record;
  }

  setHandler(joinRecordUpdate, (join) =>
    serially(async (): Promise<JoinRecordAnswer> => {
      if (!state) {
        const taken = await takeSharedRecord({ recordId: input.recordId, writer: join.writer, by: self });
        if (!taken.record) return { retry: true };
        state = { record: taken.record, members: taken.member ? [taken.member] : [], applied: [] };
      }
      const record = await apply(state, join.change, join.eventId, join.instanceId);
      if (!join.releases && !state.members.includes(join.instanceId)) state.members.push(join.instanceId);
      return { record };
    }),
  );

  setHandler(writeRecordUpdate, (write) =>
    serially(async () => {
      // Resumed after a restart of this workflow, the members come back as they write.
      const current = state ?? (state = await taken(write.from));
      const record = await apply(current, write.change, write.eventId, write.from);
      current.members = current.members.filter((m) => m !== write.from);
      if (!write.releases) current.members.push(write.from);
      return record;
    }),
  );

  setHandler(updateSharedFieldsUpdate, (update) =>
    serially(async () => {
      const current = state ?? (state = await taken(undefined));
      if (update.expectedVersion !== undefined && update.expectedVersion !== current.record.version) {
        throw ApplicationFailure.create({
          type: 'stale_version',
          message: `the record is at version ${current.record.version}, not ${update.expectedVersion}`,
          nonRetryable: true,
        });
      }
      const change: RecordChange = { set: update.fields, unset: [], version: current.record.version + 1 };
      return apply(current, change, update.requestId);
    }),
  );

  /** A run that starts with a write instead of a join: the record names this workflow as its writer already (it was restarted). */
  async function taken(member: string | undefined): Promise<RecordWriterState> {
    const found = await takeSharedRecord({ recordId: input.recordId, writer: self, by: self });
    if (!found.record) throw ApplicationFailure.create({ type: 'not_shared', message: `record ${input.recordId} is not written here`, nonRetryable: true });
    return { record: found.record, members: member ? [member] : [], applied: [] };
  }

  for (;;) {
    await condition(() => queue.length > 0 || (state !== undefined && state.members.length === 0) || state === undefined || changes >= MAX_CHANGES_PER_RUN);
    while (queue.length > 0) await queue.shift()!();
    if (changes >= MAX_CHANGES_PER_RUN && state) {
      await condition(allHandlersFinished);
      if (queue.length > 0) continue;
      return makeContinueAsNewFunc<typeof recordWriter>()({ recordId: input.recordId, state });
    }
    if (state && state.members.length > 0) continue;
    // Nobody writes through here (any more): the record goes back to being written by its next instance alone.
    await condition(allHandlersFinished);
    if (queue.length > 0) continue;
    if (state) await releaseSharedRecord({ recordId: input.recordId, writer: self });
    if (queue.length > 0) continue;
    return;
  }
}
