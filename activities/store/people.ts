import crypto from 'node:crypto';
import type { Db } from 'mongodb';
import { COLLECTIONS, type Doc } from './collections';
import { revision } from './revisions';

/** A platform company holds the operators; owner companies are tenants; partner companies work in their programs. */
export type CompanyKind = 'platform' | 'owner' | 'partner';

export interface Company {
  id: string;
  name: string;
  kind: CompanyKind;
  /**
   * A partner company's membership: the owner companies in whose partner
   * programs it works. Absent on partner companies written before programs
   * existed, until the startup upgrade enrols them (`enrolUnassignedPartners`).
   */
  programs?: string[];
  createdAt: string;
  updatedAt?: string;
}

export interface User {
  id: string;
  companyId: string;
  name: string;
  email: string;
  roles: string[];
  department?: string;
  attributes: Record<string, unknown>;
  createdAt: string;
}

export interface ApiKeyInfo {
  id: string;
  userId: string;
  /** The first characters of the key, to tell keys apart in a list. */
  prefix: string;
  createdAt: string;
  revokedAt?: string;
}

type CompanyDoc = Doc<Omit<Company, 'id'>>;
type UserDoc = Doc<Omit<User, 'id'>>;
type ApiKeyDoc = Doc<Omit<ApiKeyInfo, 'id'> & { hash: string }>;
/** The membership part of a company document, typed alone so the driver types its array updates. */
interface MembershipDoc {
  _id: string;
  programs?: string[];
  updatedAt?: string;
}

export const newId = (prefix: string) => `${prefix}_${crypto.randomBytes(9).toString('base64url')}`;

/** Keys are 256 random bits, so a plain SHA-256 is enough to store them safely. */
export const hashApiKey = (key: string) => crypto.createHash('sha256').update(key).digest('hex');

/** 96 bits of the key's hash: unique among keys, and nothing an attacker could use to find the key. */
const keyIdOf = (hash: string) => `key_${hash.slice(0, 24)}`;

/** Far more users and keys than one deployment's active ones. */
const PEOPLE_CACHE_SIZE = 10_000;

const fromDoc = <T extends { _id: string }>({ _id, ...rest }: T) => ({ id: _id, ...rest });

/** Companies, users and their API keys. */
export function peopleStore(db: Db) {
  const companies = db.collection<CompanyDoc>(COLLECTIONS.companies);
  const memberships = db.collection<MembershipDoc>(COLLECTIONS.companies);
  const users = db.collection<UserDoc>(COLLECTIONS.users);
  const apiKeys = db.collection<ApiKeyDoc>(COLLECTIONS.apiKeys);
  // Every request reads its key and user, and triggers read owners: held per process until any of them changes.
  const changes = revision(db, 'people');
  const company = changes.keyed(PEOPLE_CACHE_SIZE, async (id) => {
    const doc = await companies.findOne({ _id: id });
    return doc ? (fromDoc(doc) as Company) : undefined;
  });
  const user = changes.keyed(PEOPLE_CACHE_SIZE, async (id) => {
    const doc = await users.findOne({ _id: id });
    return doc ? (fromDoc(doc) as User) : undefined;
  });
  /** By the key's hash. */
  const apiKey = changes.keyed(PEOPLE_CACHE_SIZE, async (hash) => {
    const doc = (await apiKeys.findOne({ _id: keyIdOf(hash) })) ?? (await apiKeys.findOne({ hash }));
    if (doc?.hash !== hash) return undefined;
    const { hash: _hash, ...info } = doc;
    return fromDoc(info) as ApiKeyInfo;
  });

  return {
    async upsertCompany(company: Company): Promise<void> {
      const { id, ...rest } = company;
      await companies.replaceOne({ _id: id }, rest, { upsert: true });
      await changes.changed();
    },
    getCompany: company,
    async listCompanies(): Promise<Company[]> {
      return (await companies.find({}).sort({ createdAt: 1, _id: 1 }).toArray()).map((d) => fromDoc(d) as Company);
    },
    /**
     * Puts a partner company in an owner's program, or takes it out; either
     * twice changes nothing the second time. Answers the company as stored
     * afterwards, or undefined when there is no such company.
     */
    async setProgramMembership(partnerId: string, ownerId: string, member: boolean, now: string): Promise<Company | undefined> {
      // $addToSet and $pull name only the one owner id, so on MongoDB two owners changing their programs at once both land.
      // FerretDB reads and writes the document back without a transaction: two changes to one partner at the same
      // instant may lose one there (an admin action, rare; its answer is the company as stored afterwards).
      const result = member
        ? await memberships.updateOne({ _id: partnerId }, { $addToSet: { programs: ownerId }, $set: { updatedAt: now } })
        : await memberships.updateOne({ _id: partnerId }, { $pull: { programs: ownerId }, $set: { updatedAt: now } });
      if (result.matchedCount === 0) return undefined;
      if (!member) {
        // A company from before programs has no membership to pull from: taken out of a program, it is in none.
        await companies.updateOne({ _id: partnerId, programs: { $exists: false } }, { $set: { programs: [] } });
      }
      await changes.changed();
      return company(partnerId);
    },
    /**
     * The upgrade of data written before programs existed: every partner
     * company without a membership joins the one owner's program. Idempotent;
     * answers how many companies it changed.
     */
    async enrolUnassignedPartners(ownerCompanyId: string, now: string): Promise<number> {
      const unassigned = await companies.find({ kind: 'partner', programs: { $exists: false } }, { projection: { _id: 1 } }).toArray();
      let changed = 0;
      for (const { _id } of unassigned) {
        // The filter again: a membership written meanwhile is kept.
        const result = await companies.updateOne({ _id, programs: { $exists: false } }, { $set: { programs: [ownerCompanyId], updatedAt: now } });
        changed += result.modifiedCount;
      }
      if (changed > 0) await changes.changed();
      return changed;
    },

    async upsertUser(user: User): Promise<void> {
      const { id, ...rest } = user;
      await users.replaceOne({ _id: id }, rest, { upsert: true });
      await changes.changed();
    },
    getUser: user,
    async listUsers(companyId?: string): Promise<User[]> {
      const docs = await users.find(companyId ? { companyId } : {}).sort({ createdAt: 1, _id: 1 }).toArray();
      return docs.map((d) => fromDoc(d) as User);
    },

    /** Creates a key; the plaintext is returned once and only its hash is stored. */
    async createApiKey(userId: string, now: string): Promise<ApiKeyInfo & { key: string }> {
      const key = `pk_${crypto.randomBytes(32).toString('base64url')}`;
      const hash = hashApiKey(key);
      const info: ApiKeyInfo = { id: keyIdOf(hash), userId, prefix: key.slice(0, 10), createdAt: now };
      const { id, ...rest } = info;
      await apiKeys.insertOne({ _id: id, ...rest, hash });
      await changes.changed();
      return { ...info, key };
    },
    /**
     * Every request asks this, so a key is found by `_id` (its id follows from
     * its hash) and held per process. Keys made before ids did, and keys nobody
     * was given, are looked for by hash, which FerretDB answers by reading every key.
     */
    findApiKey: (key: string): Promise<ApiKeyInfo | undefined> => apiKey(hashApiKey(key)),
    async getApiKey(id: string): Promise<ApiKeyInfo | undefined> {
      const doc = await apiKeys.findOne({ _id: id }, { projection: { hash: 0 } });
      return doc ? (fromDoc(doc) as ApiKeyInfo) : undefined;
    },
    async listApiKeys(userId: string): Promise<ApiKeyInfo[]> {
      const docs = await apiKeys.find({ userId }, { projection: { hash: 0 } }).sort({ createdAt: 1 }).toArray();
      return docs.map((d) => fromDoc(d) as ApiKeyInfo);
    },
    async revokeApiKey(id: string, now: string): Promise<void> {
      // By `_id` alone (FerretDB reads every key for any other filter); a key revoked twice keeps its first time.
      const doc = await apiKeys.findOne({ _id: id }, { projection: { revokedAt: 1 } });
      if (!doc || doc.revokedAt) return;
      await apiKeys.updateOne({ _id: id }, { $set: { revokedAt: now } });
      await changes.changed();
    },
  };
}

export type PeopleStore = ReturnType<typeof peopleStore>;
