import type { Db, Filter } from 'mongodb';
import type { RecordView } from '../../workflows/domain/types';
import { changeBetween } from '../../workflows/record-change';
import type { RecordChange } from '../../workflows/transition';
import { COLLECTIONS, isDuplicateKey, type Doc } from './collections';
import { keysetPage, type After, type Order, type PageAsked } from './keyset';

export interface StoredRecord extends RecordView {
  createdAt: string;
  updatedAt: string;
}

/** A record with what its writers keep on it, as only writers read it. */
export interface WritableRecord extends StoredRecord {
  /**
   * The workflow that writes the record while instances run on it: the one
   * instance, or the shared record's writer workflow (see
   * workflows/record-writer.ts). Absent when no instance writes it: the API
   * then writes it itself, a version claimed at a time.
   */
  writer?: string;
  /** The id of the last change written, so a retried write knows it was applied. */
  lastEventId?: string;
}

type RecordDoc = Doc<Omit<WritableRecord, 'id'>>;

/** Claims on a record version by a direct writer (see `updateFields`); only `_id` matters, so no index. */
/** Far above one update's duration: a claim outlives its holder only when the holder died. */
const CLAIM_LEASE_MS = 30_000;
type ClaimDoc = Doc<{ recordId: string; version: number; expiresAt: string }>;

/** The record as rules and workflow payloads need it, without storage timestamps and bookkeeping. */
export function toRecordView(record: StoredRecord): RecordView {
  const { createdAt: _c, updatedAt: _u, writer: _w, lastEventId: _e, ...view } = record as WritableRecord;
  return view;
}

function toWritable({ _id, ...rest }: RecordDoc): WritableRecord {
  return { id: _id, ...rest };
}

/** The record as everyone but its writers reads it: every field, none of the bookkeeping. */
function toRecord(doc: RecordDoc): StoredRecord {
  const { writer: _w, lastEventId: _e, ...record } = toWritable(doc);
  return record;
}

/** A record change as one update: every value absolute, so writing it twice stores the same. */
function changeUpdate(change: RecordChange, eventId: string, now: string, writer: { set?: string; clear?: boolean }): Record<string, unknown> {
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
  if (writer.set) $set.writer = writer.set;
  const $unset = Object.fromEntries(change.unset.map((f) => [`fields.${f}`, '']));
  if (writer.clear) $unset.writer = '';
  return Object.keys($unset).length > 0 ? { $set, $unset } : { $set };
}

/** What a claimed write answers when the record has a writer: the write goes through it instead. */
export interface WrittenElsewhere {
  writer: string;
}

function fieldPaths(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [`fields.${k}`, v]));
}

/** What a record list may be narrowed by. */
export interface RecordListQuery {
  ownerId?: string;
  partnerCompanyId?: string;
  /** ISO time: records changed after it, oldest change first (a sync). */
  updatedAfter?: string;
}

export const recordOrder = (query: RecordListQuery): Order => (query.updatedAfter ? { field: 'updatedAt', dir: 1 } : { field: 'createdAt', dir: -1 });

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
    /** With `lastEventId`, the record is written as that instance step left it (see `applyChange`); with `writer`, that workflow writes it from now on. */
    async insert(record: StoredRecord, lastEventId?: string, writer?: string): Promise<void> {
      const { id, writer: _w, lastEventId: _e, ...rest } = record as WritableRecord;
      await records.insertOne({ _id: id, ...rest, ...(lastEventId ? { lastEventId } : {}), ...(writer ? { writer } : {}) });
    },

    async get(id: string): Promise<StoredRecord | undefined> {
      const doc = await records.findOne({ _id: id });
      return doc ? toRecord(doc) : undefined;
    },

    /** The record with its writer and last change id, for whoever is about to write it. */
    async getWritable(id: string): Promise<WritableRecord | undefined> {
      const doc = await records.findOne({ _id: id });
      return doc ? toWritable(doc) : undefined;
    },

    /** Records of a type that this company owns, is assigned, or was invited to. */
    /**
     * A page of the records of `type` the caller may see. Newest first by
     * creation (which never changes, so the pages never shift); with
     * `updatedAfter`, oldest change first: a record changed while a client
     * pages moves to the end, and is read again rather than skipped.
     */
    async pageVisible(type: string, who: RecordVisibility, query: RecordListQuery, page: PageAsked): Promise<{ records: StoredRecord[]; next?: After }> {
      const filter: Filter<RecordDoc> = {
        type,
        $or: [
          { companyId: who.companyId },
          { partnerCompanyId: who.companyId },
          { 'participants.companies': who.companyId },
          { 'participants.users': who.userId },
        ],
        ...(query.ownerId ? { ownerId: query.ownerId } : {}),
        ...(query.partnerCompanyId ? { partnerCompanyId: query.partnerCompanyId } : {}),
        ...(query.updatedAfter ? { updatedAt: { $gt: query.updatedAfter } } : {}),
      };
      const { docs, next } = await keysetPage(records, filter, recordOrder(query), page);
      return { records: docs.map(toRecord), ...(next ? { next } : {}) };
    },

    /**
     * A direct update for a record no instance is running on; returns undefined
     * when the record is not at `expectedVersion` or another writer of that
     * version won. The version in the filter is not enough on FerretDB: its
     * findAndModify reads, modifies and writes back without a transaction, so
     * concurrent writers of one version would all match and all "succeed".
     * Claiming the version first lets exactly one of them run the update.
     */
    async updateFields(
      id: string,
      expectedVersion: number,
      set: Record<string, unknown>,
      now: string,
      /** A writer whose run has closed: the write takes the record over from it. */
      closedWriter?: string,
    ): Promise<StoredRecord | WrittenElsewhere | undefined> {
      const claim = await claimVersion(id, expectedVersion, Date.parse(now));
      if (!claim) return undefined;
      try {
        // By `_id` alone, as in `applyChange`; the claim keeps every other direct writer of this version out.
        const current = await records.findOne({ _id: id });
        if (current?.writer && current.writer !== closedWriter) return { writer: current.writer };
        if (current?.version !== expectedVersion) return undefined;
        const $set = { ...fieldPaths(set), updatedAt: now, version: expectedVersion + 1 };
        await records.updateOne({ _id: id }, current.writer ? { $set, $unset: { writer: '' } } : { $set });
        return toRecord({ ...current, fields: { ...current.fields, ...set }, updatedAt: now, version: expectedVersion + 1 });
      } finally {
        // Released once the update is over; if this fails, the claim just waits out its lease.
        await claims.deleteOne({ _id: claim }).catch(() => undefined);
      }
    },

    /**
     * A change the record's writer made. Every value it sets is absolute (the
     * fields, the version after the step, the step's event id and time), so a
     * retried activity writes the same document again rather than reading
     * first to skip it. Written by `_id` alone: FerretDB reads every record for
     * a filter on any other field (and its update was never atomic with its
     * filter). `release` clears the writer: the instance's last step.
     */
    async applyChange(id: string, eventId: string, change: RecordChange, now: string, opts: { writer?: string; release?: boolean } = {}): Promise<void> {
      await records.updateOne({ _id: id }, changeUpdate(change, eventId, now, { set: opts.writer, clear: opts.release }));
    },

    /** The writer gives the record up (its instance was cancelled, or the shared record's last instance left). */
    async release(id: string, writer: string): Promise<void> {
      // Only the writer itself writes the record while it is named, so reading first is not a race.
      const doc = await records.findOne({ _id: id }, { projection: { writer: 1 } });
      if (doc?.writer === writer) await records.updateOne({ _id: id }, { $unset: { writer: '' } });
    },

    /**
     * A change by a writer that does not hold the record yet: an instance's
     * first write of a record that exists, which may race the API's own
     * writes and other instances' first writes. The version it read is claimed
     * as `updateFields` claims it, the change applied to the record as stored
     * (`rebase`), and the writer set; undefined when another writer took that
     * version or the record's writer changed meanwhile (read it again).
     */
    async writeClaimed(
      read: WritableRecord,
      rebase: (stored: RecordView) => RecordView,
      eventId: string,
      now: string,
      writer: string | undefined,
    ): Promise<WritableRecord | undefined> {
      const claim = await claimVersion(read.id, read.version, Date.parse(now));
      if (!claim) return undefined;
      try {
        const current = await records.findOne({ _id: read.id });
        if (!current || current.version !== read.version || current.writer !== read.writer) return undefined;
        const stored = toWritable(current);
        const next = rebase(toRecordView(stored));
        const change = changeBetween(toRecordView(stored), next);
        await records.updateOne({ _id: read.id }, changeUpdate(change, eventId, now, writer ? { set: writer } : { clear: true }));
        return { ...next, createdAt: stored.createdAt, updatedAt: now, lastEventId: eventId, ...(writer ? { writer } : {}) };
      } finally {
        await claims.deleteOne({ _id: claim }).catch(() => undefined);
      }
    },
  };
}

export type RecordStore = ReturnType<typeof recordStore>;
