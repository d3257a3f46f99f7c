import type { Db } from 'mongodb';
import type { AuditEvent } from '../../workflows/transition';
import type { InstanceProjection } from './instances';
import { COLLECTIONS } from './collections';
import { factEventOf, type RollupStore } from './rollup';

const BATCH = 5_000;

/**
 * Folds the stage changes of an audit trail written before the rollup existed,
 * once. Safe if cut off (the inbox keeps each event once and a fold skips what
 * it already took, so the next start just does it again) and when two
 * processes run it at once (the same inserts, and one fold at a time). The
 * partner company of an old fact is the one its record has now: the trail
 * never recorded it. Answers how many stage changes it kept.
 */
export async function backfillRollup(db: Db, rollup: RollupStore): Promise<number> {
  if (await rollup.backfilled()) return 0;
  const instances = await db
    .collection<Pick<InstanceProjection, 'companyId' | 'partnerCompanyId' | 'stage' | 'seq'> & { _id: string }>(COLLECTIONS.instances)
    .find({}, { projection: { companyId: 1, partnerCompanyId: 1, stage: 1 } })
    .toArray();
  const byId = new Map(instances.map((i) => [i._id, i]));
  const events = await db
    .collection<Omit<AuditEvent, 'eventId'> & { _id: string }>(COLLECTIONS.events)
    .find({ $or: [{ to: { $exists: true } }, { kind: 'cancelled' }] }, { projection: { instanceId: 1, pipelineKey: 1, kind: 1, from: 1, to: 1, at: 1 } })
    .toArray();
  const docs = [];
  const pipelines = new Set<string>();
  for (const { _id, ...e } of events) {
    const instance = byId.get(e.instanceId);
    // As analytics always did: an event counts only with its instance's projection, which names the company.
    if (!instance) continue;
    const seq = Number(_id.slice(_id.lastIndexOf(':') + 1));
    const doc = factEventOf({ event: { ...e, eventId: _id }, instance: { ...instance, seq: Number.isFinite(seq) ? seq : 0 } });
    if (!doc) continue;
    docs.push(doc);
    pipelines.add(JSON.stringify([doc.companyId, doc.pipelineKey]));
  }
  for (let i = 0; i < docs.length; i += BATCH) await rollup.noteMany(docs.slice(i, i + BATCH));
  for (const key of pipelines) {
    const [companyId, pipelineKey] = JSON.parse(key) as [string, string];
    await rollup.fold(companyId, pipelineKey);
  }
  await rollup.markBackfilled();
  return docs.length;
}
