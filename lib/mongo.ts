import { MongoClient, type Db } from 'mongodb';

export interface MongoHandle {
  client: MongoClient;
  db: Db;
}

/**
 * One MongoClient per process. Short server-selection and connect timeouts so
 * that a database outage surfaces as an error the API can turn into a 503 and
 * Temporal can retry, instead of a request that hangs.
 */
export async function connectMongo(uri: string, dbName: string, opts: { monitorCommands?: boolean } = {}): Promise<MongoHandle> {
  const client = new MongoClient(uri, {
    // Command events, for the benchmark's count of round trips; off (and free) otherwise.
    monitorCommands: opts.monitorCommands ?? false,
    serverSelectionTimeoutMS: 5_000,
    connectTimeoutMS: 5_000,
    maxPoolSize: 50,
    // An absent optional field stays absent instead of becoming null.
    ignoreUndefined: true,
  });
  await client.connect();
  return { client, db: client.db(dbName) };
}
