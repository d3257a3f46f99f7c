import { COLLECTIONS } from '../../activities/store';
import { call, type TestUser } from '../support/auth';
import { seedDemo, type DemoWorld } from '../support/demo';
import { eventually, startHarness, type Harness } from '../support/harness';
import { isAuthentic, RECEIVER_NETWORKS, startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

jest.setTimeout(120_000);

/**
 * Issue 32, item 3: the operator's access to a tenant is break-glass. Its key
 * for a tenant's admin needs a reason, expires within OPERATOR_KEY_TTL (4 hours
 * here), goes into the tenant's audit trail, raises security.api_key_issued to
 * the tenant's webhooks and no other's, and is listed to the tenant's admins,
 * who can revoke it. Any key may expire; an expired one gets 401 with the reason.
 */
const TTL_MS = 4 * 3_600_000;

const withKey = (user: TestUser, key: string): TestUser => ({ ...user, apiKey: key, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } });

describe('Break-glass keys and expiring keys', () => {
  let h: Harness;
  let demo: DemoWorld;
  let operator: TestUser;
  let acmeAdmin: TestUser;
  let initechAdmin: TestUser;
  let acmeRx: WebhookReceiver;
  let initechRx: WebhookReceiver;
  let acmeSecret: string;
  const keyCount = () => h.db.collection(COLLECTIONS.apiKeys).countDocuments({});

  beforeAll(async () => {
    h = await startHarness({ webhookAllowNetworks: RECEIVER_NETWORKS, operatorKeyTtlMs: TTL_MS });
    demo = await seedDemo(h);
    ({ operator, admin: acmeAdmin, initech_admin: initechAdmin } = demo.users);
    [acmeRx, initechRx] = await Promise.all([startWebhookReceiver(), startWebhookReceiver()]);
    const hook = async (admin: TestUser, companyId: string, url: string) => {
      const res = await call(h, 'POST', '/v1/webhooks', { user: admin, body: { companyId, url, events: ['security.api_key_issued'] } });
      expect(res.status).toBe(201);
      return res.body.secret as string;
    };
    acmeSecret = await hook(acmeAdmin, demo.companies.owner, acmeRx.url);
    await hook(initechAdmin, demo.companies.owner2, initechRx.url);
  });
  afterAll(async () => {
    await Promise.all([acmeRx?.close(), initechRx?.close()]);
    demo?.cleanup();
    await h?.stop();
  });

  const issueForAcmeAdmin = (body?: unknown) => call(h, 'POST', `/v1/users/${acmeAdmin.actor.userId}/api-keys`, { user: operator, body });

  it("When the operator issues a key for a tenant's admin without a reason, then 422 reason_required and no key is made", async () => {
    const before = await keyCount();
    const res = await issueForAcmeAdmin();
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('reason_required');
    expect(await keyCount()).toBe(before);
  });

  it('When the operator asks for a break-glass key that outlives OPERATOR_KEY_TTL, then 422 invalid_expiry and no key is made', async () => {
    const before = await keyCount();
    const res = await issueForAcmeAdmin({ reason: 'recovery', expiresAt: new Date(Date.now() + TTL_MS + 60_000).toISOString() });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'invalid_expiry', details: { latest: expect.any(String) } });
    expect(await keyCount()).toBe(before);
  });

  it("When the operator issues a key for Acme's admin, then it expires within the TTL, Acme's trail and webhooks (not Initech's) hear of it, and Acme's admin sees and revokes it", async () => {
    const t0 = Date.now();
    const issued = await issueForAcmeAdmin({ reason: 'Acme lost its admin key (ticket 4711)' });
    const t1 = Date.now();
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ userId: acmeAdmin.actor.userId, breakGlass: true, reason: 'Acme lost its admin key (ticket 4711)', issuedBy: { userId: operator.actor.userId } });
    const expiresAt = Date.parse(issued.body.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(t0 + TTL_MS - 1_000);
    expect(expiresAt).toBeLessThanOrEqual(t1 + TTL_MS);
    const key = withKey(acmeAdmin, issued.body.key);
    expect((await call(h, 'GET', '/v1/me', { user: key })).body.user.id).toBe(acmeAdmin.actor.userId);

    // The tenant's audit trail: who issued it, when, for whom, why, until when.
    const trail = await call(h, 'GET', '/v1/audit', { user: acmeAdmin });
    expect(trail.status).toBe(200);
    const entry = trail.body.items.find((e: { subject: { keyId?: string } }) => e.subject.keyId === issued.body.id);
    expect(entry).toMatchObject({
      companyId: demo.companies.owner,
      kind: 'api_key.issued',
      at: issued.body.createdAt,
      actor: { userId: operator.actor.userId, companyId: demo.companies.platform, name: expect.any(String) },
      subject: { userId: acmeAdmin.actor.userId, name: expect.any(String), keyPrefix: issued.body.prefix },
      breakGlass: true,
      reason: 'Acme lost its admin key (ticket 4711)',
      expiresAt: issued.body.expiresAt,
    });
    const initechTrail = await call(h, 'GET', '/v1/audit', { user: initechAdmin });
    expect(JSON.stringify(initechTrail.body)).not.toContain(issued.body.id);

    // Acme's webhook hears of it, signed; Initech's does not.
    const notice = await eventually(async () => acmeRx.accepted().find((r) => r.body?.key?.id === issued.body.id), 30_000);
    expect(isAuthentic(notice, acmeSecret)).toBe(true);
    expect(notice.body).toMatchObject({
      type: 'security.api_key_issued',
      companyId: demo.companies.owner,
      actor: { userId: operator.actor.userId, companyId: demo.companies.platform },
      user: { userId: acmeAdmin.actor.userId },
      key: { id: issued.body.id, prefix: issued.body.prefix, expiresAt: issued.body.expiresAt },
      breakGlass: true,
      reason: 'Acme lost its admin key (ticket 4711)',
    });
    expect(initechRx.received.filter((r) => r.raw.includes(issued.body.id))).toEqual([]);

    // Listed to Acme's admins with who issued it, and revoked by them: the key stops working.
    const listed = await call(h, 'GET', '/v1/api-keys', { user: acmeAdmin });
    expect(listed.body.items.find((k: { id: string }) => k.id === issued.body.id)).toMatchObject({ breakGlass: true, issuedBy: { userId: operator.actor.userId }, expiresAt: issued.body.expiresAt });
    expect(JSON.stringify((await call(h, 'GET', '/v1/api-keys', { user: initechAdmin })).body)).not.toContain(issued.body.id);
    const revoked = await call(h, 'POST', `/v1/api-keys/${issued.body.id}/revoke`, { user: acmeAdmin });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ revokedAt: expect.any(String), revokedBy: acmeAdmin.actor.userId });
    const refused = await call(h, 'GET', '/v1/me', { user: key });
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toContain('revoked');
    const after = await call(h, 'GET', '/v1/audit', { user: acmeAdmin });
    expect(after.body.items[0]).toMatchObject({ kind: 'api_key.revoked', actor: { userId: acmeAdmin.actor.userId }, subject: { keyId: issued.body.id } });
  });

  it("When a Company Admin issues a key for its own user, then it is in the trail and the webhook's notice, not marked break-glass", async () => {
    const issued = await call(h, 'POST', `/v1/users/${demo.users.sales.actor.userId}/api-keys`, { user: acmeAdmin });
    expect(issued.status).toBe(201);
    expect(issued.body.breakGlass).toBeUndefined();
    expect(issued.body.expiresAt).toBeUndefined();
    const trail = await call(h, 'GET', '/v1/audit', { user: acmeAdmin });
    expect(trail.body.items.find((e: { subject: { keyId?: string } }) => e.subject.keyId === issued.body.id)).toMatchObject({ kind: 'api_key.issued', actor: { userId: acmeAdmin.actor.userId } });
    const notice = await eventually(async () => acmeRx.accepted().find((r) => r.body?.key?.id === issued.body.id), 30_000);
    expect(notice.body).toMatchObject({ breakGlass: false, reason: null, key: { expiresAt: null } });
  });

  it('When a key is made with an expiry, then it works until then, and after it answers 401 saying it expired', async () => {
    const sales = demo.users.sales;
    const past = await call(h, 'POST', `/v1/users/${sales.actor.userId}/api-keys`, { user: sales, body: { expiresAt: new Date(Date.now() - 1_000).toISOString() } });
    expect(past.status).toBe(422);
    expect(past.body.error.code).toBe('invalid_expiry');

    const created = await call(h, 'POST', `/v1/users/${sales.actor.userId}/api-keys`, { user: sales, body: { expiresAt: new Date(Date.now() + 1_500).toISOString() } });
    expect(created.status).toBe(201);
    const key = withKey(sales, created.body.key);
    expect((await call(h, 'GET', '/v1/me', { user: key })).status).toBe(200);
    const expired = await eventually(async () => {
      const res = await call(h, 'GET', '/v1/me', { user: key });
      return res.status === 401 && res;
    }, 10_000);
    expect(expired.body.error).toMatchObject({ code: 'unauthenticated', message: `the API key expired at ${created.body.expiresAt}` });
    expect(expired.headers.get('www-authenticate')).toBe('Bearer');
    // The holder's other keys still work.
    expect((await call(h, 'GET', '/v1/me', { user: sales })).status).toBe(200);
  });
});
