import { COLLECTIONS } from '../../activities/store';
import { PARTNER_LEAD_KEY, partnerLeadTemplate } from '../../workflows/domain/templates/partner-lead';
import { call, type TestUser } from '../support/auth';
import { seedDemo, type DemoWorld } from '../support/demo';
import { uid } from '../support/factories';
import { eventually, startHarness, type Harness } from '../support/harness';
import { publishPipeline, recordInstanceId } from '../support/pipelines';

const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
const PRIVATE = 'PRIVATE-scorecard';

/**
 * Acme sends partner A four leads (one converted, one declined, one left to
 * expire within seconds, one only accepted) and partner B one (accepted);
 * Initech sends partner A one (accepted). Counted by hand, then by the API.
 */
describe('the partner scorecard on the real stack', () => {
  let h: Harness;
  let demo: DemoWorld;
  let acme: TestUser;
  let initech: TestUser;
  let partnerA: TestUser;
  let partnerB: TestUser;
  let from: string;
  const path = (query = '') => `/v1/partners/scorecard?pipelineKey=${PARTNER_LEAD_KEY}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(inSeconds(60))}${query}`;

  beforeAll(async () => {
    h = await startHarness();
    demo = await seedDemo(h);
    ({ sales: acme, initech_sales: initech, partnerA_user: partnerA, partnerB_user: partnerB } = demo.users);
    await publishPipeline(h, demo.users.admin, partnerLeadTemplate());
    await publishPipeline(h, demo.users.initech_admin, partnerLeadTemplate());
    from = new Date(Date.now() - 1_000).toISOString();
  });
  afterAll(async () => {
    demo?.cleanup();
    await h?.stop();
  });

  async function lead(seller: TestUser, partner: string, fields: Record<string, unknown> = {}): Promise<{ id: string; instanceId: string }> {
    const res = await call(h, 'POST', '/v1/records/lead', { user: seller, body: { fields: { title: `Lead ${uid('t')}`, internalNotes: PRIVATE, ...fields }, partnerCompanyId: partner } });
    expect(res.status).toBe(201);
    return { id: res.body.id, instanceId: recordInstanceId(seller.actor.companyId!, PARTNER_LEAD_KEY, 'lead', res.body.id) };
  }
  const act = async (user: TestUser, id: string, action: string, body: Record<string, unknown> = {}) => {
    const res = await call(h, 'POST', `/v1/leads/${id}/${action}`, { user, body });
    expect(res.status).toBe(200);
  };
  const trail = async (recordId: string) => h.db.collection(COLLECTIONS.events).find({ recordId }).toArray();
  const timeOf = (events: Array<Record<string, unknown>>, to: string) => Date.parse(String(events.find((e) => e.to === to)!.at));

  it('When partners accept, decline, convert and let a lead expire, then each row matches the hand count, and each partner sees only its own', async () => {
    const { partnerA: A, partnerB: B } = demo.companies;
    const converted = await lead(acme, A);
    const declined = await lead(acme, A);
    const expiring = await lead(acme, A, { expiresAt: inSeconds(3) });
    const accepted = await lead(acme, A);
    const fromB = await lead(acme, B);
    const fromInitech = await lead(initech, A);
    await act(partnerA, converted.id, 'accept');
    await act(partnerA, declined.id, 'decline', { reason: 'not our region' });
    await act(partnerA, accepted.id, 'accept');
    await act(partnerB, fromB.id, 'accept');
    await act(partnerA, fromInitech.id, 'accept');
    await act(partnerA, converted.id, 'convert', { opportunity: { fields: {} } });
    await eventually(async () => (await h.stores.instances.get(expiring.instanceId))?.stage === 'expired', 30_000);

    // By hand, from the audit trail: the waits to accept, and from accepting to converting.
    const waits = [];
    for (const l of [converted, accepted]) {
      const events = await trail(l.id);
      waits.push(timeOf(events, 'accepted') - timeOf(events, 'pending'));
    }
    const convertedTrail = await trail(converted.id);
    const toConvert = timeOf(convertedTrail, 'closed_converted') - timeOf(convertedTrail, 'accepted');
    const rowA = {
      partnerCompanyId: A, received: 4, accepted: 2, declined: 1, expired: 1, converted: 1, acceptanceRate: 0.5, conversionRate: 0.5,
      medianTimeToAcceptMs: Math.min(...waits), medianAcceptToConvertMs: toConvert,
    };
    const bTrail = await trail(fromB.id);
    const rowB = {
      partnerCompanyId: B, received: 1, accepted: 1, declined: 0, expired: 0, converted: 0, acceptanceRate: 1, conversionRate: 0,
      medianTimeToAcceptMs: timeOf(bTrail, 'accepted') - timeOf(bTrail, 'pending'), medianAcceptToConvertMs: null,
    };
    const acmeId = acme.actor.companyId!;
    const initechId = initech.actor.companyId!;

    const owner = await call(h, 'GET', path(), { user: acme });
    expect(owner.status).toBe(200);
    expect(owner.body.programs).toEqual([{ ownerCompanyId: acmeId, partners: [rowA, rowB].sort((x, y) => x.partnerCompanyId.localeCompare(y.partnerCompanyId)) }]);

    const seenByA = await call(h, 'GET', path(), { user: partnerA });
    expect(seenByA.status).toBe(200);
    const programsOfA = [...seenByA.body.programs].sort((x: { ownerCompanyId: string }, y: { ownerCompanyId: string }) => x.ownerCompanyId.localeCompare(y.ownerCompanyId));
    const initechRow = { partnerCompanyId: A, received: 1, accepted: 1, declined: 0, expired: 0, converted: 0, acceptanceRate: 1, conversionRate: 0 };
    expect(programsOfA).toEqual(
      [
        { ownerCompanyId: acmeId, partners: [rowA] },
        { ownerCompanyId: initechId, partners: [expect.objectContaining(initechRow)] },
      ].sort((x, y) => x.ownerCompanyId.localeCompare(y.ownerCompanyId)),
    );
    const seenByB = await call(h, 'GET', path(), { user: partnerB });
    expect(seenByB.body.programs).toEqual([{ ownerCompanyId: acmeId, partners: [rowB] }]);
    for (const body of [seenByA.body, seenByB.body]) expect(JSON.stringify(body)).not.toContain(PRIVATE);

    const theirs = await call(h, 'GET', path(), { user: initech });
    expect(theirs.body.programs).toEqual([{ ownerCompanyId: initechId, partners: [expect.objectContaining(initechRow)] }]);
  });

  it.each([
    ['`from` after `to`', '?from=2026-06-01T00:00:00Z&to=2026-05-01T00:00:00Z', 'from'],
    ['a window over 366 days', '?from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'to'],
    ['a date that is not one', '?from=yesterday', 'from'],
    ['an unknown parameter', '?stage=pending', ''],
    ['a pipeline key that is not one', '?pipelineKey=', 'pipelineKey'],
  ])('When the query has %s, then 400 with the reason, and nothing changes', async (_what, query, field) => {
    const before = await h.db.collection(COLLECTIONS.events).countDocuments({});
    const res = await call(h, 'GET', `/v1/partners/scorecard${query}`, { user: acme });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    if (field) expect(res.body.error.details.fieldErrors).toHaveProperty(field);
    expect(await h.db.collection(COLLECTIONS.events).countDocuments({})).toBe(before);
  });

  it('When an owner asks about a pipeline it does not have, then 404', async () => {
    expect((await call(h, 'GET', `/v1/partners/scorecard?pipelineKey=${uid('nope')}`, { user: acme })).status).toBe(404);
  });
});
