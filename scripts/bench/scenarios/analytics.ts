import { COLLECTIONS, type Stores } from '../../../activities/store';
import { factEventOf } from '../../../activities/store/rollup';
import { startPropeller } from '../propeller';
import { row, type Scenario, type ScenarioOutcome } from '../scenario';
import { nowMs, percentile } from '../stats';
import type { Say } from '../load';
import type { Db } from 'mongodb';
import type { TransitionKind } from '../../../workflows/transition';

const YEAR_MS = 365 * 86_400_000;
const BATCH = 2_000;
const KEY = 'partner-lead';
const RUNS = 3;

/**
 * A year of Partner lead history written straight into MongoDB, as the
 * instances' steps would have left it: each lead started in Pending, and
 * went on to Accepted then Closed-Converted, to Declined, or to Expired by
 * its deadline (a fifth are still pending). Instances, audit events, and the
 * rollup's inbox entries the same steps would have noted (through the store's
 * own code), folded as the first question would fold them.
 */
async function seedYear(db: Db, stores: Stores, companyId: string, n: number, start: number, say: Say): Promise<number> {
  const iso = (ms: number) => new Date(ms).toISOString();
  let events = 0;
  for (let offset = 0; offset < n; offset += BATCH) {
    const instanceDocs: Array<Record<string, unknown>> = [];
    const eventDocs: Array<Record<string, unknown>> = [];
    const inbox: NonNullable<ReturnType<typeof factEventOf>>[] = [];
    for (let i = offset; i < Math.min(n, offset + BATCH); i += 1) {
      const id = `pipeline:${companyId}:${KEY}:lead:bench_${i}`;
      const t0 = start + Math.floor((i / n) * (YEAR_MS - 40 * 86_400_000));
      const path: Array<[TransitionKind, string, number]> = [['started', 'pending', 0]];
      const fate = i % 5;
      if (fate === 0 || fate === 1) path.push(['moved', 'accepted', 1 + (i % 6)], ['moved', 'closed_converted', 10 + (i % 20)]);
      else if (fate === 2) path.push(['moved', 'declined', 2]);
      else if (fate === 3) path.push(['deadline_fired', 'expired', 7]);
      let from: string | undefined;
      path.forEach(([kind, to, day], seq) => {
        const event = { eventId: `${id}:bench:${seq + 1}`, instanceId: id, pipelineKey: KEY, kind, at: iso(t0 + day * 86_400_000), from, to };
        const { eventId, ...fields } = event;
        eventDocs.push({ _id: eventId, recordId: `bench_${i}`, actor: { kind: 'system', userId: 'system' }, ...fields });
        const noted = factEventOf({ event, instance: { companyId, stage: to, seq: seq + 1, partnerCompanyId: 'bench_partner' } });
        if (noted) inbox.push(noted);
        from = to;
      });
      const last = path.at(-1)!;
      instanceDocs.push({ _id: id, pipelineKey: KEY, companyId, stage: last[1], status: fate === 4 ? 'running' : 'finished', recordId: `bench_${i}` });
    }
    await db.collection(COLLECTIONS.instances).insertMany(instanceDocs as never[]);
    await db.collection(COLLECTIONS.events).insertMany(eventDocs as never[]);
    await stores.rollup.noteMany(inbox);
    events += eventDocs.length;
    if ((offset / BATCH) % 10 === 0) say(`analytics · seeded ${Math.min(n, offset + BATCH)} of ${n} instances`);
  }
  return events;
}

export const analytics: Scenario = {
  name: 'analytics',
  description: 'GET /v1/pipelines/partner-lead/analytics over a year of N instances (written straight into MongoDB) vs reading the same instances and events with the driver',
  defaultN: 100_000,
  fullN: 100_000,
  smokeN: 200,
  async run({ stack, n, say }): Promise<ScenarioOutcome> {
    const env = await startPropeller(stack, { name: 'analytics', worker: false });
    try {
      const companyId = env.users.admin.companyId;
      // The seeded year and the day after it: the widest window the route answers (366 days), fixed before the
      // seed so its first lead is inside it however long seeding and folding take.
      const end = Date.now() + 86_400_000;
      const events = await seedYear(env.db, env.stores, companyId, n, end - YEAR_MS - 86_400_000 + 60_000, say);
      let t = nowMs();
      await env.stores.rollup.fold(companyId, KEY);
      const foldS = (nowMs() - t) / 1000;
      say(`analytics · folded ${events} stage changes in ${foldS.toFixed(1)} s`);
      const query = `from=${encodeURIComponent(new Date(end - YEAR_MS - 86_400_000).toISOString())}&to=${encodeURIComponent(new Date(end).toISOString())}`;
      const api: number[] = [];
      const read: number[] = [];
      let answer: { stages?: Array<{ stage: string; entered: number }> } = {};
      for (let r = 0; r < RUNS; r += 1) {
        t = nowMs();
        answer = await env.call(env.users.admin, 'GET', `/v1/pipelines/${KEY}/analytics?${query}`);
        api.push(nowMs() - t);
        t = nowMs();
        await Promise.all([
          env.db.collection(COLLECTIONS.instances).find({ companyId, pipelineKey: KEY }, { projection: { stage: 1, status: 1 } }).toArray(),
          env.db.collection(COLLECTIONS.events).find({ pipelineKey: KEY, to: { $exists: true } }, { projection: { instanceId: 1, kind: 1, from: 1, to: 1, at: 1 } }).toArray(),
        ]);
        read.push(nowMs() - t);
        say(`analytics · run ${r + 1}: API ${(api.at(-1)! / 1000).toFixed(2)} s, driver read ${(read.at(-1)! / 1000).toFixed(2)} s`);
      }
      const entered = answer.stages?.find((s) => s.stage === 'pending')?.entered ?? -1;
      return {
        n,
        settings: { runs: RUNS, window: '1 year', 'events per instance': (events / n).toFixed(2) },
        rows: [row('analytics answer, median of runs', 's', n, percentile(api, 50) / 1000, percentile(read, 50) / 1000, { labels: ['analytics API', 'driver read of the same data'] })],
        facts: { 'instances counted in Pending': entered, 'all instances counted': entered === n, events, 'first fold of the seeded year, s': Math.round(foldS * 10) / 10 },
        notes: [
          'The answer reads the rollup (one packed document per day of the window, the instance cursors); the baseline column is what answering from the audit trail would read at least: every instance and stage change.',
          'The seed notes every stage change in the rollup inbox as the steps would, and folds it once before the runs (the first question after a year unfolded would pay that).',
        ],
      };
    } finally {
      await env.stop();
    }
  },
};
