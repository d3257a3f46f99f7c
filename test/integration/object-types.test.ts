import { COLLECTIONS, prepareDatabase } from '../../activities/store';
import * as Out from '../../api/schemas/responses';
import { call, seedUser, type TestUser } from '../support/auth';
import { buildRecord, uid } from '../support/factories';
import { startHarness, type Harness } from '../support/harness';
import { createRecord, publishPipeline, testPipeline } from '../support/pipelines';

describe('the object-type registry', () => {
  let h: Harness;
  let admin: TestUser;
  let sales: TestUser;
  let partnerUser: TestUser;
  const home = uid('cmp');
  const partner = uid('cmp');

  beforeAll(async () => {
    h = await startHarness();
    admin = await seedUser(h, { companyId: home, roles: ['admin'] });
    sales = await seedUser(h, { companyId: home, roles: ['sales'] });
    partnerUser = await seedUser(h, { companyId: partner, companyKind: 'partner', programs: [home], roles: ['partner_user'] });
  });
  afterAll(async () => h?.stop());

  const records = () => h.db.collection(COLLECTIONS.records);
  const types = async (user: TestUser) => {
    const res = await call(h, 'GET', '/v1/object-types', { user });
    expect(res.status).toBe(200);
    return Out.ObjectTypeList.parse(res.body).items;
  };

  it('When a record of a type nobody registered is sent to any record route, then 404 unknown_object_type names it and nothing is written', async () => {
    const type = uid('opportunty');
    const before = await records().countDocuments({});
    const refusals = await Promise.all([
      call(h, 'POST', `/v1/records/${type}`, { user: sales, body: { fields: { title: 'typo' } } }),
      call(h, 'POST', `/v1/records/${type}`, { user: sales, body: { fields: { title: 'typo' } }, headers: { 'idempotency-key': uid('k') } }),
      call(h, 'GET', `/v1/records/${type}`, { user: sales }),
      call(h, 'POST', `/v1/records/${type}/search`, { user: sales, body: { filter: { op: 'exists', path: 'record.title' } } }),
      call(h, 'GET', `/v1/records/${type}/rec_x`, { user: sales }),
      call(h, 'PATCH', `/v1/records/${type}/rec_x`, { user: sales, body: { fields: { title: 'x' } } }),
      call(h, 'GET', `/v1/records/${type}/rec_x/events`, { user: sales }),
    ]);
    for (const res of refusals) {
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: 'unknown_object_type', details: { type } });
      expect(res.body.error.message).toContain(type);
      expect(res.body.error.message).toContain('GET /v1/object-types');
    }
    expect(await records().countDocuments({})).toBe(before);
    expect(await records().countDocuments({ type })).toBe(0);
  });

  it('When nothing is registered, then the built-in types are listed and usable by every company', async () => {
    const listed = await types(sales);
    expect(listed.filter((t) => t.source === 'builtin').map((t) => t.key)).toEqual(expect.arrayContaining(['lead', 'opportunity', 'contact', 'quotation', 'contract']));
    expect(listed.find((t) => t.key === 'lead')).toEqual({ key: 'lead', source: 'builtin', createdAt: null });
    const stranger = await seedUser(h, { roles: ['sales'] });
    expect((await call(h, 'POST', '/v1/records/opportunity', { user: stranger, body: { fields: { title: 'ok' } } })).status).toBe(201);
  });

  it('When an admin registers a type, then 201 with Location, it is usable at once, listed and paged, and registering again answers the same one', async () => {
    const key = uid('deal_reg');
    expect((await call(h, 'POST', `/v1/records/${key}`, { user: sales, body: { fields: {} } })).status).toBe(404);
    const res = await call(h, 'POST', '/v1/object-types', { user: admin, body: { key, name: 'Deal registration' } });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v1/object-types/${key}`);
    const registered = Out.ObjectType.parse(res.body);
    expect(registered).toMatchObject({ key, name: 'Deal registration', source: 'admin', createdBy: admin.actor.userId });
    expect((await call(h, 'GET', res.headers.get('location')!, { user: sales })).body).toEqual(res.body);

    expect((await call(h, 'POST', `/v1/records/${key}`, { user: sales, body: { fields: { title: 'now' } } })).status).toBe(201);
    expect((await types(sales)).find((t) => t.key === key)).toEqual(res.body);

    const again = await call(h, 'POST', '/v1/object-types', { user: admin, body: { key, name: 'Another name' } });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(res.body);
    const builtin = await call(h, 'POST', '/v1/object-types', { user: admin, body: { key: 'lead' } });
    expect([builtin.status, builtin.body]).toEqual([200, { key: 'lead', source: 'builtin', createdAt: null }]);

    const first = await call(h, 'GET', '/v1/object-types?limit=2', { user: sales });
    expect(first.body.items).toHaveLength(2);
    expect(first.headers.get('link')).toContain('rel="next"');
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: Array<{ key: string }>; nextCursor: string | null } } = await call(h, 'GET', `/v1/object-types?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { user: sales });
      all.push(...page.body.items.map((t) => t.key));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(all).toEqual([...all].sort());
    expect(all).toEqual(expect.arrayContaining(['lead', key]));
  });

  it('When another company registers a type, then it stays unknown to this one', async () => {
    const key = uid('theirs');
    const otherAdmin = await seedUser(h, { roles: ['admin'] });
    expect((await call(h, 'POST', '/v1/object-types', { user: otherAdmin, body: { key } })).status).toBe(201);
    expect((await call(h, 'POST', `/v1/records/${key}`, { user: sales, body: { fields: {} } })).body.error.code).toBe('unknown_object_type');
    expect((await call(h, 'GET', `/v1/object-types/${key}`, { user: sales })).status).toBe(404);
  });

  it('When a non-admin registers or a key is malformed, then 403 or 400 and nothing is registered', async () => {
    const key = uid('mine');
    const refused = await call(h, 'POST', '/v1/object-types', { user: sales, body: { key } });
    expect([refused.status, refused.body.error.code]).toEqual([403, 'forbidden']);
    expect((await call(h, 'POST', '/v1/object-types', { user: partnerUser, body: { key } })).status).toBe(403);
    for (const body of [{ key: 'bad$type' }, { key: 'a.b' }, { key: '' }, { key: 'x'.repeat(65) }, {}, { key, extra: 1 }]) {
      const res = await call(h, 'POST', '/v1/object-types', { user: admin, body });
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), 400]);
    }
    expect((await types(sales)).map((t) => t.key)).not.toContain(key);
    expect(await h.db.collection(COLLECTIONS.objectTypes).countDocuments({ key })).toBe(0);
  });

  it("When a pipeline is published, then its object type and its tasks' record types are registered for the company", async () => {
    const type = uid('ticket');
    const made = uid('solution');
    const def = testPipeline('Tickets', type, [
      {
        key: 'open', name: 'Open', type: 'normal', initial: true,
        tasks: [{ key: 'solve', name: 'Solve', kind: 'create_record', recordType: made, linkField: 'solutionId', assignee: { kind: 'owner' }, required: false }],
      },
      { key: 'done', name: 'Done', type: 'success' },
    ]);
    expect((await call(h, 'POST', `/v1/records/${type}`, { user: sales, body: { fields: {} } })).status).toBe(404);
    await publishPipeline(h, admin, def);
    const listed = await types(sales);
    expect(listed.find((t) => t.key === type)).toMatchObject({ key: type, source: 'pipeline' });
    expect(listed.find((t) => t.key === made)).toMatchObject({ key: made, source: 'pipeline' });
    expect((await call(h, 'POST', `/v1/records/${type}`, { user: sales, body: { fields: { title: 'usable' } } })).status).toBe(201);
    // Publishing again registers nothing twice.
    await publishPipeline(h, admin, def);
    expect(await h.db.collection(COLLECTIONS.objectTypes).countDocuments({ key: type })).toBe(1);
  });

  it("When a partner user reads the owner's records of the owner's own type, then the type counts for it: the lead and the owner's type are read", async () => {
    const type = uid('partner_deal');
    await call(h, 'POST', '/v1/object-types', { user: admin, body: { key: type } });
    const lead = await createRecord(h, sales, 'lead', { fields: { title: 'For the partner' }, partnerCompanyId: partner });
    const deal = await createRecord(h, sales, type, { fields: { title: 'Shared deal' }, partnerCompanyId: partner });
    expect((await call(h, 'GET', `/v1/records/lead/${lead.id}`, { user: partnerUser })).status).toBe(200);
    expect((await call(h, 'GET', `/v1/records/${type}/${deal.id}`, { user: partnerUser })).status).toBe(200);
    const list = await call(h, 'GET', `/v1/records/${type}`, { user: partnerUser });
    expect(list.status).toBe(200);
    expect(list.body.items.map((r: { id: string }) => r.id)).toEqual([deal.id]);
    // A partner company outside the owner's program does not take its types.
    const outsider = await seedUser(h, { companyKind: 'partner', programs: [uid('cmp')], roles: ['partner_user'] });
    expect((await call(h, 'GET', `/v1/records/${type}`, { user: outsider })).body.error.code).toBe('unknown_object_type');
  });

  it('When a database from before the registry is prepared, then every type in use by records or published versions is registered, once', async () => {
    const company = uid('cmp_old');
    const oldAdmin = await seedUser(h, { companyId: company, roles: ['admin'] });
    const inRecords = uid('legacy_note');
    const inVersions = uid('legacy_deal');
    // As the earlier release left it: records and a published version of types no registry knows, and no mark that they were registered.
    await h.stores.records.insert(buildRecord({ id: uid('rec'), type: inRecords, companyId: company, ownerId: oldAdmin.actor.userId, creatorId: oldAdmin.actor.userId, partnerCompanyId: undefined }));
    await h.db.collection(COLLECTIONS.pipelineVersions).insertOne({
      _id: `${company}/old@1`, companyId: company, pipelineKey: 'old', version: 1, publishedAt: '2026-01-01T00:00:00.000Z', publishedBy: 'system',
      definition: testPipeline('Old', inVersions, [{ key: 'open', name: 'Open', type: 'normal', initial: true }], { key: 'old' }),
    } as never);
    await h.db.collection(COLLECTIONS.objectTypes).deleteOne({ _id: '~in-use-registered' as never });
    expect((await call(h, 'GET', `/v1/records/${inRecords}`, { user: oldAdmin })).status).toBe(404);

    const [first, again] = [await prepareDatabase(h.db, h.stores), await prepareDatabase(h.db, h.stores)];
    expect(first.objectTypes).toBeGreaterThanOrEqual(2);
    expect(again.objectTypes).toBeUndefined();
    const listed = await types(oldAdmin);
    expect(listed.filter((t) => t.source === 'upgrade').map((t) => t.key).sort()).toEqual([inRecords, inVersions].sort());
    expect((await call(h, 'GET', `/v1/records/${inRecords}`, { user: oldAdmin })).status).toBe(200);
    expect((await call(h, 'POST', `/v1/records/${inVersions}`, { user: oldAdmin, body: { fields: {} } })).status).toBe(201);
  });
});
