import { COLLECTIONS } from '../../activities/store';
import { PROPELLER_VERSION } from '../../lib/version';
import { hashApiKey } from '../../activities/store/people';
import { call, seedUser, type TestUser } from '../support/auth';
import { uid } from '../support/factories';
import { startHarness, type Harness } from '../support/harness';

/** A TestUser for a key minted through the API. */
const withKey = (userId: string, companyId: string, roles: string[], apiKey: string): TestUser => ({
  actor: { kind: 'user', userId, companyId, roles },
  apiKey,
  headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
});

describe('companies, users, API keys and authentication', () => {
  let h: Harness;
  let admin: TestUser;
  let sales: TestUser;
  let colleague: TestUser;
  let outsider: TestUser;
  const home = uid('cmp');

  beforeAll(async () => {
    h = await startHarness();
    admin = await seedUser(h, { companyId: home, roles: ['admin'] });
    sales = await seedUser(h, { companyId: home, roles: ['sales'] });
    colleague = await seedUser(h, { companyId: home, roles: ['sales'] });
    outsider = await seedUser(h, { companyKind: 'partner', roles: ['partner_user'] });
  });
  afterAll(async () => h?.stop());

  const companies = () => h.db.collection(COLLECTIONS.companies);
  const users = () => h.db.collection(COLLECTIONS.users);
  const apiKeys = () => h.db.collection(COLLECTIONS.apiKeys);
  const keysOf = (userId: string) => apiKeys().find({ userId }).toArray();

  describe('authentication', () => {
    it.each<[string, Record<string, string>]>([
      ['no Authorization header', {}],
      ['a key nobody was given', { authorization: `Bearer pk_${'x'.repeat(43)}` }],
      ['a Basic credential', { authorization: 'Basic dXNlcjpwYXNz' }],
      ['"Bearer" with no key', { authorization: 'Bearer ' }],
    ])('When a caller sends %s to a protected route, then 401 unauthenticated with WWW-Authenticate', async (_case, headers) => {
      const res = await call(h, 'GET', '/v1/me', { headers });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: { code: 'unauthenticated', message: expect.any(String), details: {}, requestId: expect.any(String) } });
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    });

    it('When an anonymous caller tries to create a company, then 401 and nothing is written', async () => {
      const name = uid('anon-co');
      const res = await call(h, 'POST', '/v1/companies', { body: { name, kind: 'partner' } });
      expect(res.status).toBe(401);
      expect(await companies().findOne({ name })).toBeNull();
    });

    it('When /healthz is called without a key, then 200 with the version package.json holds', async () => {
      const res = await call(h, 'GET', '/healthz');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok', version: PROPELLER_VERSION });
    });

    it('When a seeded user calls /v1/me, then it answers with that user and company', async () => {
      const res = await call(h, 'GET', '/v1/me', { user: sales });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ user: { id: sales.actor.userId, companyId: home, roles: ['sales'] }, company: { id: home } });
    });
  });

  describe('an admin onboarding a partner', () => {
    it('When an admin creates a partner company with its admin, who creates a user and a key, then the key is shown once, stored only as a hash, and works until revoked', async () => {
      const adminEmail = `${uid('pam')}@partner.test`;
      const company = await call(h, 'POST', '/v1/companies', { user: admin, body: { name: 'Partner A', admin: { name: 'Pam Admin', email: adminEmail } } });
      expect(company.status).toBe(201);
      // It starts in its admin's company's program.
      expect(company.body.company).toEqual({ id: expect.stringMatching(/^cmp_/), name: 'Partner A', kind: 'partner', programs: [admin.actor.companyId], createdAt: expect.any(String) });
      expect(await companies().findOne({ _id: company.body.company.id })).toMatchObject({ name: 'Partner A', kind: 'partner', programs: [admin.actor.companyId] });
      expect(company.headers.get('location')).toBe(`/v1/companies/${company.body.company.id}`);
      expect(company.body.admin.user).toMatchObject({ companyId: company.body.company.id, email: adminEmail, roles: ['partner_admin'] });
      const partnerAdmin = withKey(company.body.admin.user.id, company.body.company.id, ['partner_admin'], company.body.admin.apiKey.key);
      const companyId: string = company.body.company.id;

      // The owner's admin runs its own company's people only: the partner's admin makes the partner's users.
      const byOwner = await call(h, 'POST', '/v1/users', { user: admin, body: { companyId, name: 'Pat Partner', email: `${uid('no')}@partner.test` } });
      expect(byOwner.status).toBe(403);

      const email = `${uid('pat')}@partner.test`;
      const user = await call(h, 'POST', '/v1/users', {
        user: partnerAdmin,
        body: { companyId, name: 'Pat Partner', email, roles: ['partner_user'] },
      });
      expect(user.status).toBe(201);
      expect(user.body).toMatchObject({ id: expect.stringMatching(/^usr_/), companyId: companyId, email, roles: ['partner_user'], attributes: {} });
      expect(user.headers.get('location')).toBe(`/v1/users/${user.body.id}`);
      expect(await users().findOne({ _id: user.body.id })).toMatchObject({ companyId: companyId, email, roles: ['partner_user'] });

      const created = await call(h, 'POST', `/v1/users/${user.body.id}/api-keys`, { user: partnerAdmin });
      expect(created.status).toBe(201);
      const plaintext: string = created.body.key;
      expect(plaintext).toMatch(/^pk_[A-Za-z0-9_-]{40,}$/);
      expect(created.body).toMatchObject({ id: expect.stringMatching(/^key_/), userId: user.body.id, prefix: plaintext.slice(0, 10) });

      const doc = await apiKeys().findOne({ _id: created.body.id });
      expect(doc).toEqual({
        _id: created.body.id,
        userId: user.body.id,
        prefix: plaintext.slice(0, 10),
        createdAt: created.body.createdAt,
        hash: hashApiKey(plaintext),
        issuedBy: { userId: partnerAdmin.actor.userId, companyId },
        version: 1,
      });
      const stored = JSON.stringify(doc);
      expect(stored).not.toContain(plaintext);
      expect(stored).not.toContain(plaintext.slice(10));

      const partner = withKey(user.body.id, companyId, ['partner_user'], plaintext);
      const me = await call(h, 'GET', '/v1/me', { user: partner });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ user: { id: user.body.id, email }, company: { id: companyId, kind: 'partner' } });

      expect((await call(h, 'GET', `/v1/users/${user.body.id}/api-keys`, { user: admin })).status).toBe(404);
      for (const reader of [partnerAdmin, partner]) {
        const listed = await call(h, 'GET', `/v1/users/${user.body.id}/api-keys`, { user: reader });
        expect(listed.status).toBe(200);
        expect(listed.body.items).toEqual([
          { id: created.body.id, userId: user.body.id, prefix: plaintext.slice(0, 10), createdAt: created.body.createdAt, issuedBy: { userId: partnerAdmin.actor.userId, companyId }, version: 1 },
        ]);
        expect(JSON.stringify(listed.body)).not.toContain(plaintext.slice(10));
      }

      const revoked = await call(h, 'POST', `/v1/api-keys/${created.body.id}/revoke`, { user: partnerAdmin });
      expect(revoked.status).toBe(200);
      expect(revoked.body).toMatchObject({ id: created.body.id, revokedAt: expect.any(String) });
      expect(revoked.body).not.toHaveProperty('key');
      expect(revoked.body).not.toHaveProperty('hash');
      expect((await apiKeys().findOne({ _id: created.body.id }))?.revokedAt).toBe(revoked.body.revokedAt);

      const after = await call(h, 'GET', '/v1/me', { user: partner });
      expect(after.status).toBe(401);
      expect(after.body.error.code).toBe('unauthenticated');
    });

    it('When a user revokes their own key, then it stops working at once; revoking again keeps the first revocation time', async () => {
      const own = await call(h, 'POST', `/v1/users/${sales.actor.userId}/api-keys`, { user: sales });
      expect(own.status).toBe(201);
      const second = withKey(sales.actor.userId, home, ['sales'], own.body.key);
      expect((await call(h, 'GET', '/v1/me', { user: second })).status).toBe(200);

      const revoked = await call(h, 'POST', `/v1/api-keys/${own.body.id}/revoke`, { user: second });
      expect(revoked.status).toBe(200);
      expect((await call(h, 'GET', '/v1/me', { user: second })).status).toBe(401);
      expect((await call(h, 'GET', '/v1/me', { user: sales })).status).toBe(200);

      const again = await call(h, 'POST', `/v1/api-keys/${own.body.id}/revoke`, { user: admin });
      expect(again.body.revokedAt).toBe(revoked.body.revokedAt);
      expect((await apiKeys().findOne({ _id: own.body.id }))?.revokedAt).toBe(revoked.body.revokedAt);
    });
  });

  describe('who may manage whom', () => {
    it('When a non-admin creates a company or a user, then 403 and nothing is written', async () => {
      const name = uid('sneaky');
      const company = await call(h, 'POST', '/v1/companies', { user: sales, body: { name } });
      expect(company.status).toBe(403);
      expect(company.body.error.code).toBe('forbidden');
      expect(await companies().findOne({ name })).toBeNull();

      const email = `${uid('sneaky')}@example.test`;
      const user = await call(h, 'POST', '/v1/users', { user: sales, body: { companyId: home, name: 'Sneaky', email, roles: ['admin'] } });
      expect(user.status).toBe(403);
      expect(user.body.error.code).toBe('forbidden');
      expect(await users().findOne({ email })).toBeNull();
    });

    it('When a non-admin patches a user, then 403 and the user is unchanged', async () => {
      const before = await users().findOne({ _id: sales.actor.userId as never });
      const res = await call(h, 'PATCH', `/v1/users/${sales.actor.userId}`, { user: sales, body: { roles: ['admin'] } });
      expect(res.status).toBe(403);
      expect(await users().findOne({ _id: sales.actor.userId as never })).toEqual(before);
    });

    it('When a user creates a key for a colleague, then 404 and no key is written; for themself, 201', async () => {
      const before = await keysOf(colleague.actor.userId);
      const forOther = await call(h, 'POST', `/v1/users/${colleague.actor.userId}/api-keys`, { user: sales });
      expect(forOther.status).toBe(404);
      expect(forOther.body.error.code).toBe('not_found');
      expect(await keysOf(colleague.actor.userId)).toEqual(before);

      const listOther = await call(h, 'GET', `/v1/users/${colleague.actor.userId}/api-keys`, { user: sales });
      expect(listOther.status).toBe(404);

      const ownBefore = (await keysOf(sales.actor.userId)).length;
      const own = await call(h, 'POST', `/v1/users/${sales.actor.userId}/api-keys`, { user: sales });
      expect(own.status).toBe(201);
      expect(own.body.userId).toBe(sales.actor.userId);
      expect(await keysOf(sales.actor.userId)).toHaveLength(ownBefore + 1);
    });

    it("When a user revokes a colleague's key, then 404 and the key still works", async () => {
      const [key] = await keysOf(colleague.actor.userId);
      const res = await call(h, 'POST', `/v1/api-keys/${String(key!._id)}/revoke`, { user: sales });
      expect(res.status).toBe(404);
      expect((await apiKeys().findOne({ _id: key!._id }))?.revokedAt).toBeUndefined();
      expect((await call(h, 'GET', '/v1/me', { user: colleague })).status).toBe(200);
    });

    it('When a non-admin reads a user or company of another company, then 404; their own company is visible', async () => {
      for (const path of [`/v1/users/${outsider.actor.userId}`, `/v1/companies/${outsider.actor.companyId}`]) {
        const res = await call(h, 'GET', path, { user: sales });
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('not_found');
      }
      expect((await call(h, 'GET', `/v1/users/${colleague.actor.userId}`, { user: sales })).status).toBe(200);
      expect((await call(h, 'GET', `/v1/companies/${home}`, { user: sales })).status).toBe(200);

      const listed = await call(h, 'GET', '/v1/users', { user: outsider });
      expect(listed.body.items.map((u: { id: string }) => u.id)).toEqual([outsider.actor.userId]);
      const companiesSeen = await call(h, 'GET', '/v1/companies', { user: outsider });
      expect(companiesSeen.body.items.map((c: { id: string }) => c.id)).toEqual([outsider.actor.companyId]);
    });

    it('When an admin changes a user\'s roles, then MongoDB holds them and the next request with that user\'s key sees them', async () => {
      const promoted = await seedUser(h, { companyId: home, roles: ['sales'] });
      const name = uid('promoted-co');
      expect((await call(h, 'POST', '/v1/companies', { user: promoted, body: { name } })).status).toBe(403);

      const patched = await call(h, 'PATCH', `/v1/users/${promoted.actor.userId}`, { user: admin, body: { roles: ['sales', 'admin'], department: 'EMEA' } });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ id: promoted.actor.userId, roles: ['sales', 'admin'], department: 'EMEA' });
      expect(await users().findOne({ _id: promoted.actor.userId as never })).toMatchObject({ roles: ['sales', 'admin'], department: 'EMEA', companyId: home });

      const now = await call(h, 'POST', '/v1/companies', { user: promoted, body: { name } });
      expect(now.status).toBe(201);
      expect(await companies().findOne({ name })).toMatchObject({ name });

      const demoted = await call(h, 'PATCH', `/v1/users/${promoted.actor.userId}`, { user: admin, body: { roles: ['sales'], department: null } });
      expect(demoted.status).toBe(200);
      expect(await users().findOne({ _id: promoted.actor.userId as never })).not.toHaveProperty('department');
      expect((await call(h, 'POST', '/v1/companies', { user: promoted, body: { name: uid('again') } })).status).toBe(403);
    });

    it('When an admin patches a user who does not exist, then 404 and nothing is written', async () => {
      const id = uid('usr');
      const res = await call(h, 'PATCH', `/v1/users/${id}`, { user: admin, body: { roles: ['admin'] } });
      expect(res.status).toBe(404);
      expect(await users().findOne({ _id: id as never })).toBeNull();
    });
  });

  describe('bad bodies', () => {
    const valid = () => ({ companyId: home, name: 'Valid Name', email: `${uid('v')}@example.test`, roles: ['sales'] });

    it.each<[string, Record<string, unknown>, 'formErrors' | 'fieldErrors', string]>([
      ['an unknown field', { isAdmin: true }, 'formErrors', 'isAdmin'],
      ['a bad email', { email: 'not-an-email' }, 'fieldErrors', 'email'],
      ['a role with uppercase letters', { roles: ['Admin'] }, 'fieldErrors', 'roles'],
      ['a role that is not a string', { roles: [7] }, 'fieldErrors', 'roles'],
      ['attributes with a "$" name', { attributes: { $where: 'x' } }, 'fieldErrors', 'attributes'],
      ['attributes named like an Object.prototype member', { attributes: { constructor: 'y' } }, 'fieldErrors', 'attributes'],
    ])('When a new user has %s, then 400 with zod details and nothing is written', async (_case, change, where, mention) => {
      const body = { ...valid(), ...change };
      const res = await call(h, 'POST', '/v1/users', { user: admin, body: { ...body } });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.details).toEqual({ formErrors: expect.any(Array), fieldErrors: expect.any(Object), issues: expect.any(Array) });
      const problems = where === 'formErrors' ? res.body.error.details.formErrors : Object.keys(res.body.error.details.fieldErrors);
      expect(JSON.stringify(problems)).toContain(mention);
      expect(await users().findOne({ name: 'Valid Name', email: body.email })).toBeNull();
    });

    it('When a new user has no name, then 400 naming the field and nothing is written', async () => {
      const { name: _name, ...body } = valid();
      const res = await call(h, 'POST', '/v1/users', { user: admin, body });
      expect(res.status).toBe(400);
      expect(res.body.error.details.fieldErrors.name).toEqual([expect.any(String)]);
      expect(await users().findOne({ email: body.email })).toBeNull();
    });

    it('When a new user names a company that does not exist, then 403 as for any company not its own, and nothing is written', async () => {
      const body = { ...valid(), companyId: uid('cmp') };
      const res = await call(h, 'POST', '/v1/users', { user: admin, body });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
      expect(await users().findOne({ email: body.email })).toBeNull();
    });

    it.each<[string, unknown]>([
      ['an unknown kind', { name: 'X Corp', kind: 'vendor' }],
      ['an empty name', { name: '   ' }],
      ['an unknown field', { name: 'X Corp', id: 'cmp_chosen' }],
    ])('When a new company has %s, then 400 and nothing is written', async (_case, body) => {
      const before = await companies().countDocuments();
      const res = await call(h, 'POST', '/v1/companies', { user: admin, body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(await companies().countDocuments()).toBe(before);
      expect(await companies().findOne({ _id: 'cmp_chosen' as never })).toBeNull();
    });

    it('When a user patch sets the company or an uppercase role, then 400 and the user is unchanged', async () => {
      const before = await users().findOne({ _id: colleague.actor.userId as never });
      for (const body of [{ companyId: outsider.actor.companyId }, { roles: ['ADMIN'] }, { email: 'x@y.test' }]) {
        const res = await call(h, 'PATCH', `/v1/users/${colleague.actor.userId}`, { user: admin, body });
        expect(res.status).toBe(400);
      }
      expect(await users().findOne({ _id: colleague.actor.userId as never })).toEqual(before);
    });
  });
});
