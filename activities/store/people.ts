import crypto from 'node:crypto';
import type { Db } from 'mongodb';
import { COLLECTIONS, type Doc } from './collections';

export type CompanyKind = 'owner' | 'partner';

export interface Company {
  id: string;
  name: string;
  kind: CompanyKind;
  createdAt: string;
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

export const newId = (prefix: string) => `${prefix}_${crypto.randomBytes(9).toString('base64url')}`;

/** Keys are 256 random bits, so a plain SHA-256 is enough to store them safely. */
export const hashApiKey = (key: string) => crypto.createHash('sha256').update(key).digest('hex');

const fromDoc = <T extends { _id: string }>({ _id, ...rest }: T) => ({ id: _id, ...rest });

/** Companies, users and their API keys. */
export function peopleStore(db: Db) {
  const companies = db.collection<CompanyDoc>(COLLECTIONS.companies);
  const users = db.collection<UserDoc>(COLLECTIONS.users);
  const apiKeys = db.collection<ApiKeyDoc>(COLLECTIONS.apiKeys);

  return {
    async upsertCompany(company: Company): Promise<void> {
      const { id, ...rest } = company;
      await companies.replaceOne({ _id: id }, rest, { upsert: true });
    },
    async getCompany(id: string): Promise<Company | undefined> {
      const doc = await companies.findOne({ _id: id });
      return doc ? (fromDoc(doc) as Company) : undefined;
    },
    async listCompanies(): Promise<Company[]> {
      return (await companies.find({}).sort({ createdAt: 1, _id: 1 }).toArray()).map((d) => fromDoc(d) as Company);
    },

    async upsertUser(user: User): Promise<void> {
      const { id, ...rest } = user;
      await users.replaceOne({ _id: id }, rest, { upsert: true });
    },
    async getUser(id: string): Promise<User | undefined> {
      const doc = await users.findOne({ _id: id });
      return doc ? (fromDoc(doc) as User) : undefined;
    },
    async listUsers(companyId?: string): Promise<User[]> {
      const docs = await users.find(companyId ? { companyId } : {}).sort({ createdAt: 1, _id: 1 }).toArray();
      return docs.map((d) => fromDoc(d) as User);
    },

    /** Creates a key; the plaintext is returned once and only its hash is stored. */
    async createApiKey(userId: string, now: string): Promise<ApiKeyInfo & { key: string }> {
      const key = `pk_${crypto.randomBytes(32).toString('base64url')}`;
      const info: ApiKeyInfo = { id: newId('key'), userId, prefix: key.slice(0, 10), createdAt: now };
      const { id, ...rest } = info;
      await apiKeys.insertOne({ _id: id, ...rest, hash: hashApiKey(key) });
      return { ...info, key };
    },
    async findApiKey(key: string): Promise<ApiKeyInfo | undefined> {
      const doc = await apiKeys.findOne({ hash: hashApiKey(key) }, { projection: { hash: 0 } });
      return doc ? (fromDoc(doc) as ApiKeyInfo) : undefined;
    },
    async getApiKey(id: string): Promise<ApiKeyInfo | undefined> {
      const doc = await apiKeys.findOne({ _id: id }, { projection: { hash: 0 } });
      return doc ? (fromDoc(doc) as ApiKeyInfo) : undefined;
    },
    async listApiKeys(userId: string): Promise<ApiKeyInfo[]> {
      const docs = await apiKeys.find({ userId }, { projection: { hash: 0 } }).sort({ createdAt: 1 }).toArray();
      return docs.map((d) => fromDoc(d) as ApiKeyInfo);
    },
    async revokeApiKey(id: string, now: string): Promise<void> {
      await apiKeys.updateOne({ _id: id, revokedAt: { $exists: false } }, { $set: { revokedAt: now } });
    },
  };
}

export type PeopleStore = ReturnType<typeof peopleStore>;
