import { foldDoneTasks } from '../../workflows/domain/tasks';
import type { InstanceState, StageVisit } from '../../workflows/domain/types';
import { stepIds } from '../../workflows/transition';
import type { EventStore } from './events';
import type { InstanceProjection } from './instances';
import type { RecordStore } from './records';
import { toRecordView } from './records';
import type { TaskStore } from './tasks';

/** The state kept of the most recent visits, as a run keeps it. */
const VISITS_KEPT = 100;

/**
 * The state of an instance whose run closed before this version, rebuilt from
 * what MongoDB holds of it: the projection 1.0 wrote (stage, status), the
 * audit trail (every visit, and the last chain's sequence) and the tasks
 * collection. Undefined when its record is gone. A run closed long ago may
 * have no history left in Temporal at all, so nothing here asks for it.
 */
export async function stateFromTrail(
  stores: { events: EventStore; tasks: TaskStore; records: RecordStore },
  projection: InstanceProjection,
): Promise<InstanceState | undefined> {
  const [record, events, tasks] = await Promise.all([
    stores.records.get(projection.recordId),
    stores.events.forInstance(projection.instanceId),
    stores.tasks.forInstance(projection.instanceId),
  ]);
  if (!record) return undefined;
  // Only the latest chain: a re-initiation started the instance over.
  const last = events.filter((e) => e.kind !== 'trigger_ignored').at(-1);
  const chainId = last ? stepIds(last.eventId).chainId : '';
  const chain = events.filter((e) => e.kind !== 'trigger_ignored' && stepIds(e.eventId).chainId === chainId);
  const visits: StageVisit[] = chain
    .filter((e) => e.to !== undefined)
    .map((e) => ({ stage: e.to!, enteredAt: e.at, by: e.actor.userId, ...(e.reason !== undefined ? { reason: e.reason } : {}), eventId: e.eventId }));
  const history = visits.map((v, i) => (visits[i + 1] ? { ...v, leftAt: visits[i + 1]!.enteredAt } : v)).slice(-VISITS_KEPT);
  const chainTasks = tasks.filter((t) => t.id.startsWith(`${projection.instanceId}:${chainId}:`)).map(({ instanceId: _i, recordId: _r, ...t }) => t);
  return {
    instanceId: projection.instanceId,
    chainId,
    pipelineKey: projection.pipelineKey,
    pipelineName: projection.pipelineName,
    version: projection.version,
    objectType: projection.objectType,
    recordId: projection.recordId,
    status: projection.status,
    stage: projection.stage,
    stageEnteredAt: projection.stageEnteredAt,
    history,
    tasks: foldDoneTasks(chainTasks),
    record: toRecordView(record),
    seq: last ? stepIds(last.eventId).seq : projection.seq,
  };
}
