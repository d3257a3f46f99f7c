import crypto from 'node:crypto';
import { COLLECTIONS, ensureIndexes } from '../../activities/store';
import { connectMongo, type MongoHandle } from '../../lib/mongo';
import { testStack } from '../support/stack';

describe('indexes', () => {
  let mongo: MongoHandle;
  beforeAll(async () => {
    mongo = await connectMongo(testStack().mongoUri, `indexes_${crypto.randomBytes(4).toString('hex')}`);
  });
  afterAll(async () => mongo?.client.close());

  it('When every process ensures the indexes on start, then a second run changes nothing and the connection stays usable', async () => {
    await ensureIndexes(mongo.db);
    await ensureIndexes(mongo.db);
    const names = (await mongo.db.collection(COLLECTIONS.apiKeys).listIndexes().toArray()).map((i) => i.name).sort();
    expect(names).toEqual(['_id_', 'by_hash', 'by_user']);
    const byHash = (await mongo.db.collection(COLLECTIONS.apiKeys).listIndexes().toArray()).find((i) => i.name === 'by_hash');
    expect(byHash?.unique).toBe(true);
    expect(await mongo.db.command({ ping: 1 })).toMatchObject({ ok: 1 });
  });
});
