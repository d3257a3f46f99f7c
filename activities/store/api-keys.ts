import crypto from 'node:crypto';
import type { Db } from 'mongodb';
import { COLLECTIONS, type Doc } from './collections';
import type { Revision } from './revisions';
import { versionedWriter, type VersionedWrite } from './versioned';

export interface ApiKeyInfo {
  id: string;
  userId: string;
  /** The first characters of the key, to tell keys apart in a list. */
  prefix: string;
  createdAt: string;
  /** A key with an expiry stops working then (401). */
  expiresAt?: string;
  /** Who made the key, when it was not its holder. */
  issuedBy?: { userId: string; companyId: string };
  /** Issued by the platform operator for a tenant's user: time-limited, audited, shown to the tenant. */
  breakGlass?: boolean;
  /** Why a break-glass key was issued. */
  reason?: string;
  revokedAt?: string;
  revokedBy?: string;
  version?: number;
}

export interface NewKeyOptions {
  expiresAt?: string;
  issuedBy?: ApiKeyInfo['issuedBy'];
  breakGlass?: boolean;
  reason?: string;
}

type ApiKeyDoc = Doc<Omit<ApiKeyInfo, 'id'> & { hash: string }>;

/** Keys are 256 random bits, so a plain SHA-256 is enough to store them safely. */
export const hashApiKey = (key: string) => crypto.createHash('sha256').update(key).digest('hex');

/** 96 bits of the key's hash: unique among keys, and nothing an attacker could use to find the key. */
const keyIdOf = (hash: string) => `key_${hash.slice(0, 24)}`;

const KEY_CACHE_SIZE = 10_000;

function toInfo(doc: ApiKeyDoc): ApiKeyInfo {
  const { _id, hash: _hash, ...rest } = doc;
  return { id: _id, ...rest };
}

/** Why a key no longer works, at `nowMs`; undefined while it does. */
export function keyRefusal(key: Pick<ApiKeyInfo, 'revokedAt' | 'expiresAt'>, nowMs: number): string | undefined {
  if (key.revokedAt) return 'the API key has been revoked';
  if (key.expiresAt && Date.parse(key.expiresAt) <= nowMs) return `the API key expired at ${key.expiresAt}`;
  return undefined;
}

/** API keys, stored hashed; held per process with the people's revision (`changes`). */
export function apiKeyStore(db: Db, changes: Revision) {
  const apiKeys = db.collection<ApiKeyDoc>(COLLECTIONS.apiKeys);
  const writer = versionedWriter(db, apiKeys);
  /** By the key's hash. */
  const byHash = changes.keyed(KEY_CACHE_SIZE, async (hash) => {
    const doc = (await apiKeys.findOne({ _id: keyIdOf(hash) })) ?? (await apiKeys.findOne({ hash }));
    return doc?.hash === hash ? toInfo(doc) : undefined;
  });
  const withoutHash = { projection: { hash: 0 } } as const;

  return {
    /** Creates a key; the plaintext is returned once and only its hash is stored. */
    async createApiKey(userId: string, now: string, opts: NewKeyOptions = {}): Promise<ApiKeyInfo & { key: string }> {
      const key = `pk_${crypto.randomBytes(32).toString('base64url')}`;
      const hash = hashApiKey(key);
      const { id, ...rest }: ApiKeyInfo = { id: keyIdOf(hash), userId, prefix: key.slice(0, 10), createdAt: now, ...opts };
      const written = await writer.insert({ _id: id, ...rest, hash });
      await changes.changed();
      return { ...toInfo(written), key };
    },
    /**
     * Every request asks this, so a key is found by `_id` (its id follows from
     * its hash) and held per process. Keys made before ids did, and keys nobody
     * was given, are looked for by hash, which FerretDB answers by reading every key.
     */
    findApiKey: (key: string): Promise<ApiKeyInfo | undefined> => byHash(hashApiKey(key)),
    async getApiKey(id: string): Promise<ApiKeyInfo | undefined> {
      const doc = await apiKeys.findOne({ _id: id }, withoutHash);
      return doc ? toInfo(doc as ApiKeyDoc) : undefined;
    },
    async listApiKeys(userId: string): Promise<ApiKeyInfo[]> {
      const docs = await apiKeys.find({ userId }, withoutHash).sort({ createdAt: 1 }).toArray();
      return docs.map((d) => toInfo(d as ApiKeyDoc));
    },
    /** The keys of these users (a company's), newest first. */
    async listApiKeysOf(userIds: string[]): Promise<ApiKeyInfo[]> {
      if (userIds.length === 0) return [];
      const docs = await apiKeys.find({ userId: { $in: userIds } }, withoutHash).sort({ createdAt: -1, _id: 1 }).toArray();
      return docs.map((d) => toInfo(d as ApiKeyDoc));
    },
    /** A key revoked twice keeps its first time. */
    async revokeApiKey(id: string, now: string, by?: string): Promise<VersionedWrite<ApiKeyInfo>> {
      const result = await writer.write(id, (doc) => (doc.revokedAt ? undefined : { ...doc, revokedAt: now, ...(by ? { revokedBy: by } : {}) }));
      if (result.status === 'written') await changes.changed();
      return 'doc' in result ? { ...result, doc: toInfo(result.doc) } : result;
    },
  };
}
