import type { Db } from 'mongodb';
import { COLLECTIONS, isDuplicateKey, type Doc } from './collections';
import { revision } from './revisions';

/** How a type came to be known: a published pipeline (or its tasks), an admin, one every company has, or in use before the registry (the upgrade). */
export type ObjectTypeSource = 'pipeline' | 'admin' | 'builtin' | 'upgrade';
type StoredSource = Exclude<ObjectTypeSource, 'builtin'>;

export interface ObjectType {
  key: string;
  name?: string;
  source: ObjectTypeSource;
  /** When it was registered; null for a built-in type, which every company has from the start. */
  createdAt: string | null;
  createdBy?: string;
}

/**
 * The types of the built-in templates and their tasks (lead, opportunity,
 * quotation, contract), the contact records bind to, and the account their
 * filters read: registered for every company without being stored, so no
 * company, old or new, can be without them.
 */
export const BUILTIN_OBJECT_TYPES: readonly string[] = ['account', 'contact', 'contract', 'lead', 'opportunity', 'quotation'];

const builtin = (key: string): ObjectType => ({ key, source: 'builtin', createdAt: null });

type ObjectTypeDoc = Doc<{ companyId: string; key: string; name?: string; source: StoredSource; createdAt: string; createdBy?: string }>;

const typeId = (companyId: string, key: string) => `${companyId}|${key}`;

/** Stored once the types in use before the registry existed are registered (registerTypesInUse): no key matches it. */
const REGISTERED_IN_USE = '~in-use-registered';

const fromDoc = ({ key, name, source, createdAt, createdBy }: ObjectTypeDoc): ObjectType => ({
  key,
  ...(name !== undefined ? { name } : {}),
  source,
  createdAt,
  ...(createdBy !== undefined ? { createdBy } : {}),
});

export interface NewObjectType {
  key: string;
  name?: string;
  source: StoredSource;
  createdBy?: string;
}

/**
 * Each company's object types: what `/v1/records/:type` accepts. The whole
 * registry is held in memory per process until some process registers a
 * type (it is small: a few types per company), so a record request checks
 * its type without a command of its own.
 */
export function objectTypeStore(db: Db) {
  const types = db.collection<ObjectTypeDoc>(COLLECTIONS.objectTypes);
  const changes = revision(db, COLLECTIONS.objectTypes);
  const registry = changes.cached(async () => {
    const byCompany = new Map<string, ObjectTypeDoc[]>();
    for (const doc of await types.find({ _id: { $ne: REGISTERED_IN_USE } }).toArray()) byCompany.set(doc.companyId, [...(byCompany.get(doc.companyId) ?? []), doc]);
    return byCompany;
  });

  /** Writes what is not there yet; answers how many were new. A register racing another of the same key keeps the first. */
  async function insertMissing(docs: ObjectTypeDoc[]): Promise<number> {
    let added = 0;
    for (const doc of docs) {
      try {
        await types.insertOne(doc);
        added++;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    }
    // Every process's registry is stale, this one's at once: the new type is usable by the very next request.
    if (added > 0) await changes.changed();
    return added;
  }

  return {
    /**
     * Built-in types first, then those of `companyIds` by key (the first
     * company's registration of a key when several have it); `'any'`: every company's.
     */
    async list(companyIds: readonly string[] | 'any'): Promise<ObjectType[]> {
      const all = await registry();
      const companies = companyIds === 'any' ? [...all.keys()] : companyIds;
      const byKey = new Map<string, ObjectTypeDoc>();
      for (const c of companies) for (const d of all.get(c) ?? []) if (!BUILTIN_OBJECT_TYPES.includes(d.key) && !byKey.has(d.key)) byKey.set(d.key, d);
      return [...BUILTIN_OBJECT_TYPES.map(builtin), ...[...byKey.values()].map(fromDoc).sort((a, b) => (a.key < b.key ? -1 : 1))];
    },

    /** Whether `key` is a type of any of `companyIds` (a built-in one is everyone's); `'any'` asks of every company. */
    async isRegistered(companyIds: readonly string[] | 'any', key: string): Promise<boolean> {
      if (BUILTIN_OBJECT_TYPES.includes(key)) return true;
      const all = await registry();
      const companies = companyIds === 'any' ? [...all.keys()] : companyIds;
      return companies.some((c) => (all.get(c) ?? []).some((d) => d.key === key));
    },

    /** Idempotent: a key already known answers as it was registered, with `created: false`. */
    async register(companyId: string, type: NewObjectType, now: string): Promise<{ type: ObjectType; created: boolean }> {
      if (BUILTIN_OBJECT_TYPES.includes(type.key)) return { type: builtin(type.key), created: false };
      const doc: ObjectTypeDoc = { _id: typeId(companyId, type.key), companyId, ...type, createdAt: now };
      if ((await insertMissing([doc])) > 0) return { type: fromDoc(doc), created: true };
      const existing = await types.findOne({ _id: doc._id });
      return { type: existing ? fromDoc(existing) : fromDoc(doc), created: false };
    },

    /** Registers every type not yet known; answers how many were new. For publishes and the upgrade. */
    async registerAll(entries: ReadonlyArray<{ companyId: string; key: string }>, source: StoredSource, now: string): Promise<number> {
      const all = await registry();
      const missing = entries.filter(
        (e, i) =>
          !BUILTIN_OBJECT_TYPES.includes(e.key) &&
          !(all.get(e.companyId) ?? []).some((d) => d.key === e.key) &&
          entries.findIndex((o) => o.companyId === e.companyId && o.key === e.key) === i,
      );
      return insertMissing(missing.map((e) => ({ _id: typeId(e.companyId, e.key), companyId: e.companyId, key: e.key, source, createdAt: now })));
    },

    async inUseRegistered(): Promise<boolean> {
      return (await types.findOne({ _id: REGISTERED_IN_USE })) !== null;
    },

    async markInUseRegistered(now: string): Promise<void> {
      await insertMissing([{ _id: REGISTERED_IN_USE, companyId: '', key: REGISTERED_IN_USE, source: 'upgrade', createdAt: now }]);
    },
  };
}

export type ObjectTypeStore = ReturnType<typeof objectTypeStore>;
