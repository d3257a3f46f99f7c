import crypto from 'node:crypto';
import type { Company, Stores, StoredRecord } from '../../activities/store';
import { newId } from '../../activities/store';
import { isDuplicateKey } from '../../activities/store/collections';
import { toRecordView } from '../../activities/store/records';
import { refOf } from '../../workflows/pipeline-ref';
import { filterContext, planTriggers, type TriggerAction } from '../../activities/triggers';
import type { TriggerOutcome } from '../../workflows/trigger-types';
import { canSeeRecord, evaluateFilter, newRecord, redactRecord } from '../../workflows/domain';
import type { Actor } from '../../workflows/domain/types';
import { decodeCursor, encodeCursor, keysetAnswer, keysetParams } from '../cursor';
import { AppError, notFound } from '../errors';
import type { RecordListParams, RecordSearch } from '../schemas/records';
import { checkAssignment } from '../tenancy';
import type { InstanceClient } from '../instance-client';
import { linkChecks } from '../links';
import { answersSummary, type InstanceShape } from '../instance-shape';
import { presentListedAll } from './listed';
import type { RecordsCreated } from '../../activities/record-created';

export interface RecordDeps {
  stores: Stores;
  instances: InstanceClient;
  /** record.created of a record the API writes itself (one no pipeline starts on). */
  recordsCreated: RecordsCreated;
}

/** Attempts at finding the record's writer, which changes when instances start or finish meanwhile. */
const WRITE_ATTEMPTS = 5;

export interface NewRecord {
  fields: Record<string, unknown>;
  ownerId?: string;
  contactId?: string;
  partnerCompanyId?: string;
}

/**
 * Awaits calls that run side by side and answers their values; when any fails,
 * throws the failure of the first in the order given, whichever failed first in time.
 */
async function firstRefusal<T extends readonly unknown[]>(calls: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(calls);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/**
 * The partner company a record of `ownerCompanyId` is assigned to: 422
 * `unknown_partner` when there is none by that id, `partner_not_in_program`
 * when it is not in the owner's program.
 */
export async function partnerCompany(stores: Stores, id: string, ownerCompanyId: string): Promise<Company> {
  const partner = await stores.people.getCompany(id);
  const check = checkAssignment(id, partner, ownerCompanyId);
  if (!check.ok) throw new AppError(422, check.code, check.message, check.details);
  // checkAssignment answers ok for a partner company only.
  return partner as Company;
}

/** The stage field mirrors the instance's stage; only moves write it. Any new record's fields are checked so (a task's too). */
export async function refuseStageFields(stores: Stores, companyId: string, type: string, fields: Record<string, unknown>): Promise<void> {
  const stageFields = await stores.pipelines.stageFieldsFor(companyId, type);
  const clash = Object.keys(fields).filter((f) => stageFields.includes(f));
  if (clash.length > 0) {
    throw new AppError(422, 'stage_field', `${clash.join(', ')} follows the pipeline stage; move the instance instead`, { fields: clash });
  }
}

/** Records of any object type. While an instance runs on a record, its writes go through that instance. */
/** How many records one search call reads at most, matching or not. */
export const SEARCH_SCAN = 1_000;

/** A keyed create's record id: the same caller, type and Idempotency-Key always name the same record (16 characters, never a random id's 12). */
export function keyedRecordId(type: string, companyId: string, userId: string, key: string): string {
  const digest = crypto.createHash('sha256').update(`${companyId}\0${userId}\0${type}\0${key}`).digest('base64url');
  return `${type.slice(0, 3)}_${digest.slice(0, 16)}`;
}

export function recordUseCases({ stores, instances, recordsCreated }: RecordDeps) {
  const links = linkChecks(stores);
  async function visible(actor: Actor, type: string, id: string): Promise<StoredRecord> {
    const record = await stores.records.get(id);
    if (!record || record.type !== type || !canSeeRecord(actor, record)) throw notFound('record');
    return record;
  }

  async function checkOwner(actor: Actor, ownerId: string | undefined): Promise<void> {
    if (!ownerId || ownerId === actor.userId) return;
    const owner = await stores.people.getUser(ownerId);
    if (!owner || owner.companyId !== actor.companyId) {
      throw new AppError(422, 'unknown_owner', `owner ${ownerId} is not a user of your company`);
    }
    if (owner.deactivatedAt) throw new AppError(422, 'inactive_user', `owner ${ownerId} was deactivated`, { users: [ownerId] });
  }

  async function checkPartner(partnerCompanyId: string | undefined, ownerCompanyId: string): Promise<void> {
    if (partnerCompanyId) await partnerCompany(stores, partnerCompanyId, ownerCompanyId);
  }

  /**
   * Writes a new record and starts the pipelines it matches; answers once every
   * new instance stands in its first stage, so the caller can act on it at once.
   * With one pipeline to start, the instance's first step writes the record: a
   * single durable step, whose state is the answer. Otherwise the record trigger
   * workflow writes it and starts them all.
   */
  /** A keyed create's earlier attempt already wrote the record: answer it as that attempt would have, with the instances it started. */
  async function answerWritten(actor: Actor, record: StoredRecord) {
    if (record.companyId !== (actor.companyId ?? '')) throw notFound('record');
    // The earlier attempt may have died between its insert and raising record.created (see createAndStart).
    // Raised again it is the same event, whoever raised it first (this, or the step or trigger that wrote the
    // record): the same ids, the outbox keeping the first payload, the delivery workflow started once.
    await recordsCreated([record], actor);
    const running = await stores.instancesOf(record);
    return { ...redactRecord(record, actor), instances: running.map((i): TriggerOutcome => ({ instanceId: i.instanceId, outcome: 'started' })) };
  }

  /**
   * Waits for the first step of the instance a keyed create's earlier attempt
   * started. When Temporal cannot deliver the wait (a run between tasks after
   * its worker died answers as not running), the record says whether that
   * step is written; if it is not yet, the caller is told to come back with
   * its key (503, not kept), never to write a second record.
   */
  async function keyedStart(instanceId: string, recordId: string): Promise<void> {
    try {
      await instances.awaitStarted(instanceId);
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'not_running')) throw err;
      if (await stores.records.get(recordId)) return;
      throw new AppError(503, 'instance_starting', 'the instance this Idempotency-Key started has not taken its first step yet; send the request again with the same key shortly');
    }
  }

  async function createAndStart(record: StoredRecord, actions: TriggerAction[], actor: Actor, keyed: boolean): Promise<{ record: StoredRecord; instances: TriggerOutcome[] }> {
    if (actions.length === 0) {
      try {
        await stores.records.insert(record);
      } catch (err) {
        // A keyed create's earlier attempt wrote it between the read and here.
        if (!(keyed && isDuplicateKey(err))) throw err;
      }
      // No step writes this record, so no step can raise record.created: it is raised here, before the answer,
      // as the rest of the API promises its writes. A request that dies in between and is retried with its
      // Idempotency-Key raises it again (answerWritten) under the same ids; one sent without a key made a
      // record its caller never heard of, and its retry is another record, with its own event.
      await recordsCreated([record], actor);
      return { record, instances: [] };
    }
    const [only] = actions;
    if (actions.length === 1 && only?.action === 'start') {
      try {
        const input = {
          instanceId: only.instanceId,
          pipeline: refOf(record.companyId, only.definition),
          record: toRecordView(record),
          startedBy: actor,
          createsRecord: { at: record.createdAt },
        };
        await instances.start(only.definition, input, { allowReinitiation: only.allowReinitiation });
        // The first step wrote the record as its stage left it (stage field, defaults): answer with what is stored.
        return { record: (await stores.records.get(record.id)) ?? record, instances: [{ instanceId: only.instanceId, outcome: 'started' }] };
      } catch (err) {
        const code = err instanceof AppError ? err.code : undefined;
        // A keyed create's earlier attempt started this very instance on this very record: wait for its first step.
        if (keyed && (code === 'already_running' || code === 'not_running')) {
          await keyedStart(only.instanceId, record.id);
          return { record: (await stores.records.get(record.id)) ?? record, instances: [{ instanceId: only.instanceId, outcome: 'started' }] };
        }
        if (code !== 'already_running') throw err;
        // Another start took the instance id meanwhile, so nothing was written: the trigger settles which record it runs on.
      }
    }
    const outcomes = await instances.created(record, actor);
    await Promise.all(
      outcomes
        .filter((o) => o.outcome === 'started')
        .map((o) =>
          instances.awaitStarted(o.instanceId).catch((err: unknown) => {
            // An instance that already finished has nothing left to wait for.
            if (!(err instanceof AppError && err.code === 'not_running')) throw err;
          }),
        ),
    );
    // The instances' first steps may have written the record (stage field, defaults): answer with what is stored.
    return { record: (await stores.records.get(record.id)) ?? record, instances: outcomes };
  }

  /**
   * One writer per record. A record an instance runs on is written by that
   * instance, and a record several instances share by its writer workflow,
   * each holding the current version, so `If-Match` with it always holds. A
   * record nobody writes is written here, its version claimed first (FerretDB
   * has no transactions). The answer is the record as stored: every field,
   * the other pipelines' stage fields included.
   */
  async function writeFields(actor: Actor, read: StoredRecord, fields: Record<string, unknown>, expectedVersion: number | undefined): Promise<StoredRecord> {
    let closed: string | undefined;
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const record = await stores.records.getWritable(read.id);
      if (!record) throw notFound('record');
      // A writer whose run closed without letting the record go (terminated by hand) is taken over.
      const named = record.writer === closed ? undefined : record.writer;
      // A running instance that has not written the record yet (1.0 runs, a start a moment ago) takes it with this change.
      const writer = named ?? (record.writer ? undefined : (await stores.instancesOf(record)).find((i) => i.status === 'running')?.instanceId);
      try {
        if (writer?.startsWith('record:')) {
          // The writer answers the record as it stored it, at this change's version.
          const stored = await instances.updateShared(writer, { actor, fields, expectedVersion });
          return { ...stored, createdAt: record.createdAt, updatedAt: new Date().toISOString() };
        } else if (writer) {
          await instances.updateRecord(writer, { actor, fields, expectedVersion });
        } else {
          const version = expectedVersion ?? record.version;
          const direct = await stores.records.updateFields(read.id, version, fields, new Date().toISOString(), closed);
          if (direct && 'writer' in direct) continue; // an instance took the record meanwhile: through it
          if (!direct) {
            const current = await stores.records.get(read.id);
            const message =
              current?.version === version
                ? `another update of version ${version} is being saved; read the record again`
                : `the record is at version ${current?.version}, not ${version}`;
            throw new AppError(409, 'stale_version', message);
          }
          return direct;
        }
      } catch (err) {
        // The writer let the record go as the change reached it (its last step): ask the record who writes it now.
        if (err instanceof AppError && err.code === 'not_running') {
          closed = writer;
          continue;
        }
        throw err;
      }
      const stored = await stores.records.get(read.id);
      if (!stored) throw notFound('record');
      return stored;
    }
    throw new AppError(503, 'record_busy', 'the record changed writers while this update was sent; retry shortly');
  }

  return {
    /**
     * With an Idempotency-Key, the record's id is derived from the key (and
     * the caller and the type), so that a retry whose first attempt's answer
     * was lost (a timeout, a process that died) finds what that attempt wrote
     * instead of writing a second record and starting a second instance.
     */
    async create(actor: Actor, type: string, body: NewRecord, idempotencyKey?: string) {
      const companyId = actor.companyId ?? '';
      const id = idempotencyKey ? keyedRecordId(type, companyId, actor.userId, idempotencyKey) : newId(type.slice(0, 3));
      if (idempotencyKey) {
        const written = await stores.records.get(id);
        if (written) return answerWritten(actor, written);
      }
      const record: StoredRecord = newRecord(
        {
          id,
          type,
          ownerId: body.ownerId ?? actor.userId,
          creatorId: actor.userId,
          companyId,
          partnerCompanyId: body.partnerCompanyId,
          contactId: body.contactId,
          fields: body.fields,
        },
        new Date().toISOString(),
      );
      // The checks and the trigger plan only read, so they run side by side; nothing is written before all pass.
      const [, , , , actions] = await firstRefusal([
        refuseStageFields(stores, record.companyId, type, body.fields),
        checkOwner(actor, body.ownerId),
        checkPartner(body.partnerCompanyId, record.companyId),
        links.fields(actor, record.companyId, body.fields, body.contactId),
        // The id was made just now and nothing is written yet: no instance can be keyed by it, or (a keyed create's retry)
        // only the one its earlier attempt started, which the start below then finds running.
        planTriggers(stores, record, actor, { fresh: true }),
      ]);
      const created = await createAndStart(record, actions, actor, idempotencyKey !== undefined);
      return { ...redactRecord(created.record, actor), instances: created.instances };
    },

    /** With its instances in the Instance shape for shape=instance; for this release by default as { instanceId, stage, status } (deprecated). */
    async get(actor: Actor, type: string, id: string, shape?: InstanceShape) {
      const record = await visible(actor, type, id);
      const running = await stores.instancesOf(record);
      if (!answersSummary(shape)) return { ...redactRecord(record, actor), instances: await presentListedAll(stores, running, actor) };
      return { ...redactRecord(record, actor), instances: running.map((i) => ({ instanceId: i.instanceId, stage: i.stage, status: i.status })) };
    },

    async list(actor: Actor, type: string, query: RecordListParams) {
      const { limit, cursor, offset, ...filters } = query;
      const page = { limit, cursor, offset };
      const bound = { type, ...filters };
      const { records, next } = await stores.records.pageVisible(type, { companyId: actor.companyId ?? '', userId: actor.userId }, filters, keysetParams(page, bound));
      return keysetAnswer(records.map((r) => redactRecord(r, actor)), next, page, bound);
    },

    async update(actor: Actor, type: string, id: string, fields: Record<string, unknown>, expectedVersion?: number) {
      const record = await visible(actor, type, id);
      if (actor.companyId !== record.companyId) {
        throw new AppError(403, 'forbidden', 'only the owning company edits a record; partners work through tasks and moves');
      }
      await links.fields(actor, record.companyId, fields);
      await refuseStageFields(stores, record.companyId, type, fields);
      const updated = await writeFields(actor, record, fields, expectedVersion);
      // Pipelines the record did not match before may match now.
      await instances.updated(id, updated.version, actor);
      return redactRecord(updated, actor);
    },

    /**
     * The records of `type` the caller may see that pass `filter` (paths as in
     * a pipeline's filter; `user.*` is the caller), newest first. A call
     * reads at most SEARCH_SCAN records: a page may come back short, or even
     * empty, with a nextCursor to go on from.
     */
    async search(actor: Actor, type: string, body: RecordSearch) {
      const limit = body.limit ?? 50;
      const bound = { type, filter: body.filter };
      let after = body.cursor ? decodeCursor(body.cursor, bound) : undefined;
      const who = { companyId: actor.companyId ?? '', userId: actor.userId };
      const matched: StoredRecord[] = [];
      let scanned = 0;
      let more = true;
      while (more && matched.length < limit && scanned < SEARCH_SCAN) {
        const batch = await stores.records.pageVisible(type, who, {}, { limit: Math.min(100, SEARCH_SCAN - scanned), ...(after ? { after } : {}) });
        let index = 0;
        for (const record of batch.records) {
          index++;
          scanned++;
          after = [record.createdAt, record.id];
          if (evaluateFilter(body.filter, await filterContext(stores, record, actor, [body.filter]))) matched.push(record);
          if (matched.length === limit) break;
        }
        more = batch.next !== undefined || index < batch.records.length;
      }
      return { items: matched.map((r) => redactRecord(r, actor)), nextCursor: more && after ? encodeCursor(after, bound) : null, limit };
    },

    async events(actor: Actor, type: string, id: string) {
      await visible(actor, type, id);
      return { items: await stores.events.forRecord(id) };
    },
  };
}

export type RecordUseCases = ReturnType<typeof recordUseCases>;
