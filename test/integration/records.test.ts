import { COLLECTIONS } from '../../activities/store';
import { call, seedUser, type TestUser } from '../support/auth';
import { buildRecord, uid } from '../support/factories';
import { startHarness, type Harness } from '../support/harness';
import { registerObjectTypes } from '../support/object-types';
import { createRecord, instancePath, publishPipeline, startInstance } from '../support/pipelines';

/** A manual pipeline over `objectType` whose stage lives in `stageField`. */
const pipelineFor = (objectType: string, stageField = 'stage') => ({
  key: uid('pl'),
  name: 'Records test',
  objectType,
  stageField,
  trigger: { onCreate: false, manual: true, reinitiate: false },
  multipleRuns: true,
  policy: { reversible: false, skippable: false, repeatable: false, reactivatable: false },
  stages: [
    { key: 'open', name: 'Open', type: 'normal' as const, initial: true },
    { key: 'won', name: 'Won', type: 'success' as const },
  ],
});

describe('records through the HTTP API', () => {
  let h: Harness;
  let admin: TestUser;
  let sales: TestUser;
  let otherSales: TestUser;
  let otherAdmin: TestUser;
  let partnerUser: TestUser;
  let strangerPartner: TestUser;
  const home = uid('cmp');
  const other = uid('cmp');
  const partner = uid('cmp');

  beforeAll(async () => {
    h = await startHarness();
    admin = await seedUser(h, { companyId: home, roles: ['admin'] });
    sales = await seedUser(h, { companyId: home, roles: ['sales'] });
    otherSales = await seedUser(h, { companyId: other, roles: ['sales'] });
    otherAdmin = await seedUser(h, { companyId: other, roles: ['admin'] });
    partnerUser = await seedUser(h, { companyId: partner, companyKind: 'partner', roles: ['partner_user'] });
    strangerPartner = await seedUser(h, { companyKind: 'partner', roles: ['partner_user'] });
  });
  afterAll(async () => h?.stop());

  /** A fresh type of the test's own, registered for both owner companies (the partner companies here are from before programs, so they take it too). */
  const registered = async (prefix: string) => {
    const type = uid(prefix);
    await registerObjectTypes(h, admin, type);
    await registerObjectTypes(h, otherAdmin, type);
    return type;
  };
  const records = () => h.db.collection(COLLECTIONS.records);
  const stored = (id: string) => records().findOne({ _id: id as never });
  const countOfType = (type: string) => records().countDocuments({ type });
  const patch = (user: TestUser, type: string, id: string, body: unknown, headers?: Record<string, string>) =>
    call(h, 'PATCH', `/v1/records/${type}/${id}`, { user, body, headers });

  describe('create, read, list and update', () => {
    it('When a user creates a record, then 201 with ETag "1", the caller as owner and creator, and MongoDB holds it', async () => {
      const type = await registered('lead');
      const res = await call(h, 'POST', `/v1/records/${type}`, { user: sales, body: { fields: { title: 'Acme', amount: 5, tags: ['a', 'b'] } } });
      expect(res.status).toBe(201);
      expect(res.headers.get('etag')).toBe('"1"');
      expect(res.headers.get('location')).toBe(`/v1/records/${type}/${res.body.id}`);
      expect((await call(h, 'GET', res.headers.get('location')!, { user: sales })).body.id).toBe(res.body.id);
      expect(res.body).toMatchObject({
        type,
        ownerId: sales.actor.userId,
        creatorId: sales.actor.userId,
        companyId: home,
        fields: { title: 'Acme', amount: 5, tags: ['a', 'b'] },
        archived: false,
        version: 1,
        participants: { users: [], companies: [] },
      });
      expect(await stored(res.body.id)).toMatchObject({
        type,
        ownerId: sales.actor.userId,
        creatorId: sales.actor.userId,
        companyId: home,
        fields: { title: 'Acme', amount: 5, tags: ['a', 'b'] },
        version: 1,
        archived: false,
      });

      const got = await call(h, 'GET', `/v1/records/${type}/${res.body.id}`, { user: sales });
      expect(got.status).toBe(200);
      expect(got.headers.get('etag')).toBe('"1"');
      expect(got.body).toMatchObject({ id: res.body.id, version: 1, fields: { title: 'Acme' }, instances: [] });
    });

    it('When an owner of the same company is named, then it is the owner and the caller is the creator', async () => {
      const type = await registered('lead');
      const colleague = await seedUser(h, { companyId: home, roles: ['sales'] });
      const res = await call(h, 'POST', `/v1/records/${type}`, { user: sales, body: { ownerId: colleague.actor.userId, fields: {} } });
      expect(res.status).toBe(201);
      expect(await stored(res.body.id)).toMatchObject({ ownerId: colleague.actor.userId, creatorId: sales.actor.userId, companyId: home });
    });

    it('When users of different companies list a type, then each sees only its own, assigned or invited records', async () => {
      const type = await registered('lead');
      const own = await createRecord(h, sales, type, { fields: { title: 'own' } });
      const foreign = await createRecord(h, otherSales, type, { fields: { title: 'foreign' } });
      const assigned = await createRecord(h, otherSales, type, { fields: { title: 'assigned' }, partnerCompanyId: partner });
      const invitedUser = buildRecord({ type, companyId: other, fields: { title: 'invited user' }, participants: { users: [sales.actor.userId], companies: [] } });
      const invitedCompany = buildRecord({ type, companyId: other, fields: { title: 'invited company' }, participants: { users: [], companies: [home] } });
      await h.stores.records.insert(invitedUser);
      await h.stores.records.insert(invitedCompany);

      const titles = async (user: TestUser) => {
        const res = await call(h, 'GET', `/v1/records/${type}`, { user });
        expect(res.status).toBe(200);
        return res.body.items.map((r: { fields: { title: string } }) => r.fields.title).sort();
      };
      expect(await titles(sales)).toEqual(['invited company', 'invited user', 'own']);
      expect(await titles(admin)).toEqual(['invited company', 'own']);
      expect(await titles(otherSales)).toEqual(['assigned', 'foreign', 'invited company', 'invited user']);
      expect(await titles(partnerUser)).toEqual(['assigned']);
      expect(await titles(strangerPartner)).toEqual([]);

      expect((await call(h, 'GET', `/v1/records/${type}/${invitedUser.id}`, { user: sales })).status).toBe(200);
      for (const hidden of [foreign.id, assigned.id]) {
        expect((await call(h, 'GET', `/v1/records/${type}/${hidden}`, { user: sales })).status).toBe(404);
      }
      expect((await call(h, 'GET', `/v1/records/${type}/${own.id}`, { user: partnerUser })).status).toBe(404);
    });

    it('When a record is patched with the current If-Match, then 200 with version 2 and ETag "2", and MongoDB follows', async () => {
      const type = await registered('lead');
      const record = await createRecord(h, sales, type, { fields: { title: 'Before', amount: 1 } });
      const res = await patch(sales, type, record.id, { fields: { title: 'After', note: 'n' } }, { 'if-match': '"1"' });
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).toBe('"2"');
      expect(res.body).toMatchObject({ id: record.id, version: 2, fields: { title: 'After', amount: 1, note: 'n' } });
      expect(await stored(record.id)).toMatchObject({ version: 2, fields: { title: 'After', amount: 1, note: 'n' } });
    });

    it('When a stale If-Match is sent, then 412 stale_version and the document is unchanged', async () => {
      const type = await registered('lead');
      const record = await createRecord(h, sales, type, { fields: { title: 'v1' } });
      expect((await patch(sales, type, record.id, { fields: { title: 'v2' } }, { 'if-match': '"1"' })).status).toBe(200);
      const before = await stored(record.id);

      for (const ifMatch of ['"1"', '1', 'W/"1"', '"7"']) {
        const res = await patch(sales, type, record.id, { fields: { title: 'lost' } }, { 'if-match': ifMatch });
        expect(res.status).toBe(412);
        expect(res.body.error.code).toBe('stale_version');
        expect(res.body.error.message).toMatch(/version 2/);
      }
      expect(await stored(record.id)).toEqual(before);
    });

    it('When body.version is used instead of If-Match, then it is checked the same way', async () => {
      const type = await registered('lead');
      const record = await createRecord(h, sales, type, { fields: { title: 'v1' } });
      const ok = await patch(sales, type, record.id, { fields: { title: 'v2' }, version: 1 });
      expect(ok.status).toBe(200);
      expect(ok.body.version).toBe(2);
      const before = await stored(record.id);

      const stale = await patch(sales, type, record.id, { fields: { title: 'lost' }, version: 1 });
      expect(stale.status).toBe(412);
      expect(stale.body.error.code).toBe('stale_version');
      const disagree = await patch(sales, type, record.id, { fields: { title: 'lost' }, version: 2 }, { 'if-match': '"1"' });
      expect(disagree.status).toBe(400);
      expect(await stored(record.id)).toEqual(before);
    });

    it.each(['abc', '"1', '*', '"-1"', '"1", "2"', '"1234567890"'])(
      'When If-Match is %j, then 400 and the document is unchanged',
      async (ifMatch) => {
        const type = await registered('lead');
        const record = await createRecord(h, sales, type, { fields: { title: 'v1' } });
        const before = await stored(record.id);
        const res = await patch(sales, type, record.id, { fields: { title: 'x' } }, { 'if-match': ifMatch });
        expect(res.status).toBe(400);
        expect(res.body.error.code).toBe('invalid_if_match');
        expect(await stored(record.id)).toEqual(before);
      },
    );
  });

  describe('mass assignment', () => {
    it('When the owner named is a user of another company, then 422 and nothing is written', async () => {
      const type = await registered('lead');
      for (const ownerId of [otherSales.actor.userId, uid('usr')]) {
        const res = await call(h, 'POST', `/v1/records/${type}`, { user: sales, body: { ownerId, fields: { title: 'x' } } });
        expect(res.status).toBe(422);
        expect(res.body.error.code).toBe('unknown_owner');
      }
      expect(await countOfType(type)).toBe(0);
    });

    it('When the partner company named is not a partner, then 422 and nothing is written', async () => {
      const type = await registered('lead');
      for (const partnerCompanyId of [other, uid('cmp')]) {
        const res = await call(h, 'POST', `/v1/records/${type}`, { user: sales, body: { partnerCompanyId, fields: {} } });
        expect(res.status).toBe(422);
        expect(res.body.error.code).toBe('unknown_partner');
      }
      expect(await countOfType(type)).toBe(0);
    });

    it.each<[string, Record<string, unknown>]>([
      ['companyId', { companyId: other }],
      ['version', { version: 9 }],
      ['archived', { archived: true }],
      ['stage', { stage: 'won' }],
      ['creatorId', { creatorId: 'usr_someone' }],
      ['participants', { participants: { users: ['usr_x'], companies: [] } }],
      ['privateFields', { privateFields: [] }],
      ['id', { id: 'chosen' }],
    ])('When a create body sets %s at the top level, then 400 and nothing is written', async (name, extra) => {
      const type = await registered('lead');
      const res = await call(h, 'POST', `/v1/records/${type}`, { user: sales, body: { fields: { title: 'x' }, ...extra } });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.details.formErrors.join(' ')).toContain(name);
      expect(await countOfType(type)).toBe(0);
    });

    it.each<[string, Record<string, unknown>]>([
      ['companyId', { companyId: other }],
      ['archived', { archived: true }],
      ['stage', { stage: 'won' }],
      ['ownerId', { ownerId: 'usr_someone' }],
      ['partnerCompanyId', { partnerCompanyId: 'cmp_someone' }],
    ])('When a patch body sets %s at the top level, then 400 and the document is unchanged', async (name, extra) => {
      const type = await registered('lead');
      const record = await createRecord(h, sales, type, { fields: { title: 'x' } });
      const before = await stored(record.id);
      const res = await patch(sales, type, record.id, { fields: { title: 'y' }, ...extra });
      expect(res.status).toBe(400);
      expect(res.body.error.details.formErrors.join(' ')).toContain(name);
      expect(await stored(record.id)).toEqual(before);
    });

    it('When fields name the stage field of a pipeline for the type, then 422 stage_field on create and patch, and nothing is written', async () => {
      const type = uid('deal');
      await publishPipeline(h, admin, pipelineFor(type, 'phase'));
      const created = await call(h, 'POST', `/v1/records/${type}`, { user: sales, body: { fields: { title: 'x', phase: 'won' } } });
      expect(created.status).toBe(422);
      expect(created.body.error).toMatchObject({ code: 'stage_field', details: { fields: ['phase'] } });
      expect(await countOfType(type)).toBe(0);

      const record = await createRecord(h, sales, type, { fields: { title: 'x' } });
      const before = await stored(record.id);
      const patched = await patch(sales, type, record.id, { fields: { phase: 'won' } }, { 'if-match': '"1"' });
      expect(patched.status).toBe(422);
      expect(patched.body.error.code).toBe('stage_field');
      expect(await stored(record.id)).toEqual(before);
    });

    it.each(['a.b', '$set', 'fields.x', '$where', '', '1abc', 'a b'])(
      'When a field is named %j, then 400 on create and patch and nothing is written',
      async (field) => {
        const type = await registered('lead');
        const create = await call(h, 'POST', `/v1/records/${type}`, { user: sales, body: { fields: { [field]: 1 } } });
        expect(create.status).toBe(400);
        expect(create.body.error.details.fieldErrors).toHaveProperty('fields');
        expect(await countOfType(type)).toBe(0);

        const record = await createRecord(h, sales, type, { fields: { title: 'x' } });
        const before = await stored(record.id);
        const res = await patch(sales, type, record.id, { fields: { [field]: 1 } });
        expect(res.status).toBe(400);
        expect(res.body.error.details.fieldErrors).toHaveProperty('fields');
        expect(await stored(record.id)).toEqual(before);
      },
    );

    it('When a field value is an object (a hidden operator), then 400 and nothing is written', async () => {
      const type = await registered('lead');
      const record = await createRecord(h, sales, type, { fields: { title: 'x' } });
      const before = await stored(record.id);
      const res = await patch(sales, type, record.id, { fields: { title: { $gt: '' } } });
      expect(res.status).toBe(400);
      expect(await stored(record.id)).toEqual(before);
    });
  });

  describe('who may see and change a record', () => {
    it('When a caller of another company reads, patches or lists the events of a record, then 404 (never 403) and nothing changes', async () => {
      const type = await registered('lead');
      const record = await createRecord(h, sales, type, { fields: { title: 'secret' } });
      const before = await stored(record.id);
      for (const outsider of [otherSales, otherAdmin, strangerPartner]) {
        for (const [method, path, body] of [
          ['GET', `/v1/records/${type}/${record.id}`, undefined],
          ['PATCH', `/v1/records/${type}/${record.id}`, { fields: { title: 'pwned' } }],
          ['GET', `/v1/records/${type}/${record.id}/events`, undefined],
        ] as const) {
          const res = await call(h, method, path, { user: outsider, body });
          expect(res.status).toBe(404);
          expect(res.body.error.code).toBe('not_found');
          expect(JSON.stringify(res.body)).not.toContain('secret');
        }
      }
      expect(await stored(record.id)).toEqual(before);
    });

    it('When the record is asked for under another type, then 404', async () => {
      const type = await registered('lead');
      const record = await createRecord(h, sales, type, { fields: { title: 'x' } });
      expect((await call(h, 'GET', `/v1/records/${uid('other')}/${record.id}`, { user: sales })).status).toBe(404);
    });

    it('When a user of the assigned partner company reads the record, then 200; patching it is 403 and nothing changes', async () => {
      const type = await registered('lead');
      const record = await createRecord(h, sales, type, { fields: { title: 'for partner' }, partnerCompanyId: partner });
      const before = await stored(record.id);
      const got = await call(h, 'GET', `/v1/records/${type}/${record.id}`, { user: partnerUser });
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({ id: record.id, partnerCompanyId: partner, fields: { title: 'for partner' } });

      const res = await patch(partnerUser, type, record.id, { fields: { title: 'partner edit' } }, { 'if-match': '"1"' });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
      expect(await stored(record.id)).toEqual(before);
    });
  });

  describe('one writer while an instance runs', () => {
    it('When a record with a running instance is patched, then the instance applies it: audit event, new state, new version; a stale If-Match is refused by the workflow', async () => {
      const type = uid('deal');
      const def = pipelineFor(type);
      await publishPipeline(h, admin, def);
      const record = await createRecord(h, sales, type, { fields: { title: 'Deal', amount: 1 } });
      const started = await startInstance(h, sales, def.key, record.id);
      expect(started.status).toBe(201);
      const instanceId: string = started.body.instanceId;
      const version: number = started.body.record.version;
      expect((await stored(record.id))?.version).toBe(version);

      const res = await patch(sales, type, record.id, { fields: { amount: 42, note: 'via instance' } }, { 'if-match': `"${version}"` });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ version: version + 1, fields: { amount: 42, note: 'via instance', stage: 'open' } });
      expect(res.headers.get('etag')).toBe(`"${version + 1}"`);

      const events = await call(h, 'GET', `/v1/records/${type}/${record.id}/events`, { user: sales });
      expect(events.status).toBe(200);
      expect(events.body.items.map((e: { kind: string }) => e.kind)).toEqual(['started', 'record_updated']);
      expect(events.body.items[1]).toMatchObject({ instanceId, actor: { userId: sales.actor.userId }, details: { fields: ['amount', 'note'] } });

      const state = await call(h, 'GET', instancePath(instanceId), { user: sales });
      expect(state.body.record).toMatchObject({ version: version + 1, fields: { amount: 42, note: 'via instance', stage: 'open' } });
      expect(await stored(record.id)).toMatchObject({ version: version + 1, fields: { amount: 42, note: 'via instance', stage: 'open' } });
      expect((await call(h, 'GET', `/v1/records/${type}/${record.id}`, { user: sales })).body.instances).toEqual([
        { instanceId, stage: 'open', status: 'running' },
      ]);

      const before = await stored(record.id);
      const stale = await patch(sales, type, record.id, { fields: { amount: 0 } }, { 'if-match': `"${version}"` });
      expect(stale.status).toBe(412);
      expect(stale.body.error.code).toBe('stale_version');
      expect(await stored(record.id)).toEqual(before);
      expect(await h.stores.events.forRecord(record.id)).toHaveLength(2);
      expect((await call(h, 'GET', instancePath(instanceId), { user: sales })).body.record.version).toBe(version + 1);
    });

    it('When the stage field is patched while an instance runs, then 422 and neither the record nor the instance moves', async () => {
      const type = uid('deal');
      const def = pipelineFor(type);
      await publishPipeline(h, admin, def);
      const record = await createRecord(h, sales, type, { fields: { title: 'Deal' } });
      const started = await startInstance(h, sales, def.key, record.id);
      const before = await stored(record.id);
      const res = await patch(sales, type, record.id, { fields: { stage: 'won' } });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('stage_field');
      expect(await stored(record.id)).toEqual(before);
      expect((await call(h, 'GET', instancePath(started.body.instanceId), { user: sales })).body.stage.key).toBe('open');
    });
  });

  describe('the version check under concurrency (FerretDB has no transactions)', () => {
    it('When 10 patches race with the same If-Match on a record without an instance, then exactly the 200s are reflected and the rest are 412 stale_version', async () => {
      const type = await registered('lead');
      const record = await createRecord(h, sales, type, { fields: { n: -1 } });
      let version = 1;
      for (let round = 0; round < 5; round++) {
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            patch(sales, type, record.id, { fields: { n: round * 10 + i, [`w${round}_${i}`]: true } }, { 'if-match': `"${version}"` }),
          ),
        );
        const ok = results.filter((r) => r.status === 200);
        const refused = results.filter((r) => r.status !== 200);
        for (const r of refused) {
          expect(r.status).toBe(412);
          expect(r.body.error.code).toBe('stale_version');
        }
        const doc = await stored(record.id);
        expect({ round, oks: ok.length, version: doc?.version }).toEqual({ round, oks: 1, version: version + 1 });
        const winner = ok[0]!.body as { version: number; fields: Record<string, unknown> };
        expect(winner.version).toBe(version + 1);
        expect(doc?.fields.n).toBe(winner.fields.n);
        const markers = Object.keys(doc?.fields ?? {}).filter((f) => f.startsWith(`w${round}_`));
        expect(markers).toHaveLength(1);
        version += 1;
      }
    });
  });
});
