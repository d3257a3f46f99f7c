import type { Collection, Db, OptionalUnlessRequiredId, WithId } from 'mongodb';
import { COLLECTIONS, isDuplicateKey, type Doc } from './collections';

/**
 * Writes that land only on the version they read, for documents more than one
 * request may change at once (companies, users, API keys, pipelines,
 * webhooks). A version in an update's filter is not enough on FerretDB: it
 * reads, modifies and writes the document back without a transaction, so two
 * writers of one version would both match and both "succeed", one change
 * lost. So a writer first claims the version it read by inserting a claim
 * whose `_id` names it: inserting a taken `_id` fails atomically on MongoDB
 * and on every FerretDB backend, so exactly one writer of each version gets
 * through; the others read again and retry on the new version, or, when the
 * caller named the version it expects, are told it is stale.
 */

/** Far above one write's duration: a claim outlives its holder only when the holder died. */
const CLAIM_LEASE_MS = 30_000;
/** How long a write keeps retrying against concurrent writers of one document before it answers `conflict`. */
const WRITE_BUDGET_MS = 5_000;

type ClaimDoc = Doc<{ collection: string; documentId: string; version: number; expiresAt: string }>;

/** Every document written here carries a version; one written before versions counts as version 1. */
export interface Versioned {
  _id: string;
  version?: number;
}

export const versionOf = (doc: { version?: number }): number => doc.version ?? 1;

export type VersionedWrite<T> =
  | { status: 'written'; doc: T }
  | { status: 'unchanged'; doc: T }
  | { status: 'missing' }
  | { status: 'stale'; version: number }
  | { status: 'conflict' };

export interface WriteOptions {
  /** The version the caller last read (If-Match): the write lands on it or is `stale`. Without it, on the newest. */
  expectedVersion?: number;
}

/** A short, growing, jittered pause between attempts, so that writers of one document take turns. */
const pause = (attempt: number) => new Promise((r) => setTimeout(r, Math.min(50, 2 ** attempt) * (0.5 + Math.random())));

export function versionedWriter<D extends Versioned>(db: Db, collection: Collection<D>) {
  const claims = db.collection<ClaimDoc>(COLLECTIONS.writeClaims);
  const name = collection.collectionName;

  /** The claim on `version` of the document, or undefined when another live writer holds it. */
  async function claim(id: string, version: number): Promise<string | undefined> {
    for (let generation = 1; ; generation++) {
      const claimId = `${name}/${id}@${version}#${generation}`;
      const nowMs = Date.now();
      try {
        await claims.insertOne({ _id: claimId, collection: name, documentId: id, version, expiresAt: new Date(nowMs + CLAIM_LEASE_MS).toISOString() });
        return claimId;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      const held = await claims.findOne({ _id: claimId });
      // Held, or just released by a writer that finished: either way another writer of this version got there first.
      if (!held || Date.parse(held.expiresAt) > nowMs) return undefined;
    }
  }

  const read = (id: string) => collection.findOne({ _id: id } as never) as Promise<WithId<D> | null>;

  /**
   * Applies `change` to the document as stored and writes the result as the
   * next version. `change` answers the whole next document (its `version` is
   * set here), or undefined when there is nothing to change; it may throw to
   * refuse, and nothing is written then. It must be pure: it runs once on the
   * document as first read (no change, or a refusal, is answered from that
   * read), then again while the version is claimed, on the document as read
   * under the claim, so what it writes holds.
   */
  async function write(id: string, change: (current: D) => D | undefined, opts: WriteOptions = {}): Promise<VersionedWrite<D>> {
    const deadline = Date.now() + WRITE_BUDGET_MS;
    for (let attempt = 0; ; attempt++) {
      const seen = await read(id);
      if (!seen) return { status: 'missing' };
      const version = versionOf(seen);
      if (opts.expectedVersion !== undefined && version !== opts.expectedVersion) return { status: 'stale', version };
      // Nothing to change on the version just read (a key already revoked, a member already in): that read is
      // the answer, with no claim to take. Fifty revocations of one key then queue behind the first one only.
      if (change(seen as D) === undefined) return { status: 'unchanged', doc: seen as D };
      const held = await claim(id, version);
      if (held) {
        try {
          // Read again under the claim: a writer that finished between the first read and the claim has moved it on.
          const current = await read(id);
          if (!current) return { status: 'missing' };
          if (versionOf(current) === version) {
            const next = change(current as D);
            if (next === undefined) return { status: 'unchanged', doc: current as D };
            const written = { ...next, _id: id, version: version + 1 } as D;
            await collection.replaceOne({ _id: id } as never, written as never);
            return { status: 'written', doc: written };
          }
        } finally {
          // Released once the write is over; if this fails, the claim just waits out its lease.
          await claims.deleteOne({ _id: held }).catch(() => undefined);
        }
      }
      if (Date.now() > deadline) return { status: 'conflict' };
      await pause(attempt);
    }
  }

  /** A new document at version 1; a duplicate `_id` throws as insertOne does. */
  async function insert(doc: D): Promise<D> {
    const written = { ...doc, version: 1 } as D;
    await collection.insertOne(written as OptionalUnlessRequiredId<D>);
    return written;
  }

  return { write, insert };
}

export type VersionedWriter<D extends Versioned> = ReturnType<typeof versionedWriter<D>>;
