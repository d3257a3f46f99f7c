import crypto from 'node:crypto';
import type { Db, Filter } from 'mongodb';
import { apiKeyStore } from './api-keys';
import { COLLECTIONS, type Doc } from './collections';
import { revision } from './revisions';
import { versionedWriter, type VersionedWrite, type WriteOptions } from './versioned';

export { hashApiKey, type ApiKeyInfo } from './api-keys';

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
  version?: number;
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
  /** Set when the user's Company Admin removed it: its keys stop working, its records and history stay. */
  deactivatedAt?: string;
  deactivatedBy?: string;
  version?: number;
}

/** Which companies a list holds: every one, one company, or an owner company and the partner companies of its program. */
export type CompanyScope = { kind: 'all' } | { kind: 'own'; companyId: string } | { kind: 'program'; companyId: string };

/** Which users a list holds: one company's, and with `admins` also every company's admins (admin, partner_admin). */
export interface UserScope {
  companyId: string;
  admins?: boolean;
}

/** The roles that run a company: an `admins` user list holds every company's. */
const ADMIN_ROLES = ['admin', 'partner_admin'];

function companyFilter(scope: CompanyScope): Filter<CompanyDoc> {
  if (scope.kind === 'all') return {};
  if (scope.kind === 'own') return { _id: scope.companyId };
  // A partner company written before programs has no membership and stands in every program (api/tenancy.ts inProgramOf).
  return { $or: [{ _id: scope.companyId }, { kind: 'partner', programs: scope.companyId }, { kind: 'partner', programs: { $exists: false } }] };
}

function userFilter(scope: UserScope): Filter<UserDoc> {
  return scope.admins ? { $or: [{ companyId: scope.companyId }, { roles: { $in: ADMIN_ROLES } }] } : { companyId: scope.companyId };
}

/** A store write's outcome with the document as the API shows it. */
function shown<D extends { _id: string }, T>(result: VersionedWrite<D>): VersionedWrite<T> {
  return 'doc' in result ? { ...result, doc: fromDoc(result.doc) as T } : result;
}

type CompanyDoc = Doc<Omit<Company, 'id'>>;
type UserDoc = Doc<Omit<User, 'id'>>;

export const newId = (prefix: string) => `${prefix}_${crypto.randomBytes(9).toString('base64url')}`;

/** Far more users and keys than one deployment's active ones. */
const PEOPLE_CACHE_SIZE = 10_000;

const fromDoc = <T extends { _id: string }>({ _id, ...rest }: T) => ({ id: _id, ...rest });

/** Companies, users and their API keys. */
export function peopleStore(db: Db) {
  const companies = db.collection<CompanyDoc>(COLLECTIONS.companies);
  const users = db.collection<UserDoc>(COLLECTIONS.users);
  const companyWriter = versionedWriter(db, companies);
  const userWriter = versionedWriter(db, users);
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
  return {
    /** Writes a company as given (a new one, or the seed's): version 1. Later changes go through the versioned writes. */
    async upsertCompany(company: Company): Promise<void> {
      const { id, ...rest } = company;
      await companies.replaceOne({ _id: id }, { ...rest, version: 1 }, { upsert: true });
      await changes.changed();
    },
    getCompany: company,
    /** The companies of the scope, filtered in the query: a list never holds another tenant's companies to drop later. */
    async listCompanies(scope: CompanyScope = { kind: 'all' }): Promise<Company[]> {
      return (await companies.find(companyFilter(scope)).sort({ createdAt: 1, _id: 1 }).toArray()).map((d) => fromDoc(d) as Company);
    },
    /**
     * Puts a partner company in an owner's program, or takes it out; either
     * twice changes nothing the second time. A write of its own version: two
     * owners changing their programs at once both land (versioned.ts).
     */
    async setProgramMembership(partnerId: string, ownerId: string, member: boolean, now: string): Promise<VersionedWrite<Company>> {
      const result = await companyWriter.write(partnerId, (doc) => {
        const programs = doc.programs ?? [];
        const next = member ? [...new Set([...programs, ownerId])] : programs.filter((p) => p !== ownerId);
        // A company from before programs has no membership to pull from: taken out of a program, it is in none.
        const same = doc.programs !== undefined && next.length === programs.length;
        return same ? undefined : { ...doc, programs: next, updatedAt: now };
      });
      if (result.status === 'written') await changes.changed();
      return shown(result);
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
        // Decided again on the document as stored: a membership written meanwhile is kept.
        const result = await companyWriter.write(_id, (doc) => (doc.programs === undefined ? { ...doc, programs: [ownerCompanyId], updatedAt: now } : undefined));
        if (result.status === 'written') changed += 1;
      }
      if (changed > 0) await changes.changed();
      return changed;
    },

    /** Writes a user as given (a new one, or the seed's): version 1. Later changes go through `updateUser`. */
    async upsertUser(user: User): Promise<void> {
      const { id, ...rest } = user;
      await users.replaceOne({ _id: id }, { ...rest, version: 1 }, { upsert: true });
      await changes.changed();
    },
    getUser: user,
    /** The users of the scope, filtered in the query. */
    async listUsers(scope: UserScope): Promise<User[]> {
      const docs = await users.find(userFilter(scope)).sort({ createdAt: 1, _id: 1 }).toArray();
      return docs.map((d) => fromDoc(d) as User);
    },
    /**
     * Changes a user as stored (`change` answers the next user, or undefined
     * for no change; it may throw to refuse): on the version the caller read
     * when it names one (If-Match), else on the newest.
     */
    async updateUser(id: string, change: (user: User) => User | undefined, opts: WriteOptions = {}): Promise<VersionedWrite<User>> {
      const result = await userWriter.write(
        id,
        (doc) => {
          const next = change(fromDoc(doc) as User);
          if (!next) return undefined;
          const { id: _id, ...rest } = next;
          return { ...rest, _id: doc._id };
        },
        opts,
      );
      if (result.status === 'written') await changes.changed();
      return shown(result);
    },

    ...apiKeyStore(db, changes),
  };
}

export type PeopleStore = ReturnType<typeof peopleStore>;
