import { AsyncLocalStorage } from 'node:async_hooks';
import crypto from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { MongoNetworkTimeoutError, type Db } from 'mongodb';
import { COLLECTIONS, type Doc } from './collections';

type RevisionDoc = Doc<{ token: string }>;

/**
 * A backstop for a writer that changed the data but died before it could
 * change the token: no process serves what it cached for longer than this.
 */
const MAX_AGE_MS = 30_000;

/** Values shared by every caller: one that tried to change a cached value would change it for all, so none can. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Every read in the process waits on the shared token read: one that never
 * answers (a connection cut without a reset) must fail them, not hold them all.
 */
const TOKEN_READ_TIMEOUT_MS = 5_000;

function withDeadline<T>(read: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    // A network timeout, as the driver reports one: callers treat it as the database being unreachable.
    timer = setTimeout(() => reject(new MongoNetworkTimeoutError(`MongoDB did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([read, deadline]).finally(() => clearTimeout(timer));
}

export interface Revision {
  /** Called after every write to the data, by whichever process wrote. */
  changed(): Promise<void>;
  /** A value loaded once and held until the data changes. */
  cached<T>(load: () => Promise<T>): () => Promise<T>;
  /** Values loaded one key at a time and held until the data changes (the `max` most recent). */
  keyed<T extends object>(max: number, load: (key: string) => Promise<T | undefined>): (key: string) => Promise<T | undefined>;
}

/**
 * One reader of every token per database handle: the revisions of pipelines,
 * people and webhooks are read together (the collection holds one small
 * document each), and reads that overlap share that one read. Any write in
 * this process starts a new epoch: a read that began before it does not count
 * for reads after it.
 */
/** A load in progress, and the cache generation it began in. */
interface Loading<T> {
  since: unknown;
  v: Promise<T>;
}

interface TokenReader {
  epoch: number;
  read(): Promise<Map<string, string>>;
}

/**
 * How old the tokens a process goes by may be: a change made by another
 * process is seen within this long. Every request and activity once read
 * them, a command each; a process now reads them at most this often, and
 * after each write of its own.
 */
export const TOKEN_MAX_AGE_MS = 250;

const readers = new WeakMap<Db, TokenReader>();

/** The tokens one request (or one activity) read, per reader, and the epoch they were read in. */
export type RevisionScope = Map<TokenReader, { epoch: number; tokens: Promise<Map<string, string>> }>;
const scopes = new AsyncLocalStorage<RevisionScope>();

/**
 * Runs `work` as one request: every cached read in it checks the tokens
 * once, the first time one is needed, instead of once per read (an API
 * request reads people, pipelines and webhooks several times over). What
 * another process writes meanwhile is seen by the next request, as if this
 * one had run a moment earlier; a write in this process is still seen by
 * every read after it, its own request's included.
 */
/**
 * `scope` continues one begun earlier: a request's body is read on stream
 * events, whose callbacks run outside the context that read its headers.
 */
export function inRevisionScope<T>(work: () => T, scope: RevisionScope = new Map()): T {
  return scopes.run(scope, work);
}

function tokenReader(db: Db): TokenReader {
  const known = readers.get(db);
  if (known) return known;
  const revisions = db.collection<RevisionDoc>(COLLECTIONS.revisions);
  let inFlight: { epoch: number; tokens: Promise<Map<string, string>> } | undefined;
  /** The last tokens read, in which epoch and when: reused until they are TOKEN_MAX_AGE_MS old. */
  let fresh: { epoch: number; tokens: Promise<Map<string, string>>; at: number } | undefined;
  const reader: TokenReader = {
    epoch: 0,
    read() {
      const scope = scopes.getStore();
      const held = scope?.get(reader);
      if (held && held.epoch === reader.epoch) return held.tokens;
      if (fresh && fresh.epoch === reader.epoch && Date.now() - fresh.at < TOKEN_MAX_AGE_MS) {
        scope?.set(reader, { epoch: fresh.epoch, tokens: fresh.tokens });
        return fresh.tokens;
      }
      if (!inFlight || inFlight.epoch !== reader.epoch) {
        const tokens = revisions
          .find({})
          .toArray()
          .then((docs) => new Map(docs.map((d) => [d._id, d.token])));
        const mine = { epoch: reader.epoch, tokens: withDeadline(tokens, TOKEN_READ_TIMEOUT_MS) };
        inFlight = mine;
        const at = Date.now();
        mine.tokens.then(
          () => {
            if (reader.epoch === mine.epoch && (!fresh || fresh.at <= at)) fresh = { ...mine, at };
          },
          () => undefined,
        );
        void mine.tokens.finally(() => inFlight === mine && (inFlight = undefined)).catch(() => undefined);
      }
      const { tokens } = inFlight;
      if (scope) {
        scope.set(reader, { epoch: reader.epoch, tokens });
        // A failed read is not kept: the request's next read tries again.
        tokens.catch(() => scope.get(reader)?.tokens === tokens && scope.delete(reader));
      }
      return tokens;
    },
  };
  readers.set(db, reader);
  return reader;
}

/**
 * Data read far more often than written (pipelines, people, webhooks), held
 * in memory by every process until some process changes it. Each writer sets
 * a fresh random token in the `revisions` collection after writing; each
 * read compares the token with the one its cache was filled under, and drops
 * the cache when it differs: one small read instead of the queries behind
 * the cache (FerretDB answers a filter on any field but `_id` by reading every
 * document). A random token, not a counter: two writers that race both leave
 * a token no reader has seen, where a counter updated without a transaction
 * could lose one. A write in this process is seen by every read that starts
 * after it.
 */
export function revision(db: Db, name: string): Revision {
  const revisions = db.collection<RevisionDoc>(COLLECTIONS.revisions);
  const reader = tokenReader(db);
  /** The token the caches hold values for, and since when. */
  let filled: { token: string; at: number } | undefined;
  const drops: Array<() => void> = [];

  const drop = () => {
    filled = undefined;
    for (const d of drops) d();
  };

  /** The current token; the caches are emptied when it moved or they are too old. */
  async function check(): Promise<void> {
    // No token yet: nothing was written since revisions existed, which '' stands for until something is.
    const token = (await reader.read()).get(name) ?? '';
    if (!filled || filled.token !== token || Date.now() - filled.at > MAX_AGE_MS) {
      drop();
      filled = { token, at: Date.now() };
    }
  }

  function keyed<T extends object>(max: number, load: (key: string) => Promise<T | undefined>) {
    const values = new LRUCache<string, T>({ max });
    const loads = new Map<string, Loading<T | undefined>>();
    drops.push(() => values.clear());
    return async (key: string) => {
      await check();
      const hit = values.get(key);
      if (hit) return hit;
      // Reads that miss together share one load, as long as nothing changed since it began.
      const current = loads.get(key);
      if (current && current.since === filled) return current.v;
      const since = filled;
      const v = load(key).then((value) => {
        // Kept only if nothing changed meanwhile, and only what exists: a miss may be created at any
        // moment, and an unknown key must not fill the cache.
        if (filled === since && value !== undefined) values.set(key, deepFreeze(value));
        return value;
      });
      loads.set(key, { since, v });
      void v.finally(() => loads.get(key)?.v === v && loads.delete(key)).catch(() => undefined);
      return v;
    };
  }

  return {
    keyed,
    /** One value, boxed under one key of `keyed`. */
    cached<T>(load: () => Promise<T>) {
      const get = keyed(1, async () => ({ v: await load() }));
      return async () => (await get(''))!.v;
    },

    async changed() {
      reader.epoch++;
      // No read in this process may take tokens from before the write (see `fresh`).
      drop();
      await revisions.updateOne({ _id: name }, { $set: { token: crypto.randomUUID() } }, { upsert: true });
    },
  };
}
