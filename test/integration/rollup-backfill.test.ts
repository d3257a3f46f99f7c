import { COLLECTIONS, prepareDatabase } from '../../activities/store';
import { analyticsFromFacts } from '../../api/analytics-facts';
import { computeAnalytics } from '../../api/analytics';
import { uid } from '../support/factories';
import { eventually, startHarness, type Harness } from '../support/harness';
import { startRollupFolder } from '../../workers/rollup-folder';

/**
 * A database as the version before the analytics rollup left it: instances
 * and their audit trail, no rollup. Every process backfills it on start.
 */
describe('backfilling the analytics rollup from an older audit trail', () => {
  let h: Harness;
  const company = uid('cmp');
  const key = uid('deals');
  const stages = [
    { key: 'open', name: 'Open', type: 'normal' as const },
    { key: 'won', name: 'Won', type: 'success' as const },
    { key: 'lost', name: 'Lost', type: 'failure' as const },
  ];
  const HOUR = 3_600_000;
  const t0 = Date.UTC(2026, 2, 1);
  const iso = (ms: number) => new Date(ms).toISOString();
  const window = { from: iso(t0), to: iso(t0 + 30 * 24 * HOUR) };

  beforeAll(async () => {
    h = await startHarness({ worker: false, api: false });
    // Forty deals over ten days: a quarter won, a quarter lost by deadline, a quarter cancelled in Open, a quarter still open.
    const instances: Array<Record<string, unknown>> = [];
    const events: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 40; i += 1) {
      const id = `pipeline:${company}:${key}:deal:d${i}`;
      const start = t0 + i * 6 * HOUR;
      const fate = i % 4;
      const trail: Array<[string, Record<string, unknown>]> = [['started', { to: 'open', at: iso(start) }]];
      if (fate === 0) trail.push(['moved', { from: 'open', to: 'won', at: iso(start + (i + 1) * HOUR) }]);
      if (fate === 1) trail.push(['deadline_fired', { from: 'open', to: 'lost', at: iso(start + 48 * HOUR) }]);
      if (fate === 2) trail.push(['cancelled', { at: iso(start + 2 * HOUR) }]);
      trail.forEach(([kind, rest], s) => events.push({ _id: `${id}:chain:${s + 1}`, instanceId: id, recordId: `d${i}`, pipelineKey: key, kind, actor: { kind: 'system', userId: 'system' }, ...rest }));
      const stage = fate === 0 ? 'won' : fate === 1 ? 'lost' : 'open';
      instances.push({ _id: id, pipelineKey: key, companyId: company, stage, status: fate === 2 ? 'cancelled' : fate === 3 ? 'running' : 'finished', seq: trail.length });
    }
    await h.db.collection(COLLECTIONS.instances).insertMany(instances as never[]);
    await h.db.collection(COLLECTIONS.events).insertMany(events as never[]);
    // The harness prepared its fresh database already: this one is "from before", with no rollup yet.
    await h.db.collection(COLLECTIONS.analyticsDays).deleteMany({});
  });
  afterAll(async () => h?.stop());

  it('When two processes prepare the database at once, then the rollup answers what the audit trail answers, and a later start changes nothing', async () => {
    const [a, b] = await Promise.all([prepareDatabase(h.db, h.stores), prepareDatabase(h.db, h.stores)]);
    expect((a.rollupFacts ?? 0) + (b.rollupFacts ?? 0)).toBeGreaterThanOrEqual(70); // 40 starts, 20 closes, 10 cancellations
    const again = await prepareDatabase(h.db, h.stores);
    expect(again.rollupFacts).toBeUndefined();

    const instances = (await h.db.collection(COLLECTIONS.instances).find({ companyId: company }).toArray()).map((d) => ({ instanceId: String(d._id), stage: d.stage, status: d.status }));
    const trail = (await h.db.collection(COLLECTIONS.events).find({ pipelineKey: key, to: { $exists: true } }).toArray()).map((d) => ({ instanceId: d.instanceId, kind: d.kind, from: d.from, to: d.to, at: d.at }));
    const { facts, standing } = await h.stores.rollup.read(company, key, window);
    const fromRollup = analyticsFromFacts({ stages }, facts, standing, window);
    expect(fromRollup).toEqual(computeAnalytics({ stages }, instances, trail, window));
    // By hand: 40 entered Open; 10 won and 10 lost left it; 20 stand in Open less the 10 cancelled.
    expect(fromRollup.stages[0]).toMatchObject({ entered: 40, left: 20, leftByDeadline: 10, now: 10 });
    expect(fromRollup.outcomes.map((o) => o.count)).toEqual([10, 10]);
    expect(await h.db.collection(COLLECTIONS.stageFactInbox).countDocuments({})).toBe(0);
  });

  it('When a fact of the backfill is noted again (a retried activity after the fold), then it counts once', async () => {
    const instance = { companyId: company, stage: 'won', seq: 2 };
    const event = { eventId: `pipeline:${company}:${key}:deal:d0:chain:2`, instanceId: `pipeline:${company}:${key}:deal:d0`, pipelineKey: key, kind: 'moved' as const, from: 'open', to: 'won', at: iso(t0 + HOUR) };
    await h.stores.rollup.note({ event, instance });
    const { facts } = await h.stores.rollup.read(company, key, window);
    expect(facts.filter((f) => f.eventId === event.eventId)).toHaveLength(1);
    expect(facts.filter((f) => f.to !== undefined)).toHaveLength(60);
  });

  it('When two hundred instances change stage on one day at once while two folds run, then every change is kept (no update lost)', async () => {
    const storm = uid('storm');
    const at = iso(t0 + 3 * HOUR);
    const notes = Array.from({ length: 200 }, (_, i) =>
      h.stores.rollup.note({
        event: { eventId: `${storm}:${i}:c:1`, instanceId: `${storm}:${i}`, pipelineKey: storm, kind: 'started', to: 'open', at },
        instance: { companyId: company, stage: 'open', seq: 1 },
      }),
    );
    await Promise.all([...notes, h.stores.rollup.fold(company, storm), h.stores.rollup.fold(company, storm)]);
    const { facts, standing } = await h.stores.rollup.read(company, storm, window);
    expect(facts).toHaveLength(200);
    expect(standing).toEqual(new Map([['open', 200]]));
  });

  it("When stage changes wait in the inbox and nobody asks, then the worker's folder moves them into their day on its own", async () => {
    const quiet = uid('quiet');
    const at = iso(t0 + 5 * HOUR);
    for (let i = 0; i < 3; i += 1) {
      await h.stores.rollup.note({
        event: { eventId: `${quiet}:${i}:c:1`, instanceId: `${quiet}:${i}`, pipelineKey: quiet, kind: 'started', to: 'open', at },
        instance: { companyId: company, stage: 'open', seq: 1 },
      });
    }
    const inbox = h.db.collection(COLLECTIONS.stageFactInbox);
    expect(await inbox.countDocuments({ pipelineKey: quiet })).toBe(3);
    const logged: unknown[] = [];
    const folder = startRollupFolder(h.stores.rollup, 1_000, { info: (o: unknown) => void logged.push(o), warn: () => undefined });
    try {
      await eventually(async () => (await inbox.countDocuments({ pipelineKey: quiet })) === 0, 15_000);
    } finally {
      await folder.stop();
    }
    // In its day document before any read: the answer reads it, it does not fold it.
    const day = await h.db.collection(COLLECTIONS.analyticsDays).findOne({ _id: `${company}/${quiet}/${at.slice(0, 10)}` as never });
    expect(day).not.toBeNull();
    expect(logged).toContainEqual({ moved: 3 });
  });
});
