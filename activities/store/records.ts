import type { Db, Filter } from 'mongodb';
import type { RecordView } from '../../workflows/domain/types';
import type { RecordChange } from '../../workflows/transition';
import { COLLECTIONS, isDuplicateKey, type Doc } from './collections';

export interface StoredRecord extends RecordView {
  createdAt: string;
  updatedAt: string;
}

type RecordDoc = Doc<Omit<StoredRecord, 'id'> & { lastEventId?: string }>;

/** Claims on a record version by a direct writer (see `updateFields`); only `_id` matters, so no index. */
/** Far above one update's duration: a claim outlives its holder only when the holder died. */
const CLAIM_LEASE_MS = 30_000;
type ClaimDoc = Doc<{ recordId: string; version: number; expiresAt: string }>;

/** The record as rules and workflow payloads need it, without storage timestamps. */
export function toRecordView({ createdAt: _c, updatedAt: _u, ...view }: StoredRecord): RecordView {
  return view;
}

function toRecord({ _id, lastEventId: _ignored, ...rest }: RecordDoc): StoredRecord {
  return { id: _id, ...rest };
}

function fieldPaths(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [`fields.${k}`, v]));
}

export interface RecordVisibility {
  companyId: string;
  userId: string;
}

/** Records of every object type; the plain-object repository the API and activities share. */
export function recordStore(db: Db) {
  const records = db.collection<RecordDoc>(COLLECTIONS.records);
  const claims = db.collection<ClaimDoc>(COLLECTIONS.recordVersionClaims);

  /**
   * Makes the caller the only direct writer of `version` of the record, or
   * answers undefined when another writer holds it. Inserting an `_id` that is
   * taken fails atomically on MongoDB and on every FerretDB backend. A claim
   * whose lease ran out was left by a writer that died: the next generation
   * takes over, so a crash never locks the record.
   */
  async function claimVersion(id: string, version: number, nowMs: number): Promise<string | undefined> {
    for (let generation = 1; ; generation++) {
      const claimId = `${id}@${version}#${generation}`;
      try {
        await claims.insertOne({ _id: claimId, recordId: id, version, expiresAt: new Date(nowMs + CLAIM_LEASE_MS).toISOString() });
        return claimId;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      // Held or just released: either way another writer of this version got there first.
      const held = await claims.findOne({ _id: claimId });
      if (!held || Date.parse(held.expiresAt) > nowMs) return undefined;
    }
  }

  return {
    /** With `lastEventId`, the record is written as that instance step left it (see `applyChange`). */
    async insert(record: StoredRecord, lastEventId?: string): Promise<void> {
      const { id, ...rest } = record;
      await records.insertOne({ _id: id, ...rest, ...(lastEventId ? { lastEventId } : {}) });
    },

    async get(id: string): Promise<StoredRecord | undefined> {
      const doc = await records.findOne({ _id: id });
      return doc ? toRecord(doc) : undefined;
    },

    /** Records of a type that this company owns, is assigned, or was invited to. */
    async listVisible(type: string, who: RecordVisibility, page: { limit: number; skip: number }): Promise<StoredRecord[]> {
      const filter: Filter<RecordDoc> = {
        type,
        $or: [
          { companyId: who.companyId },
          { partnerCompanyId: who.companyId },
          { 'participants.companies': who.companyId },
          { 'participants.users': who.userId },
        ],
      };
      const docs = await records.find(filter).sort({ createdAt: -1, _id: 1 }).skip(page.skip).limit(page.limit).toArray();
      return docs.map(toRecord);
    },

    /**
     * A direct update for a record no instance is running on; returns undefined
     * when the record is not at `expectedVersion` or another writer of that
     * version won. The version in the filter is not enough on FerretDB: its
     * findAndModify reads, modifies and writes back without a transaction, so
     * concurrent writers of one version would all match and all "succeed".
     * Claiming the version first lets exactly one of them run the update.
     */
    async updateFields(id: string, expectedVersion: number, set: Record<string, unknown>, now: string): Promise<StoredRecord | undefined> {
      const claim = await claimVersion(id, expectedVersion, Date.parse(now));
      if (!claim) return undefined;
      try {
        // By `_id` alone, as in `applyChange`; the claim keeps every other direct writer of this version out.
        const current = await records.findOne({ _id: id });
        if (current?.version !== expectedVersion) return undefined;
        const $set = { ...fieldPaths(set), updatedAt: now, version: expectedVersion + 1 };
        await records.updateOne({ _id: id }, { $set });
        return toRecord({ ...current, fields: { ...current.fields, ...set }, updatedAt: now, version: expectedVersion + 1 });
      } finally {
        // Released once the update is over; if this fails, the claim just waits out its lease.
        await claims.deleteOne({ _id: claim }).catch(() => undefined);
      }
    },

    /**
     * A change an instance made. Every value it sets is absolute (the fields, the
     * version after the step, the step's event id and time), so a retried
     * activity writes the same document again rather than reading first to skip
     * it. Written by `_id` alone: FerretDB reads every record for a filter on
     * any other field (and its update was never atomic with its filter).
     */
    async applyChange(id: string, eventId: string, change: RecordChange, now: string): Promise<void> {
      const $set: Record<string, unknown> = {
        ...fieldPaths(change.set),
        version: change.version,
        updatedAt: now,
        lastEventId: eventId,
      };
      if (change.archived !== undefined) $set.archived = change.archived;
      if (change.participants) $set.participants = change.participants;
      if (change.privateFields) $set.privateFields = change.privateFields;
      if (change.partnerCompanyId) $set.partnerCompanyId = change.partnerCompanyId;
      const update: Record<string, unknown> = { $set };
      if (change.unset.length > 0) update.$unset = Object.fromEntries(change.unset.map((f) => [`fields.${f}`, '']));
      await records.updateOne({ _id: id }, update);
    },
  };
}

export type RecordStore = ReturnType<typeof recordStore>;
