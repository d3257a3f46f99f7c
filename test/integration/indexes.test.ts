import crypto from 'node:crypto';
import { COLLECTIONS, ensureIndexes } from '../../activities/store';
import { connectMongo, type MongoHandle } from '../../lib/mongo';
import { eventually } from '../support/harness';
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

  /** SQLite's plan for a find, as FerretDB's explain reports it. */
  async function plan(collection: string, filter: Record<string, unknown>): Promise<string> {
    const explained = await mongo.db.command({ explain: { find: collection, filter }, verbosity: 'queryPlanner' });
    return JSON.stringify(explained.queryPlanner);
  }

  it('When a collection is looked up by _id on FerretDB, then SQLite searches an index instead of scanning the table', async () => {
    const collection = mongo.db.collection<{ _id: string; n: number }>(`lookups_${crypto.randomBytes(3).toString('hex')}`);
    await collection.insertMany(Array.from({ length: 20 }, (_, n) => ({ _id: `doc_${n}`, n })));
    // The launcher indexes new tables within its 2-second pass. A SQLite connection sees a schema change when it next
    // runs a statement (an explain alone does not check), so each try reads first.
    const indexed = await eventually(async () => {
      await collection.findOne({ _id: 'doc_7' });
      const found = await plan(collection.collectionName, { _id: 'doc_7' });
      return /USING INDEX/.test(found) && found;
    });
    expect(indexed).not.toMatch(/SCAN/);
    expect(await collection.findOne({ _id: 'doc_7' })).toEqual({ _id: 'doc_7', n: 7 });
    // The index is the launcher's own: clients see only the collection's real ones.
    expect((await collection.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_']);
    // Any other filter is still FerretDB's to answer (it filters in Go), and answers right.
    expect(await plan(collection.collectionName, { n: 7 })).toMatch(/SCAN/);
    expect(await collection.find({ n: { $gte: 18 } }).toArray()).toHaveLength(2);
  });
});
