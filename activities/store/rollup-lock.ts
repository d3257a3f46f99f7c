import type { Collection } from 'mongodb';
import { isDuplicateKey, type Doc } from './collections';

/** Far above one fold's duration: a lock outlives its holder only when the holder died. */
export const FOLD_LEASE_MS = 60_000;
const POLL_MS = 50;

type LockDoc = Doc<{ expiresAt: number }>;

/**
 * One folder at a time per pipeline, across processes. An insert keyed by `_id`
 * is the one write FerretDB 1.24 makes atomically (its updates read, modify and
 * write back, so two folders updating a day document would lose facts); a
 * holder that died is replaced once its lease ran out.
 */
export async function withFoldLock<T>(locks: Collection<LockDoc>, key: string, work: () => Promise<T>): Promise<T> {
  const giveUpAt = Date.now() + FOLD_LEASE_MS * 2;
  for (;;) {
    try {
      await locks.insertOne({ _id: key, expiresAt: Date.now() + FOLD_LEASE_MS });
      break;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    const held = await locks.findOne({ _id: key });
    if (held && held.expiresAt < Date.now()) await locks.deleteOne({ _id: key, expiresAt: held.expiresAt });
    else if (Date.now() > giveUpAt) throw new Error(`the analytics fold of ${key} is held by another process`);
    else await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  try {
    return await work();
  } finally {
    await locks.deleteOne({ _id: key }).catch(() => undefined);
  }
}
