import { COLLECTIONS } from '../../activities/store';
import { LEAD_STAGES, partnerLeadTemplate } from '../../workflows/domain/templates/partner-lead';
import { call, seedUser, type TestUser } from '../support/auth';
import { uid } from '../support/factories';
import { eventually, startHarness, type Harness } from '../support/harness';
import { createRecord, publishPipeline } from '../support/pipelines';

// jest reads testTimeout only from the root config, not from the integration project's.
jest.setTimeout(120_000);

interface Owner {
  company: string;
  admin: TestUser;
  sales: TestUser;
}

/**
 * Partner programs (issue 18): a partner company in several owners' programs,
 * seen by each of those owners' Company Admins and by nobody else's, assigned
 * records only by owners whose program it is in; the program routes and what
 * they refuse; the upgrade that enrols partner companies from before programs.
 */
describe('Partner programs: a partner company in several owners’ programs', () => {
  let h: Harness;
  let acme: Owner;
  let globex: Owner;
  let initech: Owner;
  let operator: TestUser;

  const companies = () => h.db.collection(COLLECTIONS.companies);
  const companyDoc = (id: string) => companies().findOne({ _id: id as never });
  const recordDoc = (id: string) => h.db.collection(COLLECTIONS.records).findOne({ _id: id as never });
  const ids = (items: Array<{ id: string }>) => items.map((i) => i.id);

  async function owner(): Promise<Owner> {
    const company = uid('cmp_owner');
    const admin = await seedUser(h, { companyId: company, roles: ['admin'] });
    return { company, admin, sales: await seedUser(h, { companyId: company, roles: ['sales'] }) };
  }

  /** A partner company through the store, in the programs given, with a user. */
  async function partner(programs: string[]): Promise<{ company: string; user: TestUser; admin: TestUser }> {
    const company = uid('cmp_partner');
    const user = await seedUser(h, { companyId: company, companyKind: 'partner', programs, roles: ['partner_user'] });
    return { company, user, admin: await seedUser(h, { companyId: company, roles: ['partner_admin'] }) };
  }

  beforeAll(async () => {
    h = await startHarness();
    [acme, globex, initech] = [await owner(), await owner(), await owner()];
    operator = await seedUser(h, { companyKind: 'platform', roles: ['operator'] });
    await publishPipeline(h, acme.admin, partnerLeadTemplate());
  });
  afterAll(async () => h?.stop());

  describe('membership and who sees it', () => {
    it("When the operator creates a partner company for one owner and the other owner's admin adds it, then it is in both programs, each admin sees only its own membership, and a third owner's admin gets 404", async () => {
      const created = await call(h, 'POST', '/v1/companies', { user: operator, body: { name: uid('Both'), kind: 'partner', ownerId: acme.company } });
      expect(created.status).toBe(201);
      const id = created.body.company.id as string;
      expect(created.body.company.programs).toEqual([acme.company]);

      const added = await call(h, 'PUT', `/v1/companies/${id}/programs/${globex.company}`, { user: globex.admin });
      expect(added.status).toBe(200);
      // Globex learns its own membership only, not Acme's.
      expect(added.body).toMatchObject({ id, kind: 'partner', programs: [globex.company] });
      expect((await companyDoc(id))?.programs).toEqual([acme.company, globex.company]);

      for (const o of [acme, globex]) {
        const one = await call(h, 'GET', `/v1/companies/${id}`, { user: o.admin });
        expect(one.status).toBe(200);
        expect(one.body.programs).toEqual([o.company]);
        const listed = await call(h, 'GET', '/v1/companies', { user: o.admin });
        expect(ids(listed.body.items)).toContain(id);
        expect(JSON.stringify(listed.body)).not.toContain(o === acme ? globex.company : acme.company);
      }
      const third = await call(h, 'GET', `/v1/companies/${id}`, { user: initech.admin });
      expect(third.status).toBe(404);
      expect(third.body.error.code).toBe('not_found');
      expect(ids((await call(h, 'GET', '/v1/companies', { user: initech.admin })).body.items)).not.toContain(id);
      expect((await call(h, 'GET', `/v1/companies/${id}`, { user: operator })).body.programs).toEqual([acme.company, globex.company]);
    });

    it('When a partner company is put in a program twice and taken out twice, then the second of each changes nothing', async () => {
      const p = await partner([acme.company]);
      for (let i = 0; i < 2; i++) {
        const res = await call(h, 'PUT', `/v1/companies/${p.company}/programs/${globex.company}`, { user: operator });
        expect(res.status).toBe(200);
        expect(res.body.programs).toEqual([acme.company, globex.company]);
      }
      expect((await companyDoc(p.company))?.programs).toEqual([acme.company, globex.company]);
      for (let i = 0; i < 2; i++) {
        const res = await call(h, 'DELETE', `/v1/companies/${p.company}/programs/${acme.company}`, { user: acme.admin });
        expect(res.status).toBe(200);
        expect(res.body.programs).toEqual([]);
      }
      expect((await companyDoc(p.company))?.programs).toEqual([globex.company]);
      // Out of Acme's program, it is out of Acme's admin's sight too.
      expect((await call(h, 'GET', `/v1/companies/${p.company}`, { user: acme.admin })).status).toBe(404);
    });

    it("When a Company Admin creates a partner company, then it starts in its admin's program; naming another owner is 403 and writes nothing", async () => {
      const created = await call(h, 'POST', '/v1/companies', { user: globex.admin, body: { name: uid('Mine'), kind: 'partner' } });
      expect(created.status).toBe(201);
      expect((await companyDoc(created.body.company.id))?.programs).toEqual([globex.company]);

      const name = uid('Theirs');
      const refused = await call(h, 'POST', '/v1/companies', { user: globex.admin, body: { name, kind: 'partner', ownerId: acme.company } });
      expect(refused.status).toBe(403);
      expect(await companies().findOne({ name })).toBeNull();
    });

    it('When the operator creates a partner company without an owner, then it is in no program; naming an unknown or partner owner is 422 and writes nothing', async () => {
      const created = await call(h, 'POST', '/v1/companies', { user: operator, body: { name: uid('Nobody'), kind: 'partner' } });
      expect(created.status).toBe(201);
      expect((await companyDoc(created.body.company.id))?.programs).toEqual([]);
      expect((await call(h, 'GET', `/v1/companies/${created.body.company.id}`, { user: acme.admin })).status).toBe(404);

      const other = await partner([acme.company]);
      for (const ownerId of ['cmp_missing', other.company]) {
        const name = uid('Bad');
        const res = await call(h, 'POST', '/v1/companies', { user: operator, body: { name, kind: 'partner', ownerId } });
        expect(res.status).toBe(422);
        expect(res.body.error).toMatchObject({ code: 'unknown_company', details: { ownerId } });
        expect(await companies().findOne({ name })).toBeNull();
      }
    });

    it("When a partner company's user lists companies, then it sees its own with every program it is in, and no other partner", async () => {
      const p = await partner([acme.company, globex.company]);
      const other = await partner([acme.company]);
      const listed = await call(h, 'GET', '/v1/companies', { user: p.user });
      expect(listed.body.items).toEqual([expect.objectContaining({ id: p.company, programs: [acme.company, globex.company] })]);
      expect((await call(h, 'GET', `/v1/companies/${other.company}`, { user: p.user })).status).toBe(404);
    });
  });

  describe('the program routes refuse', () => {
    it.each<[string, (p: string) => [string, string], string]>([
      ['an unknown owner', (p) => [p, 'cmp_no_such_owner'], 'no owner company'],
      ['the id of a partner company as the owner', (p) => [p, p], 'no owner company'],
      ['an owner company as the partner', () => [globex.company, acme.company], 'no partner company'],
      ['an unknown partner company', () => ['cmp_no_such_partner', acme.company], 'no partner company'],
    ])('When the operator names %s, then 404 with its reason and nothing changes', async (_case, target, reason) => {
      const p = await partner([globex.company]);
      const [id, ownerId] = target(p.company);
      const before = await companies().find({}).sort({ _id: 1 }).toArray();
      for (const method of ['PUT', 'DELETE']) {
        const res = await call(h, method, `/v1/companies/${id}/programs/${ownerId}`, { user: operator });
        expect(res.status).toBe(404);
        expect(res.body.error).toMatchObject({ code: 'not_found', message: expect.stringContaining(reason) });
      }
      expect(await companies().find({}).sort({ _id: 1 }).toArray()).toEqual(before);
    });

    it("When a sales user, a partner's people or another owner's admin change Acme's program, then 403 and nothing changes", async () => {
      const p = await partner([acme.company]);
      const callers = [acme.sales, p.user, p.admin, globex.admin];
      for (const user of callers) {
        for (const method of ['PUT', 'DELETE']) {
          const res = await call(h, method, `/v1/companies/${p.company}/programs/${acme.company}`, { user });
          expect(res.status).toBe(403);
          expect(res.body.error.code).toBe('forbidden');
        }
      }
      // Another owner's admin gets the same 403 for an owner that does not exist: nothing is learnt of others.
      expect((await call(h, 'PUT', `/v1/companies/${p.company}/programs/cmp_no_such_owner`, { user: globex.admin })).status).toBe(403);
      expect((await companyDoc(p.company))?.programs).toEqual([acme.company]);
    });
  });

  describe('assignment follows the owning company’s program', () => {
    const leadBody = (partnerCompanyId: string) => ({ fields: { title: uid('Lead'), amount: 5_000 }, partnerCompanyId });

    it("When a record is assigned to a partner company outside the owner's program, then 422 partner_not_in_program and nothing is written, the same whether it is in another's program or in none", async () => {
      const inAcme = await partner([acme.company]);
      const inNone = await partner([]);
      const answers = [];
      for (const p of [inAcme, inNone]) {
        const body = leadBody(p.company);
        const res = await call(h, 'POST', '/v1/records/lead', { user: initech.sales, body });
        expect(res.status).toBe(422);
        expect(res.body.error.details).toEqual({ partnerCompanyId: p.company });
        expect(await h.db.collection(COLLECTIONS.records).findOne({ 'fields.title': body.fields.title })).toBeNull();
        const { requestId: _each, ...error } = res.body.error;
        answers.push({ ...error, message: String(error.message).replace(p.company, '<id>'), details: {} });
      }
      expect(answers[0]).toEqual(answers[1]);
      expect(answers[0]).toMatchObject({ code: 'partner_not_in_program', message: expect.stringContaining('partner program') });

      const unknown = await call(h, 'POST', '/v1/records/lead', { user: initech.sales, body: leadBody('cmp_no_such_partner') });
      expect(unknown.status).toBe(422);
      expect(unknown.body.error.code).toBe('unknown_partner');
    });

    it('When a partner company in two programs gets a lead from each owner, then its user sees both', async () => {
      const p = await partner([acme.company, globex.company]);
      const leads = [];
      for (const o of [acme, globex]) {
        const res = await call(h, 'POST', '/v1/records/lead', { user: o.sales, body: leadBody(p.company) });
        expect(res.status).toBe(201);
        expect((await recordDoc(res.body.id))?.partnerCompanyId).toBe(p.company);
        leads.push(res.body.id as string);
      }
      for (const id of leads) expect((await call(h, 'GET', `/v1/records/lead/${id}`, { user: p.user })).status).toBe(200);
    });

    it('When a partner company is taken out of the program, then reassigning a lead to it is 422 and the lead is unchanged; back in the program, the reassignment goes through', async () => {
      const first = await partner([acme.company]);
      const next = await partner([acme.company]);
      const lead = await createRecord(h, acme.sales, 'lead', leadBody(first.company));
      const declined = await call(h, 'POST', `/v1/leads/${lead.id}/decline`, { user: first.user, body: { reason: 'no capacity' } });
      expect(declined.status).toBe(200);

      const out = await call(h, 'DELETE', `/v1/companies/${next.company}/programs/${acme.company}`, { user: acme.admin });
      expect(out.status).toBe(200);
      const before = await recordDoc(lead.id);
      expect(before).toMatchObject({ partnerCompanyId: first.company, fields: expect.objectContaining({ status: LEAD_STAGES.declined }) });
      const refused = await call(h, 'POST', `/v1/leads/${lead.id}/reassign`, { user: acme.sales, body: { partnerCompanyId: next.company } });
      expect(refused.status).toBe(422);
      expect(refused.body.error).toMatchObject({ code: 'partner_not_in_program', details: { partnerCompanyId: next.company } });
      expect(await recordDoc(lead.id)).toEqual(before);

      expect((await call(h, 'PUT', `/v1/companies/${next.company}/programs/${acme.company}`, { user: acme.admin })).status).toBe(200);
      const reassigned = await call(h, 'POST', `/v1/leads/${lead.id}/reassign`, { user: acme.sales, body: { partnerCompanyId: next.company } });
      expect(reassigned.status).toBe(200);
      const after = await eventually(async () => {
        const doc = await recordDoc(lead.id);
        return doc?.partnerCompanyId === next.company && doc;
      });
      expect(after.fields.status).toBe(LEAD_STAGES.pending);
    });

    it('When a record is patched with a partnerCompanyId, then 400: a patch never changes the assignment', async () => {
      const p = await partner([acme.company]);
      const other = await partner([]);
      const lead = await createRecord(h, acme.sales, 'lead', leadBody(p.company));
      const before = await recordDoc(lead.id);
      const res = await call(h, 'PATCH', `/v1/records/lead/${lead.id}`, { user: acme.sales, body: { fields: { note: 'x' }, partnerCompanyId: other.company } });
      expect(res.status).toBe(400);
      expect(await recordDoc(lead.id)).toEqual(before);
    });
  });

  describe('upgrade of partner companies from before programs', () => {
    it('When a partner company from before programs is put in a program, or taken out of one, then that gives it a membership of its own', async () => {
      const [joined, left] = [uid('cmp_old_joined'), uid('cmp_old_left')];
      const createdAt = new Date().toISOString();
      await companies().insertMany([joined, left].map((id) => ({ _id: id as never, name: id, kind: 'partner', createdAt })));
      // Before: in every program, as before programs existed.
      expect((await call(h, 'GET', `/v1/companies/${joined}`, { user: initech.admin })).status).toBe(200);

      expect((await call(h, 'PUT', `/v1/companies/${joined}/programs/${globex.company}`, { user: globex.admin })).status).toBe(200);
      expect((await call(h, 'DELETE', `/v1/companies/${left}/programs/${globex.company}`, { user: globex.admin })).status).toBe(200);
      expect((await companyDoc(joined))?.programs).toEqual([globex.company]);
      expect((await companyDoc(left))?.programs).toEqual([]);
      expect((await call(h, 'GET', `/v1/companies/${joined}`, { user: initech.admin })).status).toBe(404);
      const res = await call(h, 'POST', '/v1/records/lead', { user: initech.sales, body: { fields: { title: uid('Lead') }, partnerCompanyId: left } });
      expect(res.body.error.code).toBe('partner_not_in_program');
    });

    it('When enrolUnassignedPartners runs twice, then a partner company without a membership joins the owner’s program once, and the others are left as they were', async () => {
      const legacy = uid('cmp_legacy');
      const inNone = uid('cmp_in_none');
      const ownerCo = uid('cmp_legacy_owner');
      const createdAt = new Date().toISOString();
      await companies().insertMany([
        { _id: legacy as never, name: 'Legacy partner', kind: 'partner', createdAt },
        { _id: inNone as never, name: 'Partner in no program', kind: 'partner', programs: [], createdAt },
        { _id: ownerCo as never, name: 'Legacy owner', kind: 'owner', createdAt },
      ]);
      const before = await companies().find({ _id: { $nin: [legacy] } as never }).sort({ _id: 1 }).toArray();

      expect(await h.stores.people.enrolUnassignedPartners(acme.company, '2026-01-01T00:00:00.000Z')).toBe(1);
      expect(await companyDoc(legacy)).toMatchObject({ kind: 'partner', programs: [acme.company], updatedAt: '2026-01-01T00:00:00.000Z' });
      expect(await h.stores.people.enrolUnassignedPartners(acme.company, '2026-01-02T00:00:00.000Z')).toBe(0);
      expect(await companyDoc(legacy)).toMatchObject({ programs: [acme.company], updatedAt: '2026-01-01T00:00:00.000Z' });
      expect(await companies().find({ _id: { $nin: [legacy] } as never }).sort({ _id: 1 }).toArray()).toEqual(before);
      // The API reads the upgraded membership: Globex may no longer assign it.
      const res = await call(h, 'POST', '/v1/records/lead', { user: globex.sales, body: { fields: { title: uid('Lead') }, partnerCompanyId: legacy } });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('partner_not_in_program');
    });
  });
});
