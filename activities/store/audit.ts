import type { Db } from 'mongodb';
import { keysetPage, type After, type PageAsked } from './keyset';
import { COLLECTIONS, isDuplicateKey, type Doc } from './collections';

/** What a company's audit trail records besides its instances' steps: who did what to its people and credentials. */
export type AuditKind = 'api_key.issued' | 'api_key.revoked' | 'user.deactivated';

/** A person as the trail names it: by id and by the name it had then, which the trail keeps whatever happens to the user later. */
export interface AuditPerson {
  userId: string;
  companyId: string;
  name?: string;
}

export interface AuditEntry {
  id: string;
  /** The company whose trail this is: the one whose user or key it concerns. */
  companyId: string;
  kind: AuditKind;
  at: string;
  actor: AuditPerson;
  subject: AuditPerson & { keyId?: string; keyPrefix?: string };
  /** Break-glass: the platform operator acted on a tenant's user. */
  breakGlass?: boolean;
  reason?: string;
  expiresAt?: string;
}

type AuditDoc = Doc<Omit<AuditEntry, 'id'>>;

/** The audit trail of companies' administration, newest first; entries are never changed. */
export function auditStore(db: Db) {
  const entries = db.collection<AuditDoc>(COLLECTIONS.audit);
  return {
    /** Keyed by its id: appending the same entry twice keeps one. */
    async append(entry: AuditEntry): Promise<void> {
      const { id, ...rest } = entry;
      try {
        await entries.insertOne({ _id: id, ...rest });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    },
    /** A page of a company's entries, newest first (an entry's time never changes: the pages never shift). */
    async pageFor(companyId: string, page: PageAsked): Promise<{ entries: AuditEntry[]; next?: After }> {
      const { docs, next } = await keysetPage(entries, { companyId }, { field: 'at', dir: -1 }, page);
      return { entries: docs.map(({ _id, ...rest }) => ({ id: _id, ...rest })), ...(next ? { next } : {}) };
    },
  };
}

export type AuditStore = ReturnType<typeof auditStore>;
