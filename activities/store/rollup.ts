import type { AnyBulkWriteOperation, Db } from 'mongodb';
import { dayOf, decodeFacts, type StageFact } from '../../lib/stage-facts';
import type { AuditEvent } from '../../workflows/transition';
import { COLLECTIONS, isDuplicateKey, type Doc } from './collections';
import { ensureConverted } from './rollup-convert';
import { withFoldLock } from './rollup-lock';
import { dayId, FOLD_BATCH, foldPasses, parseStanding, pipelineId, type DayDoc, type InboxDoc, type StandingDoc } from './rollup-pass';

export type { InboxDoc } from './rollup-pass';

/** Marks a database whose audit trail from before the rollup has been folded in. */
const BACKFILLED = '~backfilled';
const DAY_MS = 86_400_000;

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
 * facts packed in a string, into one cursor document per instance it touched
 * (what that instance's next fact must remember, read by `_id`), and into the
 * pipeline's standing counts (stage → instances standing in it), in passes
 * that a cut-off fold finishes (rollup-pass.ts). Reads fold first, then take
 * the window's days by `_id` (at most 367) and the counts document: no
 * document and no answer grows with the number of instances.
 */
export function rollupStore(db: Db) {
  const inbox = db.collection<InboxDoc>(COLLECTIONS.stageFactInbox);
  const days = db.collection<DayDoc>(COLLECTIONS.analyticsDays);
  const standings = db.collection<StandingDoc>(COLLECTIONS.analyticsStanding);
  const locks = db.collection<Doc<{ expiresAt: number }>>(COLLECTIONS.analyticsLocks);
  const passes = foldPasses(db);

  async function foldLocked(companyId: string, pipelineKey: string, stopAfter?: Parameters<typeof passes.run>[2]): Promise<number> {
    await ensureConverted(db, companyId, pipelineKey);
    await passes.finishPending(companyId, pipelineKey);
    return passes.run(companyId, pipelineKey, stopAfter);
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

    /** One pass, cut off after the given write (as a process that died there): for tests of the fold's recovery. */
    foldCutOff(companyId: string, pipelineKey: string, after: 'pass' | 'days' | 'cursors' | 'standing'): Promise<number> {
      return withFoldLock(locks, pipelineId(companyId, pipelineKey), () => foldLocked(companyId, pipelineKey, after));
    },

    /** Moves the pipeline's inbox into its days, cursors and standing counts; answers how many stage changes it moved. */
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
      const [dayDocs, standing] = await Promise.all([Promise.all(ids.map((_id) => days.findOne({ _id }))), standings.findOne({ _id: pipelineId(companyId, pipelineKey) })]);
      const facts = dayDocs.flatMap((d) => (d ? decodeFacts(d.facts) : [])).filter((f) => f.at >= from && f.at < to);
      return { facts, standing: parseStanding(standing) };
    },
  };
  return store;
}

export type RollupStore = ReturnType<typeof rollupStore>;
