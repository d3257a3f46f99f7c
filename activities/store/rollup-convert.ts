import type { Db } from 'mongodb';
import { standingOf, type InstanceCursor } from '../../lib/stage-facts';
import { COLLECTIONS, type Doc } from './collections';
import { cursorId, encodeStanding, pipelineId, type CursorDoc, type StandingDoc } from './rollup-pass';

/** 1.1 spread a pipeline's cursors over this many documents (`<pipeline>#<n>`), every instance it ever had. */
const LEGACY_SHARDS = 16;
const WRITE_BATCH = 5_000;

/**
 * Converts a pipeline's 1.1 cursor shards, once, under its fold lock: each
 * instance's cursor into a document of its own, the standing counts from all
 * of them, then the shards removed, then the pipeline marked converted. Cut
 * off before the counts are written, it starts over (the cursor writes are
 * replacements); after, it only removes what is left and marks. A pipeline
 * the rollup never folded just gets empty counts.
 */
export async function ensureConverted(db: Db, companyId: string, pipelineKey: string): Promise<void> {
  const pid = pipelineId(companyId, pipelineKey);
  const standings = db.collection<StandingDoc>(COLLECTIONS.analyticsStanding);
  const standing = await standings.findOne({ _id: pid }, { projection: { converted: 1 } });
  if (standing?.converted) return;
  const legacy = db.collection<Doc<{ cursors: string }>>(COLLECTIONS.analyticsCursors);
  const shardIds = Array.from({ length: LEGACY_SHARDS }, (_, s) => `${pid}#${s}`);
  const shards = (await Promise.all(shardIds.map((_id) => legacy.findOne({ _id })))).filter((d) => d !== null);
  if (!standing) {
    const all = Object.entries(Object.assign({}, ...shards.map((d) => JSON.parse(d.cursors) as Record<string, InstanceCursor>)) as Record<string, InstanceCursor>);
    const cursors = db.collection<CursorDoc>(COLLECTIONS.analyticsInstanceCursors);
    for (let i = 0; i < all.length; i += WRITE_BATCH) {
      const ops = all.slice(i, i + WRITE_BATCH).map(([instanceId, c]) => ({ replaceOne: { filter: { _id: cursorId(pid, instanceId) }, replacement: { cursor: JSON.stringify(c) }, upsert: true } }));
      await cursors.bulkWrite(ops, { ordered: false });
    }
    await standings.replaceOne({ _id: pid }, { standing: encodeStanding(standingOf(all.map(([, c]) => c))), lastPass: null, converted: false }, { upsert: true });
  }
  if (shards.length > 0) await legacy.bulkWrite(shards.map((d) => ({ deleteOne: { filter: { _id: d._id } } })), { ordered: false });
  await standings.updateOne({ _id: pid }, { $set: { converted: true } });
}
