import { BSON, type Db } from 'mongodb';
import { COLLECTIONS } from '../../../activities/store';
import { cursorId, dayId, encodeStanding, pipelineId } from '../../../activities/store/rollup-pass';
import { dayOf, encodeFacts, type InstanceCursor, type StageFact } from '../../../lib/stage-facts';
import { startPropeller } from '../propeller';
import { row, type Scenario, type ScenarioOutcome } from '../scenario';
import { nowMs, percentile } from '../stats';
import type { Say } from '../load';

const DAY_MS = 86_400_000;
const KEY = 'partner-lead';
const RUNS = 9;
const BATCH = 5_000;


/** A lead's facts and its cursor after them: Pending, then Accepted and Converted, Declined, Expired, or still pending. */
function leadOf(i: number, t0: number, partner: string): { id: string; facts: StageFact[]; cursor: InstanceCursor } {
  const id = `pipeline:bench:${KEY}:lead:bench_${i}`;
  const path: Array<[string, string, number]> = [['started', 'pending', 0]];
  const fate = i % 5;
  if (fate === 0 || fate === 1) path.push(['moved', 'accepted', 1 + (i % 6)], ['moved', 'closed_converted', 10 + (i % 20)]);
  else if (fate === 2) path.push(['moved', 'declined', 2]);
  else if (fate === 3) path.push(['deadline_fired', 'expired', 7]);
  const facts: StageFact[] = [];
  let from: string | undefined;
  let enteredAt = t0;
  const seen: string[] = [];
  path.forEach(([kind, to, day], s) => {
    const at = t0 + day * DAY_MS;
    facts.push({ eventId: `${id}:c:${s + 1}`, instanceId: id, kind, ...(from ? { from, enteredAt } : {}), to, at, startedAt: t0, seen: [...seen], partnerCompanyId: partner });
    seen.push(to);
    from = to;
    enteredAt = at;
  });
  const last = facts.at(-1)!;
  return { id, facts, cursor: { startedAt: t0, lastAt: last.at, stage: last.to!, seen, cancelled: false, last: [last.at, path.length] } };
}

/**
 * Leads [from, to) of a history whose lead 0 started a day before `end`, one every `step` ms before it,
 * written straight into the rollup's documents as folds would have left them: their day documents, one
 * cursor document each, and the standing counts. Driving a million leads through Temporal would take days
 * on this machine. Oldest lead first, so a day is written once no later lead can add to it (a lead's facts
 * are never dated before its start).
 */
async function seed(db: Db, companyId: string, range: { from: number; to: number; total: number }, end: number, step: number, standing: Map<string, number>, say: Say): Promise<void> {
  const pid = pipelineId(companyId, KEY);
  const open = new Map<string, StageFact[]>();
  const dayDocs = db.collection<{ _id: string; facts: string }>(COLLECTIONS.analyticsDays);
  const flush = async (before: string) => {
    for (const [day, facts] of [...open].filter(([d]) => d < before)) {
      open.delete(day);
      const _id = dayId(companyId, KEY, day);
      const stored = await dayDocs.findOne({ _id });
      const packed = stored ? `${stored.facts.slice(0, -1)},${encodeFacts(facts).slice(1)}` : encodeFacts(facts);
      await dayDocs.replaceOne({ _id }, { companyId, pipelineKey: KEY, day, facts: packed } as never, { upsert: true });
    }
  };
  let cursors: Array<{ _id: string; cursor: string }> = [];
  for (let i = range.to - 1; i >= range.from; i -= 1) {
    const t0 = end - DAY_MS - i * step;
    await flush(dayOf(t0));
    const lead = leadOf(i, t0, 'bench_partner');
    for (const f of lead.facts) open.set(dayOf(f.at), [...(open.get(dayOf(f.at)) ?? []), f]);
    cursors.push({ _id: cursorId(pid, lead.id), cursor: JSON.stringify(lead.cursor) });
    standing.set(lead.cursor.stage, (standing.get(lead.cursor.stage) ?? 0) + 1);
    if (cursors.length === BATCH || i === range.from) {
      await db.collection(COLLECTIONS.analyticsInstanceCursors).insertMany(cursors as never[]);
      cursors = [];
      if ((range.to - i) % (BATCH * 20) < BATCH) say(`analytics · seeded ${range.to - i} of leads ${range.from}–${range.to} (history of ${range.total})`);
    }
  }
  await flush('~');
  await db.collection(COLLECTIONS.analyticsStanding).replaceOne({ _id: pid } as never, { standing: encodeStanding(standing), lastPass: null, converted: true }, { upsert: true });
}

/**
 * The largest of the pipeline's standing counts and its newest 60 day documents (BSON bytes, measured here:
 * FerretDB 1.24 has no `$bsonSize`). Days hold a day's facts, so the densest are the newest at any history;
 * a cursor document holds one instance.
 */
async function largestDocument(db: Db, companyId: string, end: number): Promise<{ bytes: number; collection: string }> {
  const days = Array.from({ length: 60 }, (_, d) => dayId(companyId, KEY, dayOf(end - d * DAY_MS)));
  const docs = await Promise.all([
    ...days.map(async (_id) => ({ doc: await db.collection(COLLECTIONS.analyticsDays).findOne({ _id } as never), collection: COLLECTIONS.analyticsDays })),
    (async () => ({ doc: await db.collection(COLLECTIONS.analyticsStanding).findOne({ _id: pipelineId(companyId, KEY) } as never), collection: COLLECTIONS.analyticsStanding }))(),
  ]);
  return docs.reduce((best, { doc, collection }) => {
    const bytes = doc ? BSON.calculateObjectSize(doc) : 0;
    return bytes > best.bytes ? { bytes, collection } : best;
  }, { bytes: 0, collection: '' });
}

export const analytics: Scenario = {
  name: 'analytics',
  description: "GET /v1/pipelines/partner-lead/analytics over the last 30 days with a history of N leads vs one of N/10 (the same leads in the window): the answer's cost grows with the window's data, not with the history",
  defaultN: 100_000,
  fullN: 1_000_000,
  smokeN: 200,
  async run({ stack, n, say }): Promise<ScenarioOutcome> {
    const env = await startPropeller(stack, { name: 'analytics', worker: false });
    try {
      const companyId = env.users.admin.companyId;
      const end = Date.now();
      const query = `from=${encodeURIComponent(new Date(end - 30 * DAY_MS).toISOString())}&to=${encodeURIComponent(new Date(end).toISOString())}`;
      const standing = new Map<string, number>();
      const time = async () => {
        // Two untimed answers first (the JIT, the connection pool, the seed's garbage), at either size alike.
        for (let w = 0; w < 2; w += 1) await env.call(env.users.admin, 'GET', `/v1/pipelines/${KEY}/analytics?${query}`);
        const ms: number[] = [];
        let answer: { stages?: Array<{ stage: string; entered: number; now: number }> } = {};
        for (let r = 0; r < RUNS; r += 1) {
          const t = nowMs();
          answer = await env.call(env.users.admin, 'GET', `/v1/pipelines/${KEY}/analytics?${query}`);
          ms.push(nowMs() - t);
        }
        return { ms: percentile(ms, 50), all: ms.map((x) => Math.round(x)), answer };
      };
      const small = Math.max(1, Math.floor(n / 10));
      // The small history spans 60 days, so the 30-day window lies inside it; the large one adds only older leads.
      const step = Math.floor((60 * DAY_MS) / small);
      let t = nowMs();
      await seed(env.db, companyId, { from: 0, to: small, total: n }, end, step, standing, say);
      say(`analytics · seeded ${small} leads in ${((nowMs() - t) / 1000).toFixed(1)} s`);
      const atSmall = await time();
      t = nowMs();
      await seed(env.db, companyId, { from: small, to: n, total: n }, end, step, standing, say);
      say(`analytics · seeded ${n} leads in all, ${((nowMs() - t) / 1000).toFixed(1)} s more`);
      const atLarge = await time();
      const largest = await largestDocument(env.db, companyId, end);
      const entered = (a: typeof atSmall.answer) => a.stages?.find((s) => s.stage === 'pending')?.entered ?? -1;
      say(`analytics · 30-day answer: ${atSmall.ms.toFixed(1)} ms at ${small}, ${atLarge.ms.toFixed(1)} ms at ${n}; largest document ${largest.bytes} B (${largest.collection})`);
      return {
        n,
        settings: { runs: RUNS, window: '30 days', 'leads started per day': Math.round(DAY_MS / step), 'smaller history': small },
        rows: [row('30-day analytics answer, history of N ÷ N/10 leads', 'ms', n, atLarge.ms, atSmall.ms, { target: { op: '<=', value: 1.5 }, labels: [`history of ${n}`, `history of ${small}`] })],
        facts: {
          'answer at N/10, ms': Math.round(atSmall.ms * 10) / 10,
          'answer at N, ms': Math.round(atLarge.ms * 10) / 10,
          'each answer at N/10, ms': atSmall.all.join(' '),
          'each answer at N, ms': atLarge.all.join(' '),
          'entered Pending in the window, N/10 and N alike': entered(atSmall.answer) === entered(atLarge.answer),
          'largest rollup document, bytes': largest.bytes,
          'leads standing, counted': [...standing.values()].reduce((a, b) => a + b, 0) === n,
        },
        notes: [
          "The leads are seeded straight into the rollup's documents (days, one cursor per lead, standing counts) as folds would leave them, not driven through Temporal: a million leads would take days here.",
          'Leads start at one rate throughout; the smaller history spans 60 days, so the 30-day window holds the same facts at both sizes and the larger history only adds older days.',
        ],
      };
    } finally {
      await env.stop();
    }
  },
};
