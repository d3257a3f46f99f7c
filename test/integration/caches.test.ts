import crypto from 'node:crypto';
import { COLLECTIONS, createStores, ensureIndexes, type Stores, type User } from '../../activities/store';
import { inRevisionScope, revision, TOKEN_MAX_AGE_MS } from '../../activities/store/revisions';
import { eventually } from '../support/harness';
import { connectMongo, type MongoHandle } from '../../lib/mongo';
import { testStack } from '../support/stack';
import { testPipeline } from '../support/pipelines';

/**
 * Pipelines, people and webhooks are held in memory by every process. Two
 * sets of stores on one database stand for two processes (an API and a
 * worker): what one writes, the other must see within the age its tokens may
 * have (TOKEN_MAX_AGE_MS), and the writer on its very next read.
 */
/** The company whose pipelines both processes read and write. */
const OWNER = 'cmp_caches';

/** What another process reads, until it shows the change (it does within TOKEN_MAX_AGE_MS; the deadline is far above that). */
const soon = (check: () => Promise<void>) =>
  eventually(async () => {
    await check();
    return true;
  }, 20 * TOKEN_MAX_AGE_MS);

describe('per-process caches of pipelines, people and webhooks', () => {
  let mongo: MongoHandle;
  let other: MongoHandle;
  let api: Stores;
  let worker: Stores;
  const now = () => new Date().toISOString();
  const user = (id: string, name: string, roles: string[]): User => ({ id, companyId: 'cmp_x', name, email: `${id}@example.test`, roles, attributes: {}, createdAt: now() });

  beforeAll(async () => {
    const name = `caches_${crypto.randomBytes(4).toString('hex')}`;
    mongo = await connectMongo(testStack().mongoUri, name);
    // A connection of its own, as another process has.
    other = await connectMongo(testStack().mongoUri, name);
    await ensureIndexes(mongo.db);
    api = createStores(mongo.db);
    worker = createStores(other.db);
  });
  afterAll(async () => {
    await mongo?.db.dropDatabase().catch(() => undefined);
    await mongo?.client.close();
    await other?.client.close();
  });

  it('When one process publishes, disables or drafts a pipeline, then another process sees it within the age of its tokens', async () => {
    const type = `thing_${crypto.randomBytes(3).toString('hex')}`;
    const def = testPipeline('Things', type, [{ key: 'open', name: 'Open', type: 'normal' }], { stageField: 'phase' });
    await soon(async () => { expect(await worker.pipelines.publishedFor(OWNER, type)).toEqual([]); });
    await soon(async () => { expect(await worker.pipelines.stageFieldsFor(OWNER, type)).toEqual([]); });

    await api.pipelines.createDraft(OWNER, def, 'admin', now());
    await soon(async () => { expect(await worker.pipelines.stageFieldsFor(OWNER, type)).toEqual(['phase']); });
    await soon(async () => { expect(await worker.pipelines.publishedFor(OWNER, type)).toEqual([]); });

    await api.pipelines.publish(OWNER, def.key, 'admin', now());
    await soon(async () => { expect((await worker.pipelines.publishedFor(OWNER, type)).map((v) => [v.key, v.version])).toEqual([[def.key, 1]]); });
    await soon(async () => { expect(await worker.pipelines.keysFor(OWNER, type)).toEqual([def.key]); });

    await api.pipelines.replaceDraft(OWNER, def.key, { ...def, stageField: 'status' }, 'admin', now());
    await api.pipelines.publish(OWNER, def.key, 'admin', now());
    await soon(async () => { expect((await worker.pipelines.latestPublished(OWNER, def.key))?.version).toBe(2); });
    await soon(async () => { expect((await worker.pipelines.stageFieldsFor(OWNER, type)).sort()).toEqual(['phase', 'status']); });

    await api.pipelines.disable(OWNER, def.key, 'admin', now());
    await soon(async () => { expect(await worker.pipelines.publishedFor(OWNER, type)).toEqual([]); });
    await soon(async () => { expect(await worker.pipelines.latestPublished(OWNER, def.key)).toBeUndefined(); });
  });

  it('When one process changes a user or revokes a key, then the other answers with the change within the age of its tokens', async () => {
    const id = `usr_${crypto.randomBytes(3).toString('hex')}`;
    await api.people.upsertUser(user(id, 'Ann', ['sales']));
    const { key, id: keyId } = await api.people.createApiKey(id, now());
    await soon(async () => { expect(await worker.people.findApiKey(key)).toMatchObject({ id: keyId, userId: id }); });
    await soon(async () => { expect((await worker.people.getUser(id))?.roles).toEqual(['sales']); });

    await api.people.upsertUser(user(id, 'Ann', ['admin']));
    await soon(async () => { expect((await worker.people.getUser(id))?.roles).toEqual(['admin']); });

    await api.people.revokeApiKey(keyId, now());
    await soon(async () => { expect((await worker.people.findApiKey(key))?.revokedAt).toBeDefined(); });
    await soon(async () => { expect(await worker.people.findApiKey(`${key}x`)).toBeUndefined(); });
  });

  it('When a key was stored before key ids followed from their hash, then it still authenticates', async () => {
    const id = `usr_${crypto.randomBytes(3).toString('hex')}`;
    const { key, id: keyId } = await api.people.createApiKey(id, now());
    // As an older release stored it: a random id, found only by its hash.
    const keys = mongo.db.collection<{ _id: string }>(COLLECTIONS.apiKeys);
    const doc = await keys.findOne({ _id: keyId });
    await keys.deleteOne({ _id: keyId });
    await keys.insertOne({ ...doc!, _id: 'key_legacy1234' });
    const fresh = createStores(mongo.db);
    expect(await fresh.people.findApiKey(key)).toMatchObject({ id: 'key_legacy1234', userId: id });
    expect(await fresh.people.findApiKey(key)).not.toHaveProperty('hash');
  });

  it('When one process adds or disables a webhook, then a step in another process sees it within the age of its tokens', async () => {
    const company = `cmp_${crypto.randomBytes(3).toString('hex')}`;
    await soon(async () => { expect(await worker.webhooks.matching([company], ['lead.accepted'])).toEqual([]); });
    const hook = await api.webhooks.create({ companyId: company, url: 'https://example.test/h', events: ['lead.accepted'], createdBy: 'admin' }, now());
    await soon(async () => { expect((await worker.webhooks.matching([company], ['lead.accepted'])).map((h) => h.id)).toEqual([hook.id]); });
    await soon(async () => { expect(await worker.webhooks.matching([company], ['lead.declined'])).toEqual([]); });
    await api.webhooks.disable(company, hook.id, now());
    await soon(async () => { expect(await worker.webhooks.matching([company], ['lead.accepted'])).toEqual([]); });
    expect((await api.webhooks.getFor(company, hook.id))?.active).toBe(false);
  });

  it('When a cached value is handed out, then no caller can change it for the others', async () => {
    const type = `frozen_${crypto.randomBytes(3).toString('hex')}`;
    const def = testPipeline('Frozen', type, [{ key: 'open', name: 'Open', type: 'normal' }]);
    await api.pipelines.createDraft(OWNER, def, 'admin', now());
    await soon(async () => { expect(await worker.pipelines.keysFor(OWNER, type)).toEqual([def.key]); });
    const id = `usr_${crypto.randomBytes(3).toString('hex')}`;
    await api.people.upsertUser(user(id, 'Bo', ['sales']));
    const cached = await eventually(() => worker.people.getUser(id), 20 * TOKEN_MAX_AGE_MS);
    expect(() => cached.roles.push('admin')).toThrow(TypeError);
    await soon(async () => { expect((await worker.people.getUser(id))?.roles).toEqual(['sales']); });
  });

  it('When many reads overlap, then they share one read of the token, and a write in between is never missed', async () => {
    const changes = revision(mongo.db, `test_${crypto.randomBytes(3).toString('hex')}`);
    let loads = 0;
    let value = 'first';
    const read = changes.cached(async () => {
      loads++;
      return value;
    });
    expect(await Promise.all([read(), read(), read()])).toEqual(['first', 'first', 'first']);
    expect(loads).toBe(1);
    value = 'second';
    const during = read();
    await changes.changed();
    expect(await read()).toBe('second');
    await during;
    expect(await read()).toBe('second');
  });

  it('When one request reads cached values many times, then it reads the tokens once, still sees its own write, and sees another process\'s once its tokens are older than their age', async () => {
    const name = `scope_${crypto.randomBytes(4).toString('hex')}`;
    const watched = await connectMongo(testStack().mongoUri, mongo.db.databaseName, { monitorCommands: true });
    let tokenReads = 0;
    watched.client.on('commandStarted', (e) => {
      if (e.commandName === 'find' && e.command.find === COLLECTIONS.revisions) tokenReads++;
    });
    try {
      const changes = revision(watched.db, name);
      const elsewhere = revision(other.db, name);
      let value = 'first';
      const read = changes.cached(async () => value);
      const seen = await inRevisionScope(async () => {
        const reads = [await read(), await read(), await read()];
        expect(tokenReads).toBe(1);
        // A write in this process starts a new epoch: the request's next read checks again.
        value = 'second';
        await changes.changed();
        reads.push(await read());
        return reads;
      });
      expect(seen).toEqual(['first', 'first', 'first', 'second']);
      expect(tokenReads).toBe(2);
      // Another process changes the data: a request once the tokens it holds are older than TOKEN_MAX_AGE_MS sees it.
      value = 'third';
      await elsewhere.changed();
      await soon(async () => { expect(await inRevisionScope(() => read())).toBe('third'); });
      // Requests in between went by the tokens read last, with no read of their own.
      const before = tokenReads;
      await Promise.all(Array.from({ length: 20 }, () => inRevisionScope(() => read())));
      expect(tokenReads - before).toBeLessThanOrEqual(1);
    } finally {
      await watched.client.close();
    }
  });
});
