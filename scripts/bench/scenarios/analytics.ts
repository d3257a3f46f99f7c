import { COLLECTIONS } from '../../../activities/store';
import { startPropeller } from '../propeller';
import { row, type Scenario, type ScenarioOutcome } from '../scenario';
import { nowMs, percentile } from '../stats';
import type { Say } from '../load';
import type { Db } from 'mongodb';

const YEAR_MS = 365 * 86_400_000;
const BATCH = 2_000;
const KEY = 'partner-lead';
const RUNS = 3;

/**
 * A year of Partner lead history written straight into MongoDB, as the
 * instances' steps would have left it: each lead started in Pending, and
 * went on to Accepted then Closed-Converted, to Declined, or to Expired by
 * its deadline (a fifth are still pending). Instances and audit events only:
 * what analytics read.
 */
async function seedYear(db: Db, companyId: string, n: number, say: Say): Promise<number> {
  const start = Date.now() - YEAR_MS;
  const iso = (ms: number) => new Date(ms).toISOString();
  let events = 0;
  for (let offset = 0; offset < n; offset += BATCH) {
    const instanceDocs: Array<Record<string, unknown>> = [];
    const eventDocs: Array<Record<string, unknown>> = [];
    for (let i = offset; i < Math.min(n, offset + BATCH); i += 1) {
      const id = `pipeline:${companyId}:${KEY}:lead:bench_${i}`;
      const t0 = start + Math.floor((i / n) * (YEAR_MS - 40 * 86_400_000));
      const path: Array<[string, string, number]> = [['started', 'pending', 0]];
      const fate = i % 5;
      if (fate === 0 || fate === 1) path.push(['moved', 'accepted', 1 + (i % 6)], ['moved', 'closed_converted', 10 + (i % 20)]);
      else if (fate === 2) path.push(['moved', 'declined', 2]);
      else if (fate === 3) path.push(['deadline_fired', 'expired', 7]);
      let from: string | undefined;
      path.forEach(([kind, to, day], seq) => {
        eventDocs.push({ _id: `${id}#${seq + 1}`, instanceId: id, recordId: `bench_${i}`, pipelineKey: KEY, kind, actor: { kind: 'system', userId: 'system' }, at: iso(t0 + day * 86_400_000), from, to });
        from = to;
      });
      const last = path.at(-1)!;
      instanceDocs.push({ _id: id, pipelineKey: KEY, companyId, stage: last[1], status: fate === 4 ? 'running' : 'finished', recordId: `bench_${i}` });
    }
    await db.collection(COLLECTIONS.instances).insertMany(instanceDocs as never[]);
    await db.collection(COLLECTIONS.events).insertMany(eventDocs as never[]);
    events += eventDocs.length;
    if ((offset / BATCH) % 10 === 0) say(`analytics · seeded ${Math.min(n, offset + BATCH)} of ${n} instances`);
  }
  return events;
}

export const analytics: Scenario = {
  name: 'analytics',
  description: 'GET /v1/pipelines/partner-lead/analytics over a year of N instances (written straight into MongoDB) vs reading the same instances and events with the driver',
  defaultN: 20_000,
  fullN: 100_000,
  smokeN: 200,
  async run({ stack, n, say }): Promise<ScenarioOutcome> {
    const env = await startPropeller(stack, { name: 'analytics', worker: false });
    try {
      const companyId = env.users.admin.companyId;
      const events = await seedYear(env.db, companyId, n, say);
      // The seeded year and the day after it: the widest window the route answers (366 days).
      const end = Date.now() + 86_400_000;
      const query = `from=${encodeURIComponent(new Date(end - YEAR_MS - 86_400_000).toISOString())}&to=${encodeURIComponent(new Date(end).toISOString())}`;
      const api: number[] = [];
      const read: number[] = [];
      let answer: { stages?: Array<{ stage: string; entered: number }> } = {};
      for (let r = 0; r < RUNS; r += 1) {
        let t = nowMs();
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
        facts: { 'instances counted in Pending': entered, 'all instances counted': entered === n, events },
        notes: ['The answer counts from the audit trail in the process; its floor is reading the instances and stage changes, the baseline column.'],
      };
    } finally {
      await env.stop();
    }
  },
};
