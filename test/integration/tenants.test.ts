import { COLLECTIONS } from '../../activities/store';
import { call, seedUser, type TestUser } from '../support/auth';
import { uid } from '../support/factories';
import { startHarness, type Harness } from '../support/harness';
import { RECEIVER_NETWORKS } from '../support/webhook-receiver';
import { createRecord, instancePath, publishPipeline, startInstance, testPipeline } from '../support/pipelines';

/** A TestUser for a key minted through the API. */
const withKey = (userId: string, companyId: string, roles: string[], apiKey: string): TestUser => ({
  actor: { kind: 'user', userId, companyId, roles },
  apiKey,
  headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
});

interface Tenant {
  company: string;
  admin: TestUser;
  sales: TestUser;
  instanceId: string;
  webhookId: string;
}

/**
 * Two owner companies side by side, each with its Company Admin, a sales user,
 * a running instance and a webhook; a partner company; the platform operator.
 * Neither admin sees or changes anything of the other's, and the operator
 * reads no record data.
 */
describe('Tenants: Company Admins run their own company; the operator runs the platform', () => {
  let h: Harness;
  let acme: Tenant;
  let globex: Tenant;
  let partner: TestUser;
  let operator: TestUser;
  const type = uid('ticket');
  /** Each tenant publishes its own pipeline of this key. */
  const def = testPipeline('Tickets', type, [
    { key: 'open', name: 'Open', type: 'normal', initial: true },
    { key: 'done', name: 'Done', type: 'success' },
  ]);
  const pipelineKey = def.key;

  const users = () => h.db.collection(COLLECTIONS.users);
  const companies = () => h.db.collection(COLLECTIONS.companies);
  const webhookDoc = (id: string) => h.db.collection(COLLECTIONS.webhooks).findOne({ _id: id as never });
  const ids = (items: Array<{ id?: string; instanceId?: string }>) => items.map((i) => i.instanceId ?? i.id);

  async function tenant(): Promise<Tenant> {
    const company = uid('cmp_owner');
    const admin = await seedUser(h, { companyId: company, roles: ['admin'] });
    const sales = await seedUser(h, { companyId: company, roles: ['sales'] });
    await publishPipeline(h, admin, def);
    const record = await createRecord(h, sales, type, { fields: { title: `Ticket of ${company}`, amount: 1_000 } });
    const started = await startInstance(h, sales, pipelineKey, record.id);
    if (started.status !== 201) throw new Error(`starting: ${started.status} ${JSON.stringify(started.body)}`);
    // deadline.fired: nothing in this suite reaches a deadline, so no delivery is ever tried.
    const hook = await call(h, 'POST', '/v1/webhooks', { user: admin, body: { companyId: company, url: 'http://127.0.0.1:9/hook', events: ['deadline.fired'] } });
    if (hook.status !== 201) throw new Error(`webhook: ${hook.status} ${JSON.stringify(hook.body)}`);
    return { company, admin, sales, instanceId: started.body.instanceId as string, webhookId: hook.body.id as string };
  }

  beforeAll(async () => {
    h = await startHarness({ webhookAllowNetworks: RECEIVER_NETWORKS });
    [acme, globex] = [await tenant(), await tenant()];
    partner = await seedUser(h, { companyKind: 'partner', roles: ['partner_user'] });
    operator = await seedUser(h, { companyKind: 'platform', roles: ['operator'] });
  });
  afterAll(async () => h?.stop());

  describe("a Company Admin and another company's people", () => {
    it("When an admin lists or reads the other company's users, then they are not there and each is a 404", async () => {
      const listed = await call(h, 'GET', '/v1/users', { user: globex.admin });
      expect(listed.status).toBe(200);
      expect(ids(listed.body.items).sort()).toEqual([globex.admin.actor.userId, globex.sales.actor.userId].sort());
      for (const other of [acme.admin, acme.sales, partner]) {
        const res = await call(h, 'GET', `/v1/users/${other.actor.userId}`, { user: globex.admin });
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('not_found');
      }
    });

    it("When an admin patches the other company's user, then 404 and the user is unchanged", async () => {
      const before = await users().findOne({ _id: acme.sales.actor.userId as never });
      const res = await call(h, 'PATCH', `/v1/users/${acme.sales.actor.userId}`, { user: globex.admin, body: { roles: ['admin'], name: 'Taken over' } });
      expect(res.status).toBe(404);
      expect(await users().findOne({ _id: acme.sales.actor.userId as never })).toEqual(before);
    });

    it("When an admin creates, lists or revokes keys of the other company's user, then 404 and the keys are as they were", async () => {
      const keys = () => h.db.collection(COLLECTIONS.apiKeys).find({ userId: acme.sales.actor.userId }).toArray();
      const before = await keys();
      expect((await call(h, 'POST', `/v1/users/${acme.sales.actor.userId}/api-keys`, { user: globex.admin })).status).toBe(404);
      expect((await call(h, 'GET', `/v1/users/${acme.sales.actor.userId}/api-keys`, { user: globex.admin })).status).toBe(404);
      expect((await call(h, 'POST', `/v1/api-keys/${String(before[0]!._id)}/revoke`, { user: globex.admin })).status).toBe(404);
      expect(await keys()).toEqual(before);
      expect((await call(h, 'GET', '/v1/me', { user: acme.sales })).status).toBe(200);
    });

    it('When an admin creates a user in another owner company or a partner company, then 403 and nothing is written', async () => {
      for (const companyId of [acme.company, partner.actor.companyId!]) {
        const email = `${uid('intruder')}@example.test`;
        const res = await call(h, 'POST', '/v1/users', { user: globex.admin, body: { companyId, name: 'Intruder', email, roles: ['sales'] } });
        expect(res.status).toBe(403);
        expect(res.body.error.code).toBe('forbidden');
        expect(await users().findOne({ email })).toBeNull();
      }
    });

    it('When an admin gives a user of its own company the operator role, then 403 and the user is unchanged', async () => {
      const before = await users().findOne({ _id: globex.sales.actor.userId as never });
      const res = await call(h, 'PATCH', `/v1/users/${globex.sales.actor.userId}`, { user: globex.admin, body: { roles: ['operator'] } });
      expect(res.status).toBe(403);
      expect(await users().findOne({ _id: globex.sales.actor.userId as never })).toEqual(before);
      const email = `${uid('op')}@example.test`;
      const made = await call(h, 'POST', '/v1/users', { user: globex.admin, body: { companyId: globex.company, name: 'Op', email, roles: ['operator'] } });
      expect(made.status).toBe(403);
      expect(await users().findOne({ email })).toBeNull();
    });

    it('When an admin lists companies, then it sees its own and the partner companies, not the other owner nor the platform', async () => {
      const listed = ids((await call(h, 'GET', '/v1/companies', { user: globex.admin })).body.items);
      expect(listed).toContain(globex.company);
      expect(listed).toContain(partner.actor.companyId);
      expect(listed).not.toContain(acme.company);
      expect(listed).not.toContain(operator.actor.companyId);
      expect((await call(h, 'GET', `/v1/companies/${acme.company}`, { user: globex.admin })).status).toBe(404);
    });

    it('When an admin creates an owner company, then 403 and nothing is written', async () => {
      const name = uid('owner-by-admin');
      const res = await call(h, 'POST', '/v1/companies', { user: globex.admin, body: { name, kind: 'owner', admin: { name: 'X', email: `${uid('x')}@example.test` } } });
      expect(res.status).toBe(403);
      expect(await companies().findOne({ name })).toBeNull();
    });
  });

  describe("a Company Admin and another company's webhooks and instances", () => {
    it("When an admin lists, reads or disables the other company's webhook, then it is not listed, 404, and the webhook stays enabled", async () => {
      const listed = await call(h, 'GET', '/v1/webhooks', { user: globex.admin });
      expect(ids(listed.body.items)).toEqual([globex.webhookId]);
      expect((await call(h, 'GET', `/v1/webhooks/${acme.webhookId}`, { user: globex.admin })).status).toBe(404);
      const disabled = await call(h, 'POST', `/v1/webhooks/${acme.webhookId}/disable`, { user: globex.admin });
      expect(disabled.status).toBe(404);
      expect(await webhookDoc(acme.webhookId)).toMatchObject({ active: true });
      expect((await call(h, 'GET', `/v1/webhooks/${acme.webhookId}`, { user: acme.admin })).body.active).toBe(true);
    });

    it('When an admin registers a webhook for another company, then 403 and nothing is written', async () => {
      const count = () => h.db.collection(COLLECTIONS.webhooks).countDocuments({ companyId: acme.company });
      const before = await count();
      const res = await call(h, 'POST', '/v1/webhooks', { user: globex.admin, body: { companyId: acme.company, url: 'http://127.0.0.1:9/x', events: ['deadline.fired'] } });
      expect(res.status).toBe(403);
      expect(await count()).toBe(before);
    });

    it("When an admin lists instances, then it sees its company's and not the other's", async () => {
      const listed = ids((await call(h, 'GET', `/v1/instances?pipelineKey=${pipelineKey}`, { user: globex.admin })).body.items);
      expect(listed).toEqual([globex.instanceId]);
      expect((await call(h, 'GET', instancePath(acme.instanceId), { user: globex.admin })).status).toBe(404);
    });

    it("When a company reads its forecast, then only its own open amounts are summed", async () => {
      const res = await call(h, 'GET', `/v1/forecast?pipelineKey=${pipelineKey}`, { user: globex.sales });
      expect(res.status).toBe(200);
      expect(res.body.byOwner).toEqual([expect.objectContaining({ ownerId: globex.sales.actor.userId, count: 1, amount: 1_000 })]);
      expect(JSON.stringify(res.body)).not.toContain(acme.sales.actor.userId);
    });

    it("When an admin of the company a record is assigned to cancels its instance, then 404 and it is still running", async () => {
      // It sees the instance (its company is the record's partner) but the instance is the owning company's to cancel.
      const assignee = uid('cmp_assignee');
      const assigneeAdmin = await seedUser(h, { companyId: assignee, companyKind: 'partner', roles: ['admin'] });
      const record = await createRecord(h, acme.sales, type, { fields: { title: 'Assigned' }, partnerCompanyId: assignee });
      const started = await startInstance(h, acme.sales, pipelineKey, record.id);
      expect(started.status).toBe(201);
      const path = instancePath(started.body.instanceId);
      expect((await call(h, 'GET', path, { user: assigneeAdmin })).status).toBe(200);
      const res = await call(h, 'POST', `${path}/cancel`, { user: assigneeAdmin, body: { reason: 'not ours to cancel' } });
      expect(res.status).toBe(404);
      expect(await h.stores.instances.get(started.body.instanceId)).toMatchObject({ status: 'running', stage: 'open' });
      expect((await call(h, 'POST', `${path}/cancel`, { user: acme.admin, body: { reason: 'ours' } })).status).toBe(200);
    });

    it("When an admin cancels the other company's instance, then 404 and it is still running", async () => {
      const res = await call(h, 'POST', `${instancePath(acme.instanceId)}/cancel`, { user: globex.admin, body: { reason: 'not mine' } });
      expect(res.status).toBe(404);
      expect(await h.stores.instances.get(acme.instanceId)).toMatchObject({ status: 'running', stage: 'open' });
      const state = await call(h, 'GET', instancePath(acme.instanceId), { user: acme.sales });
      expect(state.body).toMatchObject({ status: 'running', stage: { key: 'open' } });
    });
  });

  describe('the platform operator', () => {
    it('When the operator creates an owner company with its first admin, then the key works and that admin creates a user of its company', async () => {
      const email = `${uid('first')}@newco.test`;
      const res = await call(h, 'POST', '/v1/companies', { user: operator, body: { name: 'NewCo', kind: 'owner', admin: { name: 'Nia Admin', email } } });
      expect(res.status).toBe(201);
      const { company, admin } = res.body;
      expect(company).toEqual({ id: expect.stringMatching(/^cmp_/), name: 'NewCo', kind: 'owner', createdAt: expect.any(String) });
      expect(admin.user).toMatchObject({ id: expect.stringMatching(/^usr_/), companyId: company.id, name: 'Nia Admin', email, roles: ['admin'] });
      expect(admin.apiKey).toMatchObject({ id: expect.stringMatching(/^key_/), userId: admin.user.id, key: expect.stringMatching(/^pk_/) });
      expect(await users().findOne({ _id: admin.user.id })).toMatchObject({ companyId: company.id, roles: ['admin'] });

      const first = withKey(admin.user.id, company.id, ['admin'], admin.apiKey.key);
      const me = await call(h, 'GET', '/v1/me', { user: first });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ user: { id: admin.user.id }, company: { id: company.id, kind: 'owner' } });

      const colleague = await call(h, 'POST', '/v1/users', { user: first, body: { companyId: company.id, name: 'Sol Sales', email: `${uid('sol')}@newco.test`, roles: ['sales'] } });
      expect(colleague.status).toBe(201);
      expect(await users().findOne({ _id: colleague.body.id })).toMatchObject({ companyId: company.id, roles: ['sales'] });
      expect(ids((await call(h, 'GET', '/v1/users', { user: first })).body.items).sort()).toEqual([admin.user.id, colleague.body.id].sort());

      // The operator sees every company and the admins it made, not the tenants' other people.
      expect(ids((await call(h, 'GET', '/v1/companies', { user: operator })).body.items)).toEqual(expect.arrayContaining([company.id, acme.company, globex.company]));
      expect((await call(h, 'GET', `/v1/companies/${acme.company}`, { user: operator })).status).toBe(200);
      const seen = ids((await call(h, 'GET', '/v1/users', { user: operator })).body.items);
      expect(seen).toEqual(expect.arrayContaining([admin.user.id, acme.admin.actor.userId, operator.actor.userId]));
      expect(seen).not.toContain(colleague.body.id);
      expect(seen).not.toContain(acme.sales.actor.userId);
      expect((await call(h, 'GET', `/v1/users/${acme.sales.actor.userId}`, { user: operator })).status).toBe(404);
    });

    it("When a tenant lost its first admin's key, then the operator issues a new one and revokes the old; a tenant's other users' keys stay 404 to it", async () => {
      const keys = () => h.db.collection(COLLECTIONS.apiKeys);
      // Admins of their own: the old keys are revoked here.
      const ownerAdmin = await seedUser(h, { roles: ['admin'] });
      const partnerAdmin = await seedUser(h, { companyKind: 'partner', programs: [acme.company], roles: ['partner_admin'] });
      for (const first of [ownerAdmin, partnerAdmin]) {
        const issued = await call(h, 'POST', `/v1/users/${first.actor.userId}/api-keys`, { user: operator, body: { reason: 'the tenant lost its admin key' } });
        expect(issued.status).toBe(201);
        expect(issued.body).toMatchObject({ userId: first.actor.userId, key: expect.stringMatching(/^pk_/), breakGlass: true, expiresAt: expect.any(String) });
        const renewed = withKey(first.actor.userId, first.actor.companyId!, first.actor.roles, issued.body.key);
        expect((await call(h, 'GET', '/v1/me', { user: renewed })).body.user.id).toBe(first.actor.userId);

        const listed = await call(h, 'GET', `/v1/users/${first.actor.userId}/api-keys`, { user: operator });
        const old = (listed.body.items as Array<{ id: string }>).find((k) => k.id !== issued.body.id)!;
        const revoked = await call(h, 'POST', `/v1/api-keys/${old.id}/revoke`, { user: operator });
        expect(revoked.status).toBe(200);
        expect(await keys().findOne({ _id: old.id as never })).toMatchObject({ revokedAt: expect.any(String) });
        expect((await call(h, 'GET', '/v1/me', { user: first })).status).toBe(401);
        expect((await call(h, 'GET', '/v1/me', { user: renewed })).status).toBe(200);
      }

      const count = await keys().countDocuments({ userId: globex.sales.actor.userId });
      expect((await call(h, 'POST', `/v1/users/${globex.sales.actor.userId}/api-keys`, { user: operator, body: { reason: 'x' } })).status).toBe(404);
      const salesKey = (await keys().findOne({ userId: globex.sales.actor.userId }))!;
      expect((await call(h, 'POST', `/v1/api-keys/${String(salesKey._id)}/revoke`, { user: operator })).status).toBe(404);
      expect(await keys().countDocuments({ userId: globex.sales.actor.userId })).toBe(count);
      expect(await keys().findOne({ _id: salesKey._id })).not.toHaveProperty('revokedAt');
    });

    it('When the operator calls record, instance, lead, forecast, pipeline and webhook routes, then each is 403 and nothing changes', async () => {
      const record = (await h.stores.instances.get(acme.instanceId))!.recordId;
      const snapshot = async () => ({
        record: await h.db.collection(COLLECTIONS.records).findOne({ _id: record as never }),
        instance: await h.stores.instances.get(acme.instanceId),
        webhook: await webhookDoc(acme.webhookId),
        pipeline: await h.db.collection(COLLECTIONS.pipelines).find({ key: pipelineKey }).toArray(),
        records: await h.db.collection(COLLECTIONS.records).countDocuments({}),
      });
      const before = await snapshot();
      const routes: Array<[string, string, unknown?]> = [
        ['GET', `/v1/records/${type}`],
        ['GET', `/v1/records/${type}/${record}`],
        ['POST', `/v1/records/${type}`, { fields: { title: 'by the operator' } }],
        ['PATCH', `/v1/records/${type}/${record}`, { fields: { title: 'changed' } }],
        ['GET', '/v1/instances'],
        ['GET', instancePath(acme.instanceId)],
        ['GET', `${instancePath(acme.instanceId)}/events`],
        ['POST', '/v1/instances', { pipelineKey, recordId: record }],
        ['POST', `${instancePath(acme.instanceId)}/moves`, { to: 'done' }],
        ['POST', `${instancePath(acme.instanceId)}/cancel`, { reason: 'operator' }],
        ['POST', `/v1/leads/${record}/accept`],
        ['GET', `/v1/forecast?pipelineKey=${pipelineKey}`],
        ['GET', '/v1/pipelines'],
        // express routes paths case-insensitively; so is the refusal.
        ['GET', '/V1/Pipelines'],
        ['GET', `/v1/WEBHOOKS/${acme.webhookId}`],
        ['GET', `/v1/pipelines/${pipelineKey}`],
        ['POST', `/v1/pipelines/${pipelineKey}/disable`],
        ['GET', '/v1/webhooks'],
        ['GET', `/v1/webhooks/${acme.webhookId}`],
        ['POST', `/v1/webhooks/${acme.webhookId}/disable`],
        ['POST', '/v1/webhooks', { companyId: operator.actor.companyId, url: 'http://127.0.0.1:9/x', events: ['deadline.fired'] }],
      ];
      for (const [method, path, body] of routes) {
        const res = await call(h, method, path, { user: operator, body });
        expect([method, path, res.status, res.body?.error?.message]).toEqual([method, path, 403, 'the platform operator reads no record data']);
      }
      expect(await snapshot()).toEqual(before);
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['an owner company with no admin', { name: 'NoAdmin Co', kind: 'owner' }, 'admin'],
      ['an admin with a bad email', { name: 'BadMail Co', kind: 'owner', admin: { name: 'A', email: 'not-an-email' } }, 'email'],
      ['an admin with no name', { name: 'NoName Co', kind: 'owner', admin: { email: 'a@b.test' } }, 'name'],
      ['an admin with roles of its own', { name: 'Roles Co', kind: 'owner', admin: { name: 'A', email: 'a@b.test', roles: ['operator'] } }, 'roles'],
      ['the platform kind', { name: 'Platform 2', kind: 'platform' }, 'kind'],
    ])('When the operator sends %s, then 400 with the reason and nothing is written', async (_case, body, mention) => {
      const [companiesBefore, usersBefore] = [await companies().countDocuments(), await users().countDocuments()];
      const res = await call(h, 'POST', '/v1/companies', { user: operator, body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(JSON.stringify(res.body.error.details)).toContain(mention);
      expect([await companies().countDocuments(), await users().countDocuments()]).toEqual([companiesBefore, usersBefore]);
      expect(await companies().findOne({ name: body.name as string })).toBeNull();
    });
  });
});
