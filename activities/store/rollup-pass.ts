import crypto from 'node:crypto';
import type { Db } from 'mongodb';
import { dayOf, decodeFacts, encodeFacts, foldBatch, withDelta, type FactEvent, type InstanceCursor, type StageFact } from '../../lib/stage-facts';
import { COLLECTIONS, type Doc } from './collections';

export type InboxDoc = Doc<Omit<FactEvent, 'eventId'> & { companyId: string; pipelineKey: string }>;
export type DayDoc = Doc<{ companyId: string; pipelineKey: string; day: string; facts: string }>;
export type CursorDoc = Doc<{ cursor: string }>;
/** Stage → instances standing in it, as JSON; `lastPass` is the id of the last pass applied to it. */
export type StandingDoc = Doc<{ standing: string; lastPass: string | null; converted: boolean }>;
/** Everything a pass writes, so that finishing it needs nothing else: its facts, cursors after, standing delta and inbox ids. */
type PassDoc = Doc<{ passId: string; facts: string; cursors: string; delta: string; inbox: string[] }>;

/** Inbox entries one fold pass takes: its pass document stays well under MongoDB's 16 MB (about 2 MB at this size). */
export const FOLD_BATCH = 5_000;

export const pipelineId = (companyId: string, pipelineKey: string) => `${companyId}/${pipelineKey}`;
export const dayId = (companyId: string, pipelineKey: string, day: string) => `${pipelineId(companyId, pipelineKey)}/${day}`;
export const cursorId = (pid: string, instanceId: string) => `${pid}|${instanceId}`;

export const parseStanding = (doc: StandingDoc | null) => new Map<string, number>(doc ? (Object.entries(JSON.parse(doc.standing)) as Array<[string, number]>) : []);
export const encodeStanding = (m: ReadonlyMap<string, number>) => JSON.stringify(Object.fromEntries(m));

/**
 * One fold pass of a pipeline, run only under its fold lock. A pass is
 * computed from the inbox batch and the cursors of just those instances (read
 * by `_id`), written whole into one pass document, then applied: days (each
 * fact kept once by event id), cursors (replaced), the standing counts (their
 * delta added once: `lastPass` names the pass that added it), the inbox
 * entries removed, the pass document last. A pass cut off anywhere is applied
 * again from its document by the next fold, which changes nothing twice.
 */
export function foldPasses(db: Db) {
  const inbox = db.collection<InboxDoc>(COLLECTIONS.stageFactInbox);
  const days = db.collection<DayDoc>(COLLECTIONS.analyticsDays);
  const cursors = db.collection<CursorDoc>(COLLECTIONS.analyticsInstanceCursors);
  const standings = db.collection<StandingDoc>(COLLECTIONS.analyticsStanding);
  const passes = db.collection<PassDoc>(COLLECTIONS.analyticsPasses);

  async function apply(companyId: string, pipelineKey: string, pass: PassDoc, stopAfter?: 'days' | 'cursors' | 'standing'): Promise<void> {
    const pid = pipelineId(companyId, pipelineKey);
    const byDay = new Map<string, StageFact[]>();
    for (const f of decodeFacts(pass.facts)) byDay.set(dayOf(f.at), [...(byDay.get(dayOf(f.at)) ?? []), f]);
    await Promise.all(
      [...byDay].map(async ([day, facts]) => {
        const _id = dayId(companyId, pipelineKey, day);
        const stored = await days.findOne({ _id });
        const have = stored ? decodeFacts(stored.facts) : [];
        const ids = new Set(have.map((f) => f.eventId));
        const fresh = facts.filter((f) => !ids.has(f.eventId));
        if (stored && fresh.length === 0) return;
        await days.replaceOne({ _id }, { companyId, pipelineKey, day, facts: encodeFacts([...have, ...fresh]) }, { upsert: true });
      }),
    );
    if (stopAfter === 'days') return;
    const after = Object.entries(JSON.parse(pass.cursors) as Record<string, InstanceCursor>);
    if (after.length > 0) {
      await cursors.bulkWrite(
        after.map(([instanceId, c]) => ({ replaceOne: { filter: { _id: cursorId(pid, instanceId) }, replacement: { cursor: JSON.stringify(c) }, upsert: true } })),
        { ordered: false },
      );
    }
    if (stopAfter === 'cursors') return;
    const standing = await standings.findOne({ _id: pid });
    if (standing?.lastPass !== pass.passId) {
      const delta = new Map(Object.entries(JSON.parse(pass.delta) as Record<string, number>));
      await standings.replaceOne({ _id: pid }, { standing: encodeStanding(withDelta(parseStanding(standing), delta)), lastPass: pass.passId, converted: true }, { upsert: true });
    }
    if (stopAfter === 'standing') return;
    // One delete by `_id` each (in one command): FerretDB pushes down only an `_id` equality, and `$in` over a large inbox is quadratic.
    if (pass.inbox.length > 0) await inbox.bulkWrite(pass.inbox.map((_id) => ({ deleteOne: { filter: { _id } } })), { ordered: false });
    await passes.deleteOne({ _id: pid });
  }

  return {
    /** Finishes a pass a fold before this one was cut off in. */
    async finishPending(companyId: string, pipelineKey: string): Promise<void> {
      const pending = await passes.findOne({ _id: pipelineId(companyId, pipelineKey) });
      if (pending) await apply(companyId, pipelineKey, pending);
    },

    /** One pass over up to FOLD_BATCH inbox entries; answers how many it took. `stopAfter` cuts it off, for tests. */
    async run(companyId: string, pipelineKey: string, stopAfter?: 'pass' | 'days' | 'cursors' | 'standing'): Promise<number> {
      const pid = pipelineId(companyId, pipelineKey);
      const waiting = await inbox.find({ companyId, pipelineKey }).limit(FOLD_BATCH).toArray();
      if (waiting.length === 0) return 0;
      const byInstance = new Map<string, FactEvent[]>();
      for (const { _id, companyId: _c, pipelineKey: _p, ...e } of waiting) byInstance.set(e.instanceId, [...(byInstance.get(e.instanceId) ?? []), { eventId: _id, ...e }]);
      const ids = [...byInstance.keys()];
      const docs = await Promise.all(ids.map((id) => cursors.findOne({ _id: cursorId(pid, id) })));
      const before = new Map<string, InstanceCursor>();
      docs.forEach((d, i) => d && before.set(ids[i]!, JSON.parse(d.cursor) as InstanceCursor));
      const folded = foldBatch(before, byInstance);
      const pass: PassDoc = {
        _id: pid,
        passId: crypto.randomUUID(),
        facts: encodeFacts(folded.facts),
        cursors: JSON.stringify(Object.fromEntries(folded.cursors)),
        delta: encodeStanding(folded.delta),
        inbox: waiting.map((w) => w._id),
      };
      await passes.replaceOne({ _id: pid }, pass, { upsert: true });
      if (stopAfter !== 'pass') await apply(companyId, pipelineKey, pass, stopAfter);
      return waiting.length;
    },
  };
}
