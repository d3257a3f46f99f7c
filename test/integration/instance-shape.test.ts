import type { CommandStartedEvent } from 'mongodb';
import { COLLECTIONS } from '../../activities/store';
import { call, seedUser, type TestUser } from '../support/auth';
import { uid } from '../support/factories';
import { startHarness, type Harness } from '../support/harness';
import { createRecord, instancePath, publishPipeline, startInstance, testPipeline } from '../support/pipelines';

jest.setTimeout(120_000);

/** The detail without the members a list item leaves out, and with only its record's identity: what the list must answer. */
function listedFrom(detail: any) {
  const { eventId: _e, history: _h, tasks: _t, allowedMoves: _a, record, ...rest } = detail;
  const { id, type, ownerId, companyId, partnerCompanyId, contactId } = record;
  return { ...rest, record: { id, type, ownerId, companyId, ...(partnerCompanyId ? { partnerCompanyId } : {}), ...(contactId ? { contactId } : {}) } };
}

/**
 * One Instance shape (issue 34): with shape=instance a list item is the
 * detail without its heavy members; without it, for this release, the old
 * summary (stage a string), marked deprecated as offset is.
 */
describe('One Instance shape', () => {
  let h: Harness;
  let sales: TestUser;
  const commands: CommandStartedEvent[] = [];
  const type = uid('deal');
  const def = testPipeline('Shaped deals', type, [
    { key: 'open', name: 'Open', type: 'normal', initial: true, winRate: 20, deadline: { after: '7d', to: 'lost' } },
    { key: 'proposal', name: 'Proposal', type: 'normal', winRate: 60 },
    { key: 'lost', name: 'Lost', type: 'failure', winRate: 0 },
  ]);
  const ids: string[] = [];
  let recordId = '';

  beforeAll(async () => {
    h = await startHarness({ onCommand: (e) => commands.push(e) });
    const company = uid('cmp');
    const admin = await seedUser(h, { companyId: company, roles: ['admin'] });
    sales = await seedUser(h, { companyId: company, roles: ['sales'] });
    await publishPipeline(h, admin, def);
    for (let i = 0; i < 3; i++) {
      const record = await createRecord(h, sales, type, { fields: { title: `d${i}`, amount: 1000 * (i + 1) } });
      recordId ||= record.id;
      const started = await startInstance(h, sales, def.key, record.id);
      expect(started.status).toBe(201);
      ids.push(started.body.instanceId);
    }
    const moved = await call(h, 'POST', `${instancePath(ids[1]!)}/moves`, { user: sales, body: { to: 'proposal' } });
    expect(moved.status).toBe(200);
  });
  afterAll(async () => h?.stop());

  const list = (query: string) => call(h, 'GET', `/v1/instances?pipelineKey=${def.key}${query}`, { user: sales });

  it('When a client lists with shape=instance, then each item is its detail without history, tasks and allowed moves, with no Deprecation', async () => {
    const res = await list('&shape=instance');
    expect(res.status).toBe(200);
    expect(res.headers.get('deprecation')).toBeNull();
    expect(res.headers.get('link')).toBeNull();
    expect(res.body.items.map((i: { instanceId: string }) => i.instanceId)).toEqual([...ids].sort());
    for (const item of res.body.items) {
      const detail = await call(h, 'GET', instancePath(item.instanceId), { user: sales });
      expect(item.stage).toEqual(detail.body.stage);
      expect(item).toEqual(listedFrom(detail.body));
    }
    const proposal = res.body.items.find((i: { instanceId: string }) => i.instanceId === ids[1]);
    expect(proposal.stage).toEqual({ key: 'proposal', name: 'Proposal', type: 'normal', winRate: 60 });
    expect(proposal).toMatchObject({ amount: 2000, weightedAmount: 1200 });
  });

  it('When a client lists without shape, then the summary form of this release, with Deprecation and Link rel="deprecation"; shape=summary the same', async () => {
    for (const query of ['', '&shape=summary']) {
      const res = await list(query);
      expect(res.status).toBe(200);
      expect(res.headers.get('deprecation')).toBe('@1796601600');
      expect(res.headers.get('link')).toBe('</docs#/instances/listInstances>; rel="deprecation"; type="text/html"');
      const proposal = res.body.items.find((i: { instanceId: string }) => i.instanceId === ids[1]);
      expect(proposal).toMatchObject({ stage: 'proposal', stageType: 'normal', pipelineKey: def.key, winRate: 60, seq: expect.any(Number) });
    }
  });

  it('When a client pages with shape=instance, then Link rel="next" keeps the shape, and the cursor goes on in either shape', async () => {
    const first = await list('&shape=instance&limit=2');
    const cursor = first.body.nextCursor as string;
    expect(first.headers.get('link')).toBe(`</v1/instances?pipelineKey=${def.key}&shape=instance&limit=2&cursor=${cursor}>; rel="next"`);
    const next = await list(`&shape=instance&limit=2&cursor=${cursor}`);
    const old = await list(`&limit=2&cursor=${cursor}`);
    expect([next.status, old.status]).toEqual([200, 200]);
    expect(next.body.items.map((i: { instanceId: string }) => i.instanceId)).toEqual(old.body.items.map((i: { instanceId: string }) => i.instanceId));
    expect(typeof next.body.items[0].stage).toBe('object');
    expect(typeof old.body.items[0].stage).toBe('string');
  });

  it('When shape is not instance or summary, then 400 with the reason, on the list and on a record', async () => {
    for (const path of [`/v1/instances?shape=full`, `/v1/records/${type}/${recordId}?shape=Instance`]) {
      const res = await call(h, 'GET', path, { user: sales });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(JSON.stringify(res.body.error)).toMatch(/shape is instance \(the Instance shape\) or summary/);
      expect(res.body.error.details.fieldErrors).toHaveProperty('shape');
    }
  });

  it("When a record is read with shape=instance, then its instances are the list's items; without it, { instanceId, stage, status } with Deprecation", async () => {
    const shaped = await call(h, 'GET', `/v1/records/${type}/${recordId}?shape=instance`, { user: sales });
    expect(shaped.status).toBe(200);
    expect(shaped.headers.get('deprecation')).toBeNull();
    const listed = (await list('&shape=instance')).body.items.filter((i: { record: { id: string } }) => i.record.id === recordId);
    expect(shaped.body.instances).toEqual(listed);
    expect(shaped.body.instances[0].stage).toEqual({ key: 'open', name: 'Open', type: 'normal', winRate: 20 });

    const old = await call(h, 'GET', `/v1/records/${type}/${recordId}`, { user: sales });
    expect(old.status).toBe(200);
    expect(old.headers.get('deprecation')).toBe('@1796601600');
    expect(old.headers.get('link')).toBe('</docs#/records/getRecord>; rel="deprecation"; type="text/html"');
    expect(old.body.instances).toEqual([{ instanceId: ids[0], stage: 'open', status: 'running' }]);
  });

  it('When a page is answered in the Instance shape, then it sends MongoDB no command per item: the pinned versions come from the cache', async () => {
    await list('&shape=instance'); // the versions are read once per process
    const sent = async (query: string) => {
      commands.length = 0;
      expect((await list(query)).status).toBe(200);
      return commands.map((c) => `${c.commandName}:${String(c.command[c.commandName])}`).filter((c) => !c.includes(COLLECTIONS.apiKeys) && !c.includes(COLLECTIONS.users));
    };
    const summary = await sent('');
    const shaped = await sent('&shape=instance');
    expect(summary).toContain(`find:${COLLECTIONS.instances}`);
    expect(shaped).toEqual(summary);
    expect(shaped.filter((c) => c.includes(COLLECTIONS.pipelineVersions) || c.includes(COLLECTIONS.records))).toEqual([]);
  });
});
