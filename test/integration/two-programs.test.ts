import { COLLECTIONS } from '../../activities/store';
import { LEAD_STAGES, PARTNER_LEAD_KEY, partnerLeadTemplate } from '../../workflows/domain/templates/partner-lead';
import { call, type TestUser } from '../support/auth';
import { seedDemo, type DemoWorld } from '../support/demo';
import { uid } from '../support/factories';
import { eventually, startHarness, type Harness } from '../support/harness';
import { publishPipeline, recordInstanceId } from '../support/pipelines';

const DAY_MS = 86_400_000;
/** Slack for "≈ created + N days": the time between the API's clock and the workflow's step, never a speed bar. */
const SLACK_MS = 60_000;
const PRIVATE = ['amount', 'contactPhone', 'internalNotes'] as const;
const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();

interface Lead {
  id: string;
  instanceId: string;
  createdAt: string;
  secrets: Record<(typeof PRIVATE)[number], unknown>;
}

/**
 * Two owning companies, each with its own Partner lead program under the same
 * key: Acme gives its partners 7 days to accept and 30 to convert, Initech 3
 * and 14. Partner A is in both programs, partner B in Acme's only.
 */
describe('two partner programs side by side', () => {
  let h: Harness;
  let demo: DemoWorld;
  let acme: TestUser;
  let initech: TestUser;
  let partnerA: TestUser;
  let partnerB: TestUser;

  beforeAll(async () => {
    h = await startHarness();
    demo = await seedDemo(h);
    ({ sales: acme, initech_sales: initech, partnerA_user: partnerA, partnerB_user: partnerB } = demo.users);
    await publishPipeline(h, demo.users.admin, partnerLeadTemplate());
    await publishPipeline(h, demo.users.initech_admin, partnerLeadTemplate({ acceptWithin: '3d', convertWithin: '14d' }));
  });
  afterAll(async () => {
    demo?.cleanup();
    await h?.stop();
  });

  async function lead(seller: TestUser, partner: string, fields: Record<string, unknown> = {}): Promise<Lead> {
    const secrets = { amount: 10_000 + Math.floor(Math.random() * 90_000), contactPhone: `PRIVATE-${uid('p')}`, internalNotes: `PRIVATE-${uid('n')}` };
    const res = await call(h, 'POST', '/v1/records/lead', { user: seller, body: { fields: { title: `Lead ${uid('t')}`, ...secrets, ...fields }, partnerCompanyId: partner } });
    expect(res.status).toBe(201);
    const instanceId = recordInstanceId(seller.actor.companyId!, PARTNER_LEAD_KEY, 'lead', res.body.id);
    expect(res.body.instances).toEqual([{ instanceId, outcome: 'started' }]);
    return { id: res.body.id, instanceId, createdAt: res.body.createdAt, secrets };
  }

  const read = (user: TestUser, id: string) => call(h, 'GET', `/v1/records/lead/${id}`, { user });
  const accept = (user: TestUser, id: string) => call(h, 'POST', `/v1/leads/${id}/accept`, { user });

  it("When each owner sends partner A a lead, then each runs its own company's program with its own windows", async () => {
    const [fromAcme, fromInitech] = [await lead(acme, demo.companies.partnerA), await lead(initech, demo.companies.partnerA)];
    const window = async (l: Lead) => Date.parse(String((await h.stores.records.get(l.id))!.fields.expiresAt)) - Date.parse(l.createdAt);
    expect(Math.abs((await window(fromAcme)) - 7 * DAY_MS)).toBeLessThan(SLACK_MS);
    expect(Math.abs((await window(fromInitech)) - 3 * DAY_MS)).toBeLessThan(SLACK_MS);
    expect(await h.stores.instances.get(fromAcme.instanceId)).toMatchObject({ companyId: demo.companies.owner, pipelineKey: PARTNER_LEAD_KEY, stage: LEAD_STAGES.pending });
    expect(await h.stores.instances.get(fromInitech.instanceId)).toMatchObject({ companyId: demo.companies.owner2, pipelineKey: PARTNER_LEAD_KEY, stage: LEAD_STAGES.pending });

    // Partner A acts in both: accepting restarts each deadline at that program's convert window.
    for (const [l, days] of [[fromAcme, 30], [fromInitech, 14]] as const) {
      const accepted = await accept(partnerA, l.id);
      expect(accepted.status).toBe(200);
      const { acceptedAt, expiresAt } = accepted.body.record.fields;
      expect(Date.parse(expiresAt) - Date.parse(acceptedAt)).toBe(days * DAY_MS);
      expect((await h.stores.instances.get(l.instanceId))?.stage).toBe(LEAD_STAGES.accepted);
    }
  });

  it("When partner A reads its leads of both owners, then it sees exactly those, and neither owner's private fields until it accepts", async () => {
    const [fromAcme, fromInitech, toB] = [await lead(acme, demo.companies.partnerA), await lead(initech, demo.companies.partnerA), await lead(acme, demo.companies.partnerB)];
    const listed = await call(h, 'GET', '/v1/records/lead?limit=100', { user: partnerA });
    expect(listed.status).toBe(200);
    const ids = listed.body.items.map((r: { id: string }) => r.id);
    expect(ids).toEqual(expect.arrayContaining([fromAcme.id, fromInitech.id]));
    expect(ids).not.toContain(toB.id);
    for (const item of listed.body.items) expect(item.partnerCompanyId).toBe(demo.companies.partnerA);

    for (const l of [fromAcme, fromInitech]) {
      const seen = await read(partnerA, l.id);
      expect(seen.status).toBe(200);
      for (const field of PRIVATE) expect(seen.body.fields).not.toHaveProperty(field);
      expect(JSON.stringify(seen.body)).not.toContain(String(l.secrets.contactPhone));
    }
    // After accepting Initech's lead, its private fields are partner A's to read; Acme's pending lead keeps them hidden.
    expect((await accept(partnerA, fromInitech.id)).status).toBe(200);
    expect((await read(partnerA, fromInitech.id)).body.fields).toMatchObject(fromInitech.secrets);
    for (const field of PRIVATE) expect((await read(partnerA, fromAcme.id)).body.fields).not.toHaveProperty(field);

    // Partner B is in Acme's program only: Initech's lead and partner A's are not there for it.
    expect((await read(partnerB, fromInitech.id)).status).toBe(404);
    expect((await read(partnerB, fromAcme.id)).status).toBe(404);
    expect((await read(partnerB, toB.id)).status).toBe(200);
    expect((await accept(partnerB, fromInitech.id)).status).toBe(404);
    expect((await h.stores.instances.get(fromInitech.instanceId))?.stage).toBe(LEAD_STAGES.accepted);
  });

  it("When Initech sends a lead to partner B, who is not in its program, then 422 partner_not_in_program and nothing is stored", async () => {
    const title = `Refused ${uid('t')}`;
    const res = await call(h, 'POST', '/v1/records/lead', { user: initech, body: { fields: { title }, partnerCompanyId: demo.companies.partnerB } });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'partner_not_in_program', details: { partnerCompanyId: demo.companies.partnerB } });
    expect(await h.db.collection(COLLECTIONS.records).findOne({ 'fields.title': title })).toBeNull();
  });

  it("When partner A tries to reassign Initech's lead, then it is refused alike whether the partner named is in Initech's program or not", async () => {
    const l = await lead(initech, demo.companies.partnerA);
    expect((await call(h, 'POST', `/v1/leads/${l.id}/decline`, { user: partnerA, body: { reason: 'no capacity' } })).status).toBe(200);
    const answers = [];
    for (const named of [demo.companies.partnerA, demo.companies.partnerB, 'cmp_nobody']) {
      const res = await call(h, 'POST', `/v1/leads/${l.id}/reassign`, { user: partnerA, body: { partnerCompanyId: named } });
      answers.push([res.status, res.body.error?.code]);
    }
    expect(answers).toEqual([[409, 'not_allowed'], [409, 'not_allowed'], [409, 'not_allowed']]);
    expect((await h.stores.instances.get(l.instanceId))?.stage).toBe(LEAD_STAGES.declined);
    // Initech's own sales may reassign it, into its program only.
    const refused = await call(h, 'POST', `/v1/leads/${l.id}/reassign`, { user: initech, body: { partnerCompanyId: demo.companies.partnerB } });
    expect(refused.body.error?.code).toBe('partner_not_in_program');
    expect((await h.stores.instances.get(l.instanceId))?.stage).toBe(LEAD_STAGES.declined);
  });

  it("When each owner lists its partner-lead instances, then it sees only its own, and partner A sees its own of both", async () => {
    const [fromAcme, fromInitech] = [await lead(acme, demo.companies.partnerA), await lead(initech, demo.companies.partnerA)];
    const listed = async (user: TestUser) => {
      const res = await call(h, 'GET', `/v1/instances?pipelineKey=${PARTNER_LEAD_KEY}&limit=100`, { user });
      expect(res.status).toBe(200);
      return res.body.items as Array<{ instanceId: string; companyId?: string }>;
    };
    const acmeIds = (await listed(demo.users.admin)).map((i) => i.instanceId);
    const initechIds = (await listed(demo.users.initech_admin)).map((i) => i.instanceId);
    expect(acmeIds).toContain(fromAcme.instanceId);
    expect(acmeIds).not.toContain(fromInitech.instanceId);
    expect(initechIds).toContain(fromInitech.instanceId);
    expect(initechIds).not.toContain(fromAcme.instanceId);
    expect(initechIds.every((id) => id.startsWith(`pipeline:${demo.companies.owner2}:`))).toBe(true);
    expect((await listed(partnerA)).map((i) => i.instanceId)).toEqual(expect.arrayContaining([fromAcme.instanceId, fromInitech.instanceId]));

    // The SRE's filter for one tenant's program.
    const query = `CompanyId='${demo.companies.owner2}' AND PipelineKey='${PARTNER_LEAD_KEY}' AND TaskQueue='${h.taskQueue}'`;
    const found = await eventually(async () => {
      const ids: string[] = [];
      for await (const wf of h.client.workflow.list({ query })) ids.push(wf.workflowId);
      return ids.includes(fromInitech.instanceId) && ids;
    });
    expect(found).not.toContain(fromAcme.instanceId);
  });

  it("When Initech's lead reaches the deadline on its record, then it expires while Acme's lead sent at the same moment stays pending", async () => {
    const [fromAcme, fromInitech] = [await lead(acme, demo.companies.partnerA), await lead(initech, demo.companies.partnerA, { expiresAt: inSeconds(3) })];
    const expired = await eventually(async () => {
      const projection = await h.stores.instances.get(fromInitech.instanceId);
      return projection?.stage === LEAD_STAGES.expired && projection;
    }, 30_000);
    expect(expired).toMatchObject({ status: 'finished', companyId: demo.companies.owner2 });
    expect((await h.stores.records.get(fromInitech.id))?.fields.status).toBe(LEAD_STAGES.expired);
    expect((await h.stores.instances.get(fromAcme.instanceId))?.stage).toBe(LEAD_STAGES.pending);
  });
});
