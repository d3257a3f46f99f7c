import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { round } from './stats';

const { EventType } = temporal.api.enums.v1;
const { HistoryEvent } = temporal.api.history.v1;
/** The marker the SDK's core records for a local activity (patches record markers of another name). */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/** What the server stored and dispatched for a batch, per operation of it (a lifecycle). */
export interface HistoryTally {
  workflows: number;
  events: number;
  /** The events' size as the server stores them (protobuf-encoded). */
  bytes: number;
  workflowTasks: number;
  activityTasks: number;
  localActivities: number;
  /** Events by type (EVENT_TYPE_ left off): how many and their bytes, the largest first. */
  byType: Array<[type: string, count: number, bytes: number]>;
}

/** How many histories are read at once: enough to be quick, few enough not to load the server being measured. */
const READS_AT_ONCE = 16;

/**
 * Reads the history of every workflow started on `taskQueue` since `since`
 * (after the batch, outside its timing) and counts, per `per` operations,
 * its events, the workflow tasks completed, the activity tasks scheduled and
 * the local activities run (their markers): the server's share of the work.
 */
export async function tallyHistories(client: Client, taskQueue: string, since: Date, per: number): Promise<HistoryTally> {
  const ids: Array<{ workflowId: string; runId: string }> = [];
  const query = `TaskQueue='${taskQueue}' AND StartTime >= '${since.toISOString()}'`;
  for await (const wf of client.workflow.list({ query })) ids.push({ workflowId: wf.workflowId, runId: wf.runId });
  const sum = { workflows: ids.length, events: 0, bytes: 0, workflowTasks: 0, activityTasks: 0, localActivities: 0 };
  const types = new Map<string, number>();
  const typeBytes = new Map<string, number>();
  for (let i = 0; i < ids.length; i += READS_AT_ONCE) {
    const histories = await Promise.all(
      ids.slice(i, i + READS_AT_ONCE).map(({ workflowId, runId }) => client.workflow.getHandle(workflowId, runId).fetchHistory()),
    );
    for (const history of histories) {
      for (const event of history.events ?? []) {
        sum.events++;
        const size = HistoryEvent.encode(event).finish().length;
        sum.bytes += size;
        const type = EventType[event.eventType ?? 0]?.replace('EVENT_TYPE_', '') ?? String(event.eventType);
        types.set(type, (types.get(type) ?? 0) + 1);
        typeBytes.set(type, (typeBytes.get(type) ?? 0) + size);
        if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) sum.workflowTasks++;
        else if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) sum.activityTasks++;
        else if (event.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER) sum.localActivities++;
      }
    }
  }
  const each = (v: number) => round(v / per);
  return {
    workflows: each(sum.workflows),
    events: each(sum.events),
    bytes: Math.round(sum.bytes / per),
    workflowTasks: each(sum.workflowTasks),
    activityTasks: each(sum.activityTasks),
    localActivities: each(sum.localActivities),
    byType: [...types].map(([type, count]): [string, number, number] => [type, each(count), Math.round((typeBytes.get(type) ?? 0) / per)]).sort((a, b) => b[2] - a[2]),
  };
}

/** One line for a scenario's facts. */
export function describeHistories(t: HistoryTally): string {
  const types = t.byType.map(([type, count, bytes]) => `${count} ${type.toLowerCase()} ${bytes} B`).join(', ');
  return `${t.events} events (${t.bytes} bytes) in ${t.workflows} workflows: ${t.workflowTasks} workflow tasks, ${t.activityTasks} activity tasks, ${t.localActivities} local activities (${types})`;
}
