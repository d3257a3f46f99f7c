import crypto from 'node:crypto';
import type { Db } from 'mongodb';
import { COLLECTIONS, isDuplicateKey, type Doc } from './collections';

/** How long a key is remembered: a retry within a day gets the first answer; after that the key is new again. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

/** An answer as it is replayed: its status and its body, sealed (see `seal`). */
export interface StoredResponse {
  status: number;
  body: string;
}

interface KeyDoc {
  requestHash: string;
  /** `pending` while the first request runs; `done` once its answer is kept. */
  state: 'pending' | 'done';
  /** Which attempt holds a pending key: only it completes or releases it. */
  claim: string;
  claimedAt: string;
  expiresAt: string;
  response?: StoredResponse;
}

export type Claim =
  | { kind: 'claimed'; claim: string }
  | { kind: 'done'; response: StoredResponse }
  | { kind: 'pending' }
  | { kind: 'mismatch' };

/**
 * Idempotency-Key, stored. A key is first claimed (`pending`), so a retry that
 * arrives while the first request still runs is told so instead of running
 * it again; the first answer then replaces the claim (`done`) and is replayed
 * for a day. A claim whose request died with its process is taken over once
 * it is older than `staleAfterMs`.
 *
 * Expiry is a sweep (`sweep`), not a TTL index: FerretDB 1.24 does not
 * support `expireAfterSeconds`. An expired key is treated as absent even
 * before the sweep reaches it.
 */
export function idempotencyStore(db: Db) {
  const keys = db.collection<Doc<KeyDoc>>(COLLECTIONS.idempotency);

  async function fresh(id: string, requestHash: string, now: Date): Promise<string | undefined> {
    const claim = crypto.randomUUID();
    const at = now.toISOString();
    try {
      await keys.insertOne({ _id: id, requestHash, state: 'pending', claim, claimedAt: at, expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS).toISOString() });
      return claim;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      return undefined;
    }
  }

  return {
    async claim(id: string, requestHash: string, now: Date, staleAfterMs: number): Promise<Claim> {
      // Three rounds at most: a key that expires or is released between the insert and the read is claimed again.
      for (let round = 0; round < 3; round++) {
        const claim = await fresh(id, requestHash, now);
        if (claim) return { kind: 'claimed', claim };
        const doc = await keys.findOne({ _id: id });
        if (!doc) continue;
        // Kept before keys expired (no expiresAt): as good as expired.
        if (!doc.expiresAt || doc.expiresAt <= now.toISOString()) {
          await keys.deleteOne(doc.expiresAt ? { _id: id, expiresAt: doc.expiresAt } : { _id: id, expiresAt: { $exists: false } });
          continue;
        }
        if (doc.requestHash !== requestHash) return { kind: 'mismatch' };
        if (doc.state === 'done' && doc.response) return { kind: 'done', response: doc.response };
        if (now.getTime() - Date.parse(doc.claimedAt) < staleAfterMs) return { kind: 'pending' };
        const taken = crypto.randomUUID();
        const { matchedCount } = await keys.updateOne({ _id: id, state: 'pending', claim: doc.claim }, { $set: { claim: taken, claimedAt: now.toISOString() } });
        if (matchedCount === 1) return { kind: 'claimed', claim: taken };
      }
      return { kind: 'pending' };
    },

    /** Keeps the answer of the attempt that holds the claim; a later answer of an attempt whose claim was taken over is dropped. */
    async complete(id: string, claim: string, response: StoredResponse): Promise<void> {
      await keys.updateOne({ _id: id, state: 'pending', claim }, { $set: { state: 'done', response } });
    },

    /** Lets the key go (the answer was not one to keep): a retry runs the request again. */
    async release(id: string, claim: string): Promise<void> {
      await keys.deleteOne({ _id: id, state: 'pending', claim });
    },

    /** Deletes the keys that expired before `now`; answers how many. */
    async sweep(now: Date): Promise<number> {
      const { deletedCount } = await keys.deleteMany({ $or: [{ expiresAt: { $lte: now.toISOString() } }, { expiresAt: { $exists: false } }] });
      return deletedCount;
    },
  };
}

export type IdempotencyStore = ReturnType<typeof idempotencyStore>;
