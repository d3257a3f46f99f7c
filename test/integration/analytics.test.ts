import { COLLECTIONS } from '../../activities/store';
import { call, seedUser, type TestUser } from '../support/auth';
import { uid } from '../support/factories';
import { eventually, startHarness, type Harness } from '../support/harness';
import { createRecord, instancePath, publishPipeline, recordInstanceId, testPipeline } from '../support/pipelines';

describe('pipeline analytics on the real stack', () => {
  let h: Harness;
  let admin: TestUser;
  let sales: TestUser;
  let otherSales: TestUser;
  let partner: TestUser;
  const company = uid('cmp');
  const otherCompany = uid('cmp');
  const type = uid('deal');
  const def = testPipeline(
    'Deals',
    type,
    [
      { key: 'open', name: 'Open', type: 'normal', initial: true, deadline: { after: '3s', to: 'lost' } },
      { key: 'qualified', name: 'Qualified', type: 'normal' },
      { key: 'won', name: 'Won', type: 'success' },
      { key: 'lost', name: 'Lost', type: 'failure' },
    ],
    { trigger: { onCreate: true, manual: false, reinitiate: false }, policy: { reversible: true, skippable: true, repeatable: true, reactivatable: false } },
  );
  let from: string;
  const path = () => `/v1/pipelines/${def.key}/analytics?from=${encodeURIComponent(from)}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`;

  beforeAll(async () => {
    h = await startHarness();
    admin = await seedUser(h, { companyId: company, roles: ['admin'] });
    sales = await seedUser(h, { companyId: company, roles: ['sales'] });
    const otherAdmin = await seedUser(h, { companyId: otherCompany, roles: ['admin'] });
    otherSales = await seedUser(h, { companyId: otherCompany, roles: ['sales'] });
    partner = await seedUser(h, { companyKind: 'partner', roles: ['partner_user'] });
    from = new Date(Date.now() - 1_000).toISOString();
    await publishPipeline(h, admin, def);
    await publishPipeline(h, otherAdmin, def);
  });
  afterAll(async () => h?.stop());

  const move = async (recordId: string, to: string) => {
    const res = await call(h, 'POST', `${instancePath(recordInstanceId(company, def.key, type, recordId))}/moves`, { user: sales, body: { to } });
    expect(res.status).toBe(200);
  };

  it('When four deals move, one by its deadline, then the funnel matches the hand count, and time in stage matches the audit trail', async () => {
    const deals = [];
    for (let i = 0; i < 4; i += 1) deals.push((await createRecord(h, sales, type, { fields: { title: `Deal ${i}` } })).id);
    // Another company's deal on its own pipeline of the same key: never counted here.
    await createRecord(h, otherSales, type, { fields: { title: 'Theirs' } });
    const [won, lost, expired, waiting] = deals as [string, string, string, string];
    await move(won, 'qualified');
    await move(won, 'won');
    await move(lost, 'qualified');
    await move(lost, 'lost');
    await move(waiting, 'qualified');
    await eventually(async () => (await h.stores.instances.get(recordInstanceId(company, def.key, type, expired)))?.stage === 'lost', 30_000);

    const res = await call(h, 'GET', path(), { user: sales });
    expect(res.status).toBe(200);
    const stage = (key: string) => res.body.stages.find((s: { stage: string }) => s.stage === key);
    expect(stage('open')).toMatchObject({ entered: 4, left: 4, leftByDeadline: 1, now: 0, next: [{ stage: 'qualified', count: 3, rate: 0.75 }, { stage: 'lost', count: 1, rate: 0.25 }] });
    expect(stage('qualified')).toMatchObject({ entered: 3, left: 2, leftByDeadline: 0, now: 1, next: [{ stage: 'lost', count: 1, rate: 0.5 }, { stage: 'won', count: 1, rate: 0.5 }] });
    expect(stage('won')).toMatchObject({ entered: 1, left: 0, now: 1 });
    expect(stage('lost')).toMatchObject({ entered: 2, left: 0, now: 2 });
    expect(res.body.outcomes).toEqual([
      { stage: 'won', name: 'Won', type: 'success', count: 1, share: 0.3333 },
      { stage: 'lost', name: 'Lost', type: 'failure', count: 2, share: 0.6667 },
    ]);
    expect(res.body).toMatchObject({ pipelineKey: def.key, version: 1, timeToOutcome: { count: 3 } });

    // Time in Open by hand, from the audit events in MongoDB: each deal's leaving minus its start.
    const trail = await h.db.collection(COLLECTIONS.events).find({ pipelineKey: def.key, instanceId: { $regex: `^pipeline:${company}:` } }).toArray();
    const inOpen = deals
      .map((id) => {
        const mine = trail.filter((e) => e.recordId === id);
        const started = mine.find((e) => e.kind === 'started')!;
        const left = mine.find((e) => e.from === 'open')!;
        return Date.parse(left.at) - Date.parse(started.at);
      })
      .sort((a, b) => a - b);
    expect(stage('open').timeInStage).toEqual({ medianMs: inOpen[1], p90Ms: inOpen[3] });
    expect(inOpen[3]).toBeGreaterThanOrEqual(3_000);

    // The other company sees its own single deal only.
    const theirs = await call(h, 'GET', path(), { user: otherSales });
    expect(theirs.body.stages.find((s: { stage: string }) => s.stage === 'open')).toMatchObject({ entered: 1 });
  });

  it.each([
    ['`from` after `to`', '?from=2026-06-01T00:00:00Z&to=2026-05-01T00:00:00Z', 'from'],
    ['a window over 366 days', '?from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'to'],
    ['a date that is not one', '?from=yesterday', 'from'],
    ['an unknown parameter', '?stage=open', ''],
  ])('When the query has %s, then 400 with the reason', async (_what, query, field) => {
    // The company's instances have all settled (the other company's deal may still reach its deadline).
    const ours = () => h.db.collection(COLLECTIONS.events).find({ instanceId: { $regex: `^pipeline:${company}:` } }).toArray();
    const before = await ours();
    const res = await call(h, 'GET', `/v1/pipelines/${def.key}/analytics${query}`, { user: sales });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    if (field) expect(res.body.error.details.fieldErrors).toHaveProperty(field);
    expect(await ours()).toEqual(before);
  });

  it('When a partner or another company asks for a pipeline it does not own, then 403 or 404', async () => {
    expect((await call(h, 'GET', `/v1/pipelines/${def.key}/analytics`, { user: partner })).status).toBe(403);
    expect((await call(h, 'GET', `/v1/pipelines/${uid('nope')}/analytics`, { user: sales })).status).toBe(404);
  });
});
