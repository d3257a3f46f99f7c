import type { AnyBulkWriteOperation, Db } from 'mongodb';
import { applyEvents, dayOf, decodeFacts, encodeFacts, standingOf, type FactEvent, type InstanceCursor, type StageFact } from '../../lib/stage-facts';
import type { AuditEvent } from '../../workflows/transition';
import { COLLECTIONS, isDuplicateKey, type Doc } from './collections';
import { withFoldLock } from './rollup-lock';

export type InboxDoc = Doc<Omit<FactEvent, 'eventId'> & { companyId: string; pipelineKey: string }>;
type DayDoc = Doc<{ companyId: string; pipelineKey: string; day: string; facts: string }>;
type CursorDoc = Doc<{ companyId: string; pipelineKey: string; cursors: string }>;

/** Cursors of a pipeline's instances are spread over this many documents, so a fold rewrites only those it touched. */
const CURSOR_SHARDS = 16;
const DAY_MS = 86_400_000;
/** Inbox entries one fold pass takes. */
const FOLD_BATCH = 20_000;
/** Marks a database whose audit trail from before the rollup has been folded in. */
const BACKFILLED = '~backfilled';

const pipelineId = (companyId: string, pipelineKey: string) => `${companyId}/${pipelineKey}`;
const dayId = (companyId: string, pipelineKey: string, day: string) => `${pipelineId(companyId, pipelineKey)}/${day}`;
function shardOf(instanceId: string): number {
  let h = 0;
  for (let i = 0; i < instanceId.length; i += 1) h = (h * 31 + instanceId.charCodeAt(i)) >>> 0;
  return h % CURSOR_SHARDS;
}
const shardId = (companyId: string, pipelineKey: string, shard: number) => `${pipelineId(companyId, pipelineKey)}#${shard}`;

/** The stage change (or cancellation) a step wrote, as the rollup's inbox keeps it; undefined for any other step. */
export interface FactSource {
  event: Pick<AuditEvent, 'eventId' | 'instanceId' | 'pipelineKey' | 'kind' | 'from' | 'to' | 'at'>;
  instance: { companyId: string; partnerCompanyId?: string; stage: string; seq: number };
}

export function factEventOf(input: FactSource): InboxDoc | undefined {
  const { event, instance } = input;
  if (event.to === undefined && event.kind !== 'cancelled') return undefined;
  return {
    _id: event.eventId,
    companyId: instance.companyId,
    pipelineKey: event.pipelineKey,
    instanceId: event.instanceId,
    seq: instance.seq,
    kind: event.kind,
    ...(event.from !== undefined ? { from: event.from } : {}),
    ...(event.to !== undefined ? { to: event.to } : { stage: instance.stage }),
    at: event.at,
    ...(instance.partnerCompanyId ? { partnerCompanyId: instance.partnerCompanyId } : {}),
  };
}

/**
 * The analytics rollup. A step's stage change is one insert into an inbox,
 * keyed by its event id (a retried activity writes it once, and concurrent
 * steps never touch one document). A fold, one process at a time per
 * pipeline, moves the inbox into one document per UTC day holding that day's
 * facts packed in a string, and into the instances' cursors (where each stands,
 * what the next fact must remember). Reads fold first, then take the window's
 * days by `_id` (at most 367) and the cursor shards: nothing grows with history.
 */
export function rollupStore(db: Db) {
  const inbox = db.collection<InboxDoc>(COLLECTIONS.stageFactInbox);
  const days = db.collection<DayDoc>(COLLECTIONS.analyticsDays);
  const cursorDocs = db.collection<CursorDoc>(COLLECTIONS.analyticsCursors);
  const locks = db.collection<Doc<{ expiresAt: number }>>(COLLECTIONS.analyticsLocks);

  async function readCursors(companyId: string, pipelineKey: string, shards: number[]): Promise<Map<number, Record<string, InstanceCursor>>> {
    const docs = await Promise.all(shards.map((s) => cursorDocs.findOne({ _id: shardId(companyId, pipelineKey, s) })));
    return new Map(shards.map((s, i) => [s, docs[i] ? (JSON.parse(docs[i].cursors) as Record<string, InstanceCursor>) : {}]));
  }

  async function foldLocked(companyId: string, pipelineKey: string): Promise<number> {
    const waiting = await inbox.find({ companyId, pipelineKey }).limit(FOLD_BATCH).toArray();
    if (waiting.length === 0) return 0;
    const byInstance = new Map<string, FactEvent[]>();
    for (const { _id, companyId: _c, pipelineKey: _p, ...e } of waiting) byInstance.set(e.instanceId, [...(byInstance.get(e.instanceId) ?? []), { eventId: _id, ...e }]);
    const shards = [...new Set([...byInstance.keys()].map(shardOf))];
    const cursors = await readCursors(companyId, pipelineKey, shards);
    const byDay = new Map<string, StageFact[]>();
    for (const [instanceId, events] of byInstance) {
      const shard = cursors.get(shardOf(instanceId))!;
      const applied = applyEvents(shard[instanceId], events);
      if (applied.cursor) shard[instanceId] = applied.cursor;
      for (const f of applied.facts) byDay.set(dayOf(f.at), [...(byDay.get(dayOf(f.at)) ?? []), f]);
    }
    // Days first, cursors after: a fold cut off in between is redone from the old cursors, and the
    // facts it derives again are already in their day (kept once by event id).
    await Promise.all(
      [...byDay].map(async ([day, facts]) => {
        const _id = dayId(companyId, pipelineKey, day);
        const stored = await days.findOne({ _id });
        const have = stored ? decodeFacts(stored.facts) : [];
        const ids = new Set(have.map((f) => f.eventId));
        const merged = [...have, ...facts.filter((f) => !ids.has(f.eventId))];
        await days.replaceOne({ _id }, { companyId, pipelineKey, day, facts: encodeFacts(merged) }, { upsert: true });
      }),
    );
    await Promise.all(
      [...cursors].map(([s, map]) => cursorDocs.replaceOne({ _id: shardId(companyId, pipelineKey, s) }, { companyId, pipelineKey, cursors: JSON.stringify(map) }, { upsert: true })),
    );
    // One delete by `_id` each (in one command): FerretDB pushes down only an `_id` equality, and `$in` over a large inbox is quadratic.
    await inbox.bulkWrite(waiting.map((w) => ({ deleteOne: { filter: { _id: w._id } } })), { ordered: false });
    return waiting.length;
  }

  const store = {
    /** Alongside the step's audit event: its stage change into the inbox. Answers whether there was one to keep. */
    async note(input: FactSource): Promise<boolean> {
      const doc = factEventOf(input);
      if (!doc) return false;
      try {
        await inbox.insertOne(doc);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      return true;
    },

    /** Many at once (a backfill, a benchmark's seed): the same documents as `note`, those already kept skipped. */
    async noteMany(docs: InboxDoc[]): Promise<void> {
      if (docs.length === 0) return;
      const ops: AnyBulkWriteOperation<InboxDoc>[] = docs.map((document) => ({ insertOne: { document } }));
      try {
        await inbox.bulkWrite(ops, { ordered: false });
      } catch (err) {
        const writeErrors = (err as { writeErrors?: Array<{ code?: number }> }).writeErrors;
        if (!writeErrors || writeErrors.some((e) => e.code !== 11000)) throw err;
      }
    },

    /** True once a backfill from the audit trail finished (see upgrade.ts). */
    async backfilled(): Promise<boolean> {
      return (await days.findOne({ _id: BACKFILLED })) !== null;
    },

    async markBackfilled(): Promise<void> {
      try {
        await days.insertOne({ _id: BACKFILLED, companyId: '', pipelineKey: '', day: '', facts: '[]' });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    },

    /** Moves the pipeline's inbox into its days and cursors; answers how many stage changes it moved. */
    async fold(companyId: string, pipelineKey: string): Promise<number> {
      let moved = 0;
      // A pass at a time, each under its own lease, so a large inbox (the first fold after a backfill) never outlives one.
      for (;;) {
        const pass = await withFoldLock(locks, pipelineId(companyId, pipelineKey), () => foldLocked(companyId, pipelineKey));
        moved += pass;
        if (pass < FOLD_BATCH) return moved;
      }
    },

    /**
     * Folds every pipeline with stage changes waiting, so a question after a
     * quiet month does not pay for the month's fold; answers how many it moved.
     */
    async foldWaiting(): Promise<number> {
      let moved = 0;
      for (;;) {
        const waiting = await inbox.find({}, { projection: { companyId: 1, pipelineKey: 1 } }).limit(FOLD_BATCH).toArray();
        const pipelines = new Map(waiting.map((w) => [pipelineId(w.companyId, w.pipelineKey), w]));
        for (const { companyId, pipelineKey } of pipelines.values()) moved += await store.fold(companyId, pipelineKey);
        if (waiting.length < FOLD_BATCH) return moved;
      }
    },

    /** The facts dated in [from, to) and where the pipeline's instances stand now, after a fold. */
    async read(companyId: string, pipelineKey: string, window: { from: string; to: string }): Promise<{ facts: StageFact[]; standing: Map<string, number> }> {
      await store.fold(companyId, pipelineKey);
      const from = Date.parse(window.from);
      const to = Date.parse(window.to);
      const ids: string[] = [];
      for (let ms = Date.parse(`${dayOf(from)}T00:00:00.000Z`); ms < to; ms += DAY_MS) ids.push(dayId(companyId, pipelineKey, dayOf(ms)));
      const shards = Array.from({ length: CURSOR_SHARDS }, (_, s) => s);
      const [dayDocs, cursors] = await Promise.all([Promise.all(ids.map((_id) => days.findOne({ _id }))), readCursors(companyId, pipelineKey, shards)]);
      const facts = dayDocs.flatMap((d) => (d ? decodeFacts(d.facts) : [])).filter((f) => f.at >= from && f.at < to);
      return { facts, standing: standingOf([...cursors.values()].flatMap((m) => Object.values(m))) };
    },
  };
  return store;
}

export type RollupStore = ReturnType<typeof rollupStore>;
