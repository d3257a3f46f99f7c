import { COLLECTIONS } from '../../activities/store';
import { IDEMPOTENCY_TTL_MS } from '../../activities/store/idempotency';
import { call, seedUser, type TestUser } from '../support/auth';
import { uid } from '../support/factories';
import { eventually, startHarness, startWorker, type Harness, type TestWorker } from '../support/harness';
import { testPipeline } from '../support/pipelines';
import { RECEIVER_NETWORKS } from '../support/webhook-receiver';

jest.setTimeout(120_000);

/**
 * Idempotency-Key on every POST: a create retried across a 503 writes one
 * record and starts one instance; a 400 is not kept; a key lasts a day; a
 * kept answer is sealed in the database.
 */
describe('Idempotency-Key on creates', () => {
  const TIMEOUT_MS = 1_500;
  let h: Harness;
  let worker: TestWorker | undefined;
  let admin: TestUser;
  let sales: TestUser;
  const company = uid('cmp');
  const type = uid('note');

  beforeAll(async () => {
    // No worker at first: a create starts its pipeline's instance, which nothing runs yet, so the request times out.
    h = await startHarness({ worker: false, limits: { requestTimeoutMs: TIMEOUT_MS }, webhookAllowNetworks: RECEIVER_NETWORKS });
    admin = await seedUser(h, { companyId: company, roles: ['admin'] });
    sales = await seedUser(h, { companyId: company, roles: ['sales'] });
    const notes = testPipeline('Notes', type, [{ key: 'open', name: 'Open', type: 'normal', initial: true }], {
      trigger: { onCreate: true, manual: false, reinitiate: false },
    });
    await h.stores.pipelines.createDraft(company, notes, admin.actor.userId, new Date().toISOString());
    await h.stores.pipelines.publish(company, notes.key, admin.actor.userId, new Date().toISOString());
  });
  afterAll(async () => {
    await worker?.stop();
    await h?.stop();
  });

  const create = (body: unknown, key?: string) =>
    call(h, 'POST', `/v1/records/${type}`, { user: sales, body, headers: key ? { 'idempotency-key': key } : {} });
  const withTitle = (title: string) => h.db.collection(COLLECTIONS.records).find({ type, 'fields.title': title }).toArray();

  it('When a create times out (503) and is retried with its key, then 409 while the first runs, and at last one record, one instance and one answer', async () => {
    const key = uid('idem');
    const body = { fields: { title: 'retried' } };

    const first = await create(body, key);
    expect(first.status).toBe(503);
    expect(first.body.error.code).toBe('timeout');

    // The first request still runs (its instance waits for a worker): the retry is told to come back, and runs nothing.
    const early = await create(body, key);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('idempotency_in_progress');
    expect(early.headers.get('retry-after')).toBe('1');

    worker = await startWorker(h);
    const answered = await eventually(async () => {
      const res = await create(body, key);
      return res.status === 201 ? res : undefined;
    }, 60_000);
    const again = await create(body, key);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(answered.body);

    const records = await withTitle('retried');
    expect(records).toHaveLength(1);
    expect(answered.body.id).toBe(records[0]!._id);
    const instances = await h.stores.instances.forRecord(String(records[0]!._id));
    expect(instances).toHaveLength(1);
    expect(answered.body.instances).toEqual([{ instanceId: instances[0]!.instanceId, outcome: 'started' }]);
  });

  it('When a create is refused with 400, then the answer is not kept: the same key with a fixed body creates the record', async () => {
    worker ??= await startWorker(h);
    const key = uid('idem');
    const bad = await create({ fields: 'not an object' }, key);
    expect(bad.status).toBe(400);

    const fixed = await create({ fields: { title: 'fixed' } }, key);
    expect(fixed.status).toBe(201);
    expect(fixed.headers.get('idempotent-replayed')).toBeNull();
    expect(await withTitle('fixed')).toHaveLength(1);
  });

  it('When a key is sent again with another body, then 422 idempotency_key_reused and nothing is written', async () => {
    worker ??= await startWorker(h);
    const key = uid('idem');
    expect((await create({ fields: { title: 'first body' } }, key)).status).toBe(201);
    const reused = await create({ fields: { title: 'second body' } }, key);
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
    expect(await withTitle('second body')).toHaveLength(0);
    expect(await withTitle('first body')).toHaveLength(1);
  });

  it('When the same webhook and the same API key are created twice with one key, then one of each, and the secret is replayed but not readable in the database', async () => {
    const key = uid('idem');
    const hook = { companyId: company, url: 'https://hooks.example.test/idem', events: ['lead.accepted'] };
    const one = await call(h, 'POST', '/v1/webhooks', { user: admin, body: hook, headers: { 'idempotency-key': key } });
    const two = await call(h, 'POST', '/v1/webhooks', { user: admin, body: hook, headers: { 'idempotency-key': key } });
    expect(one.status).toBe(201);
    expect(two.status).toBe(201);
    expect(two.body).toEqual(one.body);
    expect(await h.db.collection(COLLECTIONS.webhooks).countDocuments({ companyId: company, url: hook.url })).toBe(1);

    const apiKey = await call(h, 'POST', `/v1/users/${sales.actor.userId}/api-keys`, { user: admin, headers: { 'idempotency-key': key } });
    const apiKeyAgain = await call(h, 'POST', `/v1/users/${sales.actor.userId}/api-keys`, { user: admin, headers: { 'idempotency-key': key } });
    expect(apiKey.status).toBe(201);
    expect(apiKeyAgain.body.key).toBe(apiKey.body.key);
    expect(await h.db.collection(COLLECTIONS.apiKeys).countDocuments({ userId: sales.actor.userId })).toBe(2); // the seeded one and this one

    const kept = JSON.stringify(await h.db.collection(COLLECTIONS.idempotency).find({}).toArray());
    expect(kept).not.toContain(one.body.secret);
    expect(kept).not.toContain(apiKey.body.key);
    expect(kept).not.toContain('hooks.example.test/idem');
  });

  it('When a day has passed, then the key is new again, and the sweep deletes what expired', async () => {
    const store = h.stores.idempotency;
    const now = new Date();
    const id = uid('key');
    const first = await store.claim(id, 'hash-a', now, 60_000);
    expect(first.kind).toBe('claimed');
    if (first.kind !== 'claimed') return;
    await store.complete(id, first.claim, { status: 201, body: 'sealed' });
    expect(await store.claim(id, 'hash-b', new Date(now.getTime() + IDEMPOTENCY_TTL_MS - 1_000), 60_000)).toEqual({ kind: 'mismatch' });
    expect(await store.claim(id, 'hash-a', new Date(now.getTime() + 1_000), 60_000)).toEqual({ kind: 'done', response: { status: 201, body: 'sealed' } });
    // A day on, the same key with any body is claimed afresh.
    expect((await store.claim(id, 'hash-b', new Date(now.getTime() + IDEMPOTENCY_TTL_MS + 1_000), 60_000)).kind).toBe('claimed');

    const old = uid('key');
    await store.claim(old, 'hash', now, 60_000);
    const keys = h.db.collection(COLLECTIONS.idempotency);
    expect(await keys.countDocuments({ _id: old as never })).toBe(1);
    expect(await store.sweep(new Date(now.getTime() + IDEMPOTENCY_TTL_MS - 60_000))).toBe(0);
    expect(await keys.countDocuments({ _id: old as never })).toBe(1);
    expect(await store.sweep(new Date(now.getTime() + 2 * IDEMPOTENCY_TTL_MS + 60_000))).toBeGreaterThanOrEqual(2);
    expect(await keys.countDocuments({ _id: { $in: [id, old] } as never })).toBe(0);
  });

  it('When a claim was left by a process that died, then a retry takes it over once it is stale, and not before', async () => {
    const store = h.stores.idempotency;
    const now = new Date();
    const id = uid('key');
    expect((await store.claim(id, 'hash', now, 60_000)).kind).toBe('claimed');
    expect(await store.claim(id, 'hash', new Date(now.getTime() + 59_000), 60_000)).toEqual({ kind: 'pending' });
    const taken = await store.claim(id, 'hash', new Date(now.getTime() + 61_000), 60_000);
    expect(taken.kind).toBe('claimed');
  });
});
