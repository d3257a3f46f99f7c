import { call, type TestUser } from '../support/auth';
import { seedDemo, type DemoWorld } from '../support/demo';
import { eventually, startHarness, type Harness } from '../support/harness';
import { createRecord, instancePath, publishPipeline, startInstance, testPipeline } from '../support/pipelines';

/**
 * GET /v1/pipelines/:key/board: what a board's column headers show, per stage
 * of the newest published version and in its order, read from the instance
 * views: count, amount, and amount weighted by the stage's win rate.
 */
describe('GET /v1/pipelines/:key/board', () => {
  let h: Harness;
  let demo: DemoWorld;
  let admin: TestUser;
  let sales: TestUser;
  const def = testPipeline('Board deals', 'opportunity', [
    { key: 'qualify', name: 'Qualify', type: 'normal', initial: true, winRate: 20 },
    { key: 'propose', name: 'Propose', type: 'normal', winRate: 50 },
    { key: 'won', name: 'Won', type: 'success', winRate: 100 },
    { key: 'lost', name: 'Lost', type: 'failure', winRate: 0 },
  ]);

  beforeAll(async () => {
    h = await startHarness();
    demo = await seedDemo(h);
    ({ admin, sales } = demo.users);
    await publishPipeline(h, admin, def);
    const ids: string[] = [];
    for (const amount of [1_000, 3_000, undefined]) {
      const record = await createRecord(h, sales, 'opportunity', { fields: { title: `Board ${amount ?? 'none'}`, ...(amount !== undefined && { amount }) } });
      const started = await startInstance(h, sales, def.key, record.id);
      expect(started.status).toBe(201);
      ids.push(started.body.instanceId);
    }
    const moved = await call(h, 'POST', `${instancePath(ids[1]!)}/moves`, { user: sales, body: { to: 'propose' } });
    expect(moved.status).toBe(200);
  });

  afterAll(async () => {
    demo?.cleanup();
    await h?.stop();
  });

  it('When sales asks for a board, then every stage comes in order with its count, amount and weighted amount', async () => {
    await eventually(async () => {
      const res = await call(h, 'GET', `/v1/pipelines/${def.key}/board`, { user: sales });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        pipelineKey: def.key,
        version: 1,
        ownerId: null,
        partnerCompanyId: null,
        stages: [
          { key: 'qualify', name: 'Qualify', type: 'normal', winRate: 20, count: 2, amount: 1_000, weightedAmount: 200 },
          { key: 'propose', name: 'Propose', type: 'normal', winRate: 50, count: 1, amount: 3_000, weightedAmount: 1_500 },
          { key: 'won', name: 'Won', type: 'success', winRate: 100, count: 0, amount: 0, weightedAmount: 0 },
          { key: 'lost', name: 'Lost', type: 'failure', winRate: 0, count: 0, amount: 0, weightedAmount: 0 },
        ],
      });
      return true;
    });
  });

  it('When the board is asked for one owner, then it counts only that owner\'s instances', async () => {
    const res = await call(h, 'GET', `/v1/pipelines/${def.key}/board?ownerId=${admin.actor.userId}`, { user: sales });
    expect(res.status).toBe(200);
    expect(res.body.ownerId).toBe(admin.actor.userId);
    expect(res.body.stages.map((s: { count: number }) => s.count)).toEqual([0, 0, 0, 0]);
  });

  it('When a partner asks, then 403; when the pipeline is unknown, then 404', async () => {
    expect((await call(h, 'GET', `/v1/pipelines/${def.key}/board`, { user: demo.users.partnerA_user })).status).toBe(403);
    const missing = await call(h, 'GET', '/v1/pipelines/no-such-pipeline/board', { user: sales });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
  });
});
