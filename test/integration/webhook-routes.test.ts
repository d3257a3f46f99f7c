import { call, seedUser, type TestUser } from '../support/auth';
import { uid } from '../support/factories';
import { startHarness, type Harness } from '../support/harness';
import { RECEIVER_NETWORKS } from '../support/webhook-receiver';

describe('Webhook routes: admins only, the secret shown once', () => {
  let h: Harness;
  let admin: TestUser;
  let sales: TestUser;
  let partnerAdmin: TestUser;
  let company: string;
  const url = 'https://hooks.example.test/propeller';

  beforeAll(async () => {
    h = await startHarness({ worker: false, webhookAllowNetworks: RECEIVER_NETWORKS });
    company = uid('cmp');
    admin = await seedUser(h, { companyId: company, roles: ['admin'] });
    sales = await seedUser(h, { companyId: company, roles: ['sales'] });
    partnerAdmin = await seedUser(h, { companyKind: 'partner', roles: ['partner_admin'] });
  });
  afterAll(async () => h?.stop());

  const post = (body: Record<string, unknown>, user = admin) =>
    call(h, 'POST', '/v1/webhooks', { user, body: { companyId: company, url, events: ['stage.entered'], ...body } });

  it('When an admin registers a webhook, then the create answer has the secret and no later answer does', async () => {
    const created = await post({ events: ['lead.accepted', 'stage.entered'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ companyId: company, url, events: ['lead.accepted', 'stage.entered'], active: true, createdBy: admin.actor.userId });
    expect(created.body.secret).toMatch(/^whsec_[\w-]{43}$/);
    expect(created.headers.get('location')).toBe(`/v1/webhooks/${created.body.id}`);
    const { secret, ...rest } = created.body;

    const list = await call(h, 'GET', '/v1/webhooks', { user: admin });
    const one = await call(h, 'GET', `/v1/webhooks/${rest.id}`, { user: admin });
    expect(list.body.items).toContainEqual(rest);
    expect(one.body).toEqual(rest);
    const disabled = await call(h, 'POST', `/v1/webhooks/${rest.id}/disable`, { user: admin });
    expect(disabled.body).toMatchObject({ id: rest.id, active: false, disabledAt: expect.any(String) });
    for (const answer of [list, one, disabled].map((r) => JSON.stringify(r.body))) {
      expect(answer).not.toContain('secret');
      expect(answer).not.toContain(secret);
    }
  });

  it("When a non-admin calls a webhook route, then it is refused with 403; a partner admin is refused the owner's webhooks", async () => {
    const { body } = await post({});
    const routes = [['POST', '/v1/webhooks'], ['GET', '/v1/webhooks'], ['GET', `/v1/webhooks/${body.id}`], ['POST', `/v1/webhooks/${body.id}/disable`]] as const;
    const expected = new Map([[sales, [403, 403, 403, 403]], [partnerAdmin, [403, 200, 404, 404]]]);
    for (const [user, statuses] of expected) {
      const got = [];
      for (const [method, path] of routes) {
        const res = await call(h, method, path, { user, body: path === '/v1/webhooks' && method === 'POST' ? { companyId: company, url, events: ['stage.entered'] } : undefined });
        got.push(res.status);
        if (res.status === 200) expect(JSON.stringify(res.body)).not.toContain(body.id);
      }
      expect(got).toEqual(statuses);
    }
    expect((await call(h, 'GET', `/v1/webhooks/${body.id}`, { user: admin })).body.active).toBe(true);
  });

  it("When a partner company's admin registers a webhook for its own company, then it lists, reads and disables it, and nobody else sees it", async () => {
    const partnerCompany = partnerAdmin.actor.companyId!;
    const created = await call(h, 'POST', '/v1/webhooks', { user: partnerAdmin, body: { companyId: partnerCompany, url, events: ['lead.accepted'] } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ companyId: partnerCompany, secret: expect.stringMatching(/^whsec_/) });
    const id = created.body.id as string;
    expect((await call(h, 'GET', '/v1/webhooks', { user: partnerAdmin })).body.items.map((w: { id: string }) => w.id)).toEqual([id]);
    expect((await call(h, 'GET', '/v1/webhooks', { user: admin })).body.items.map((w: { id: string }) => w.id)).not.toContain(id);
    expect((await call(h, 'GET', `/v1/webhooks/${id}`, { user: admin })).status).toBe(404);
    const partnerUser = await seedUser(h, { companyId: partnerCompany, roles: ['partner_user'] });
    expect((await call(h, 'GET', `/v1/webhooks/${id}`, { user: partnerUser })).status).toBe(403);
    const disabled = await call(h, 'POST', `/v1/webhooks/${id}/disable`, { user: partnerAdmin });
    expect(disabled.status).toBe(200);
    expect((await h.stores.webhooks.getFor(partnerCompany, id))?.active).toBe(false);
  });

  it.each(['ftp://x', 'not a url', 'javascript:alert(1)', 'file:///etc/passwd'])('When the url is %s, then it is a 400 about the url', async (bad) => {
    const res = await post({ url: bad });
    expect(res.status).toBe(400);
    expect(res.body.error.details.fieldErrors).toHaveProperty('url');
  });

  it.each<[string, Record<string, unknown>, number]>([
    ['no events', { events: [] }, 400],
    ['an unknown event', { events: ['lead.won'] }, 400],
    ['an event twice', { events: ['stage.entered', 'stage.entered'] }, 400],
    ['a secret of its own', { secret: 'whsec_mine' }, 400],
    // A Company Admin registers webhooks for its own company only; whether another company exists is not its to learn.
    ['a company that does not exist', { companyId: 'cmp_nope' }, 403],
  ])('When the body has %s, then it is refused with %i', async (_what, body, status) => {
    expect((await post(body)).status).toBe(status);
  });

  it('When an unknown webhook is asked for or disabled, then it is a 404', async () => {
    expect((await call(h, 'GET', '/v1/webhooks/whk_nope', { user: admin })).status).toBe(404);
    expect((await call(h, 'POST', '/v1/webhooks/whk_nope/disable', { user: admin })).status).toBe(404);
  });
});
