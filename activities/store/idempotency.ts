import type { Db } from 'mongodb';
import { COLLECTIONS, isDuplicateKey, type Doc } from './collections';

export interface StoredResponse {
  requestHash: string;
  status: number;
  body: unknown;
  createdAt: string;
}

type ResponseDoc = Doc<StoredResponse>;

/** Responses kept by Idempotency-Key, so a retried request gets the first answer and changes nothing. */
export function idempotencyStore(db: Db) {
  const responses = db.collection<ResponseDoc>(COLLECTIONS.idempotency);
  return {
    async get(id: string): Promise<StoredResponse | undefined> {
      const doc = await responses.findOne({ _id: id });
      if (!doc) return undefined;
      const { _id, ...rest } = doc;
      return rest;
    },
    /** The first response stored under a key wins. */
    async put(id: string, response: StoredResponse): Promise<void> {
      try {
        await responses.insertOne({ _id: id, ...response });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    },
  };
}

export type IdempotencyStore = ReturnType<typeof idempotencyStore>;
