import { COLLECTIONS } from '../../activities/store';
import { opaqueInstanceId } from '../../api/params';
import { call, seedUser, type TestUser } from '../support/auth';
import { uid } from '../support/factories';
import { startHarness, type Harness } from '../support/harness';
import { registerObjectTypes } from '../support/object-types';
import { createRecord, publishPipeline, startInstance, testPipeline } from '../support/pipelines';

jest.setTimeout(120_000);

/**
 * Cursor pagination: every list answers { items, nextCursor } over a stable
 * key, with Link rel="next"; a write made while a client pages never makes it
 * skip an item; offset still works, deprecated.
 */
describe('Cursor pagination', () => {
  let h: Harness;
  let admin: TestUser;
  let sales: TestUser;
  let other: TestUser;
  const company = uid('cmp');
  const partner = uid('cmp');

  beforeAll(async () => {
    h = await startHarness();
    admin = await seedUser(h, { companyId: company, roles: ['admin'] });
    sales = await seedUser(h, { companyId: company, roles: ['sales'] });
    other = await seedUser(h, { companyId: company, roles: ['sales'] });
    await seedUser(h, { companyId: partner, companyKind: 'partner', roles: ['partner_user'] });
  });
  afterAll(async () => h?.stop());

  /** Follows nextCursor from the first page to the last; answers every page's body and headers. */
  async function allPages(user: TestUser, path: string, params: Record<string, string>, between?: (page: number) => Promise<void>) {
    const pages: Array<{ body: any; headers: Headers }> = [];
    let cursor: string | null = null;
    for (let i = 0; i < 50; i++) {
      const query = new URLSearchParams({ ...params, ...(cursor ? { cursor } : {}) });
      const res = await call(h, 'GET', `${path}?${query.toString()}`, { user });
      expect(res.status).toBe(200);
      pages.push(res);
      cursor = res.body.nextCursor;
      if (!cursor) break;
      await between?.(i);
    }
    return pages;
  }

  describe('records', () => {
    const type = uid('note');
    const elsewhereType = uid('other');
    const ids: string[] = [];
    beforeAll(async () => {
      await registerObjectTypes(h, admin, type, elsewhereType);
      for (let i = 0; i < 7; i++) ids.push((await createRecord(h, sales, type, { fields: { title: `n${i}`, amount: i } })).id);
    });

    it('When a client pages 7 records by 3, then 3, 3 and 1, newest first, each once, with Link rel="next" until the last', async () => {
      const pages = await allPages(sales, `/v1/records/${type}`, { limit: '3' });
      expect(pages.map((p) => p.body.items.length)).toEqual([3, 3, 1]);
      expect(pages.flatMap((p) => p.body.items.map((r: { id: string }) => r.id))).toEqual([...ids].reverse());
      expect(pages[0]!.headers.get('link')).toBe(`</v1/records/${type}?limit=3&cursor=${pages[0]!.body.nextCursor}>; rel="next"`);
      expect(pages[2]!.body.nextCursor).toBeNull();
      expect(pages[2]!.headers.get('link')).toBeNull();
      expect(pages[0]!.headers.get('deprecation')).toBeNull();
    });

    it('When records are created and changed while a client pages, then every record that was there is read exactly once', async () => {
      const seen: string[] = [];
      const pages = await allPages(sales, `/v1/records/${type}`, { limit: '2' }, async (page) => {
        if (page === 0) {
          await createRecord(h, sales, type, { fields: { title: 'written while paging' } });
          const last = ids[0]!;
          expect((await call(h, 'PATCH', `/v1/records/${type}/${last}`, { user: sales, body: { fields: { title: 'changed while paging' } } })).status).toBe(200);
        }
      });
      for (const p of pages) seen.push(...p.body.items.map((r: { id: string }) => r.id));
      for (const id of ids) expect(seen.filter((s) => s === id)).toHaveLength(1);
    });

    it('When a client syncs with updatedAfter, then oldest change first, and a record changed while it pages comes again at the end instead of being skipped', async () => {
      const since = new Date(Date.now() - 10 * 60_000).toISOString();
      const path = (cursor?: string) => `/v1/records/${type}?${new URLSearchParams({ limit: '3', updatedAfter: since, ...(cursor ? { cursor } : {}) }).toString()}`;
      const first = await call(h, 'GET', path(), { user: sales });
      expect(first.status).toBe(200);
      const changed: string = first.body.items[0].id;
      expect((await call(h, 'PATCH', `/v1/records/${type}/${changed}`, { user: sales, body: { fields: { title: 'changed during the sync' } } })).status).toBe(200);
      const seen: Array<{ id: string; updatedAt: string }> = [...first.body.items];
      let cursor: string | null = first.body.nextCursor;
      while (cursor) {
        const next = await call(h, 'GET', path(cursor), { user: sales });
        seen.push(...next.body.items);
        cursor = next.body.nextCursor;
      }
      const stored = await h.db.collection(COLLECTIONS.records).find({ type }).toArray();
      expect(new Set(seen.map((r) => r.id))).toEqual(new Set(stored.map((r) => String(r._id))));
      // The record changed meanwhile came twice: before its change, and again, last.
      expect(seen.filter((r) => r.id === changed)).toHaveLength(2);
      expect(seen.at(-1)!.id).toBe(changed);
      const stamps = seen.map((r) => r.updatedAt);
      expect(stamps).toEqual([...stamps].sort());
      const future = encodeURIComponent(new Date(Date.now() + 60_000).toISOString());
      expect((await call(h, 'GET', `/v1/records/${type}?updatedAfter=${future}`, { user: sales })).body.items).toEqual([]);
    });

    it('When records are filtered by owner, then only that owner\'s come back', async () => {
      const mine = await createRecord(h, other, type, { fields: { title: 'other owner' } });
      const res = await call(h, 'GET', `/v1/records/${type}?ownerId=${other.actor.userId}`, { user: sales });
      expect(res.status).toBe(200);
      expect(res.body.items.map((r: { id: string }) => r.id)).toEqual([mine.id]);
    });

    it("When records are filtered by partner, then only those sent to that partner come back", async () => {
      const sent = [
        await createRecord(h, sales, type, { fields: { title: 'to partner 1' }, partnerCompanyId: partner }),
        await createRecord(h, sales, type, { fields: { title: 'to partner 2' }, partnerCompanyId: partner }),
      ];
      const res = await call(h, 'GET', `/v1/records/${type}?partnerCompanyId=${partner}`, { user: sales });
      expect(res.status).toBe(200);
      expect(res.body.items.map((r: { id: string }) => r.id)).toEqual(sent.map((r) => r.id).reverse());
    });

    it('When a cursor is garbage, comes from other filters, or comes with offset, then 400 with the reason and nothing else', async () => {
      const first = await call(h, 'GET', `/v1/records/${type}?limit=2`, { user: sales });
      const cursor = first.body.nextCursor as string;
      const garbage = await call(h, 'GET', `/v1/records/${type}?cursor=not-a-cursor`, { user: sales });
      expect(garbage.status).toBe(400);
      expect(garbage.body.error.code).toBe('invalid_cursor');
      const mismatch = await call(h, 'GET', `/v1/records/${type}?cursor=${cursor}&ownerId=${other.actor.userId}`, { user: sales });
      expect(mismatch.status).toBe(400);
      expect(mismatch.body.error.code).toBe('cursor_mismatch');
      const elsewhere = await call(h, 'GET', `/v1/records/${elsewhereType}?cursor=${cursor}`, { user: sales });
      expect(elsewhere.body.error.code).toBe('cursor_mismatch');
      const both = await call(h, 'GET', `/v1/records/${type}?cursor=${cursor}&offset=2`, { user: sales });
      expect(both.status).toBe(400);
      expect(both.body.error.message).toMatch(/cursor or offset/);
    });

    it('When a client still pages by offset, then it is served with a Deprecation header and its offset echoed', async () => {
      const res = await call(h, 'GET', `/v1/records/${type}?limit=2&offset=2`, { user: sales });
      expect(res.status).toBe(200);
      expect(res.headers.get('deprecation')).toMatch(/^@\d+$/);
      expect(res.body).toMatchObject({ limit: 2, offset: 2 });
      expect(res.body.items).toHaveLength(2);
    });

    it('When a client searches with the filter language, then the matches only, newest first, paged; a bad filter is 400', async () => {
      const pages: any[] = [];
      let cursor: string | undefined;
      do {
        const res = await call(h, 'POST', `/v1/records/${type}/search`, { user: sales, body: { filter: { op: 'gte', path: 'record.amount', value: 4 }, limit: 2, ...(cursor ? { cursor } : {}) } });
        expect(res.status).toBe(200);
        pages.push(res.body);
        cursor = res.body.nextCursor ?? undefined;
      } while (cursor);
      expect(pages.flatMap((p) => p.items.map((r: { fields: { amount: number } }) => r.fields.amount))).toEqual([6, 5, 4]);
      const bad = await call(h, 'POST', `/v1/records/${type}/search`, { user: sales, body: { filter: { op: 'near', path: 'record.amount' } } });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('invalid_request');
    });
  });

  describe('instances', () => {
    const type = uid('deal');
    const def = testPipeline('Paged deals', type, [
      { key: 'open', name: 'Open', type: 'normal', initial: true, deadline: { after: '7d', to: 'lost' } },
      { key: 'lost', name: 'Lost', type: 'failure' },
    ]);
    const records: string[] = [];
    const instances: string[] = [];
    beforeAll(async () => {
      await publishPipeline(h, admin, def);
      for (let i = 0; i < 5; i++) {
        const record = await createRecord(h, sales, type, { fields: { title: `d${i}` } });
        records.push(record.id);
        const started = await startInstance(h, sales, def.key, record.id);
        expect(started.status).toBe(201);
        instances.push(started.body.instanceId);
      }
    });

    it('When a client pages the instances of a pipeline by 2, then every one once, each with its opaque id beside instanceId', async () => {
      const pages = await allPages(sales, '/v1/instances', { pipelineKey: def.key, limit: '2' });
      expect(pages.map((p) => p.body.items.length)).toEqual([2, 2, 1]);
      const items = pages.flatMap((p) => p.body.items);
      expect(new Set(items.map((i: { instanceId: string }) => i.instanceId))).toEqual(new Set(instances));
      for (const item of items) expect(item.id).toBe(opaqueInstanceId(item.instanceId));
    });

    it('When instances are filtered by record and by deadline, then those only', async () => {
      const byRecord = await call(h, 'GET', `/v1/instances?recordId=${records[2]}`, { user: sales });
      expect(byRecord.body.items.map((i: { instanceId: string }) => i.instanceId)).toEqual([instances[2]]);
      const soon = encodeURIComponent(new Date(Date.now() + 8 * 24 * 3_600_000).toISOString());
      const late = encodeURIComponent(new Date(Date.now() + 6 * 24 * 3_600_000).toISOString());
      const before8 = await call(h, 'GET', `/v1/instances?pipelineKey=${def.key}&deadlineBefore=${soon}`, { user: sales });
      expect(before8.body.items).toHaveLength(5);
      const before6 = await call(h, 'GET', `/v1/instances?pipelineKey=${def.key}&deadlineBefore=${late}`, { user: sales });
      expect(before6.body.items).toHaveLength(0);
      const bad = await call(h, 'GET', `/v1/instances?deadlineBefore=tomorrow`, { user: sales });
      expect(bad.status).toBe(400);
    });

    it('When instances are filtered by partner, then only those of records sent to it', async () => {
      const record = await createRecord(h, sales, type, { fields: { title: 'partner deal' }, partnerCompanyId: partner });
      const started = await startInstance(h, sales, def.key, record.id);
      expect(started.status).toBe(201);
      const res = await call(h, 'GET', `/v1/instances?pipelineKey=${def.key}&partnerCompanyId=${partner}`, { user: sales });
      expect(res.body.items.map((i: { instanceId: string }) => i.instanceId)).toEqual([started.body.instanceId]);
    });

    it('When a client syncs instances by last change and one is moved meanwhile, then it comes again at the end instead of being skipped', async () => {
      const path = (cursor?: string) => `/v1/instances?${new URLSearchParams({ pipelineKey: def.key, sort: 'updatedAt', limit: '2', ...(cursor ? { cursor } : {}) }).toString()}`;
      const first = await call(h, 'GET', path(), { user: sales });
      expect(first.status).toBe(200);
      const moved: string = first.body.items[0].instanceId;
      expect((await call(h, 'POST', `/v1/instances/${encodeURIComponent(moved)}/moves`, { user: sales, body: { to: 'lost' } })).status).toBe(200);
      const seen: Array<{ instanceId: string; updatedAt: string }> = [...first.body.items];
      let cursor: string | null = first.body.nextCursor;
      while (cursor) {
        const next = await call(h, 'GET', path(cursor), { user: sales });
        seen.push(...next.body.items);
        cursor = next.body.nextCursor;
      }
      expect(seen.filter((i) => i.instanceId === moved)).toHaveLength(2);
      expect(seen.at(-1)!.instanceId).toBe(moved);
      for (const id of instances) expect(seen.map((i) => i.instanceId)).toContain(id);
      const stamps = seen.map((i) => i.updatedAt);
      expect(stamps).toEqual([...stamps].sort());
    });

    it("When a client pages an instance's audit trail by 1, then its events in order, once each", async () => {
      const id = instances[0]!;
      const whole = await call(h, 'GET', `/v1/instances/${encodeURIComponent(id)}/events`, { user: sales });
      expect(whole.body.nextCursor).toBeNull();
      const pages = await allPages(sales, `/v1/instances/${encodeURIComponent(id)}/events`, { limit: '1' });
      expect(pages.flatMap((p) => p.body.items.map((e: { eventId: string }) => e.eventId))).toEqual(whole.body.items.map((e: { eventId: string }) => e.eventId));
    });
  });

  describe('the company audit trail', () => {
    it('When an admin pages the audit trail by 2, then every entry once, newest first', async () => {
      for (let i = 0; i < 3; i++) expect((await call(h, 'POST', `/v1/users/${sales.actor.userId}/api-keys`, { user: admin, body: { reason: `paged ${i}` } })).status).toBe(201);
      const whole = await call(h, 'GET', '/v1/audit?limit=100', { user: admin });
      expect(whole.body.items.length).toBeGreaterThanOrEqual(3);
      const pages = await allPages(admin, '/v1/audit', { limit: '2' });
      const paged = pages.flatMap((p) => p.body.items);
      expect(paged.map((e: { id: string }) => e.id)).toEqual(whole.body.items.map((e: { id: string }) => e.id));
      const times = paged.map((e: { at: string }) => e.at);
      expect(times).toEqual([...times].sort().reverse());
    });
  });

  describe('lists read whole', () => {
    it('When the users are asked without a page, then all of them with nextCursor null; by 1, the same users one by one', async () => {
      const whole = await call(h, 'GET', '/v1/users', { user: admin });
      expect(whole.status).toBe(200);
      expect(whole.body.nextCursor).toBeNull();
      const pages = await allPages(admin, '/v1/users', { limit: '1' });
      expect(pages.length).toBe(whole.body.items.length);
      expect(new Set(pages.flatMap((p) => p.body.items.map((u: { id: string }) => u.id)))).toEqual(new Set(whole.body.items.map((u: { id: string }) => u.id)));
      expect(await h.db.collection(COLLECTIONS.users).countDocuments({ companyId: company })).toBe(whole.body.items.length);
    });

    it('When a list is asked with an unknown parameter, then 400', async () => {
      const res = await call(h, 'GET', '/v1/users?page=2', { user: admin });
      expect(res.status).toBe(400);
    });
  });
});
