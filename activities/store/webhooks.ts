import type { Db, Filter } from 'mongodb';
import { keysetPage, type After, type PageAsked } from './keyset';
import type { DeliveredEventType, DeliveryStatus, WebhookDelivery, WebhookEventType, WebhookScheme } from '../../workflows/domain/webhooks';
import { newStandardWebhookSecret, newWebhookSecret } from '../../lib/webhook-signature';
import { COLLECTIONS, type Doc } from './collections';
import { revision } from './revisions';
import { newId } from './people';
import { versionedWriter, type VersionedWrite, type WriteOptions } from './versioned';

export interface Webhook {
  id: string;
  /** The company whose records' events this endpoint receives (as owner, or as the assigned partner). */
  companyId: string;
  url: string;
  events: WebhookEventType[];
  /** How deliveries are signed and shaped; absent (webhooks made before 1.2): propeller-v1. */
  scheme?: WebhookScheme;
  active: boolean;
  createdAt: string;
  createdBy: string;
  disabledAt?: string;
  /** Why it was disabled when Propeller did it: the receiver answered 410, or failed for days. */
  disabledReason?: string;
  /** Since when its deliveries have failed with no success in between. */
  failingSince?: string;
  /** After a rotation, deliveries are signed with the old secret too until then. */
  previousSecretExpiresAt?: string;
  updatedAt?: string;
  version?: number;
}

/** One try of a delivery, as the delivery log shows it. */
export interface DeliveryAttempt {
  at: string;
  /** What the delivery stood at after this try. */
  status: DeliveryStatus;
  /** The receiver's HTTP status, when it answered. */
  responseCode?: number;
  error?: string;
  nextAttemptAt?: string;
}

/** The delivery log: one document per delivery id (read by `_id`), with every try it had. */
export interface DeliveryOutcome {
  id: string;
  webhookId: string;
  type: DeliveredEventType;
  status: DeliveryStatus;
  attempts: number;
  lastStatus?: number;
  lastError?: string;
  deliveredAt?: string;
  /** When it is tried again, while `retrying`. */
  nextAttemptAt?: string;
  updatedAt: string;
  /** When it was first tried: the log's order. */
  createdAt?: string;
  /** Every try, oldest first. */
  log?: DeliveryAttempt[];
}

export interface DeliveryFilter {
  status?: DeliveryStatus;
  /** First tried at or after / before. */
  since?: string;
  until?: string;
}

/** The fields of a delivery's latest try: a later try without one (a success after errors) clears it. */
const LATEST = ['lastStatus', 'lastError', 'deliveredAt', 'nextAttemptAt'] as const;

/** The secret is stored as given: it is needed to sign. Only `forDelivery` and `create` ever return it. */
type WebhookDoc = Doc<Omit<Webhook, 'id'> & { secret: string; previousSecret?: string }>;

/** How long both the old and the new secret sign deliveries after a rotation. */
export const SECRET_OVERLAP_MS = 24 * 3_600_000;
type OutcomeDoc = Doc<Omit<DeliveryOutcome, 'id'>>;
type OutboxDoc = Doc<Omit<WebhookDelivery, 'id'> & { createdAt: string }>;

const withoutSecret = { projection: { secret: 0, previousSecret: 0 } } as const;

function toWebhook(doc: WebhookDoc): Webhook {
  const { _id, secret: _secret, previousSecret: _previous, ...rest } = doc;
  return { id: _id, ...rest } as Webhook;
}

/** A Standard Webhooks secret is base64 (the spec's form); Propeller's own is base64url, used whole. */
const newSecret = (scheme: WebhookScheme | undefined) => (scheme === 'standard-v1' ? newStandardWebhookSecret() : newWebhookSecret());

/** Webhook endpoints and the outcome of their deliveries. */
export function webhookStore(db: Db) {
  const webhooks = db.collection<WebhookDoc>(COLLECTIONS.webhooks);
  const outcomes = db.collection<OutcomeDoc>(COLLECTIONS.webhookDeliveries);
  const outbox = db.collection<OutboxDoc>(COLLECTIONS.webhookOutbox);
  // Every step asks which webhooks listen: the active ones are held per process until one is created or disabled.
  const changes = revision(db, COLLECTIONS.webhooks);
  const active = changes.cached(async () => {
    const docs = await webhooks.find({ active: true }, withoutSecret).sort({ createdAt: 1, _id: 1 }).toArray();
    return docs.map(toWebhook);
  });

  const writer = versionedWriter(db, webhooks);
  /** A versioned write of a company's webhook (another company's is missing). */
  async function write(companyId: string, id: string, change: (doc: WebhookDoc) => WebhookDoc | undefined, opts: WriteOptions = {}): Promise<VersionedWrite<Webhook>> {
    const result = await writer.write(id, (doc) => (doc.companyId === companyId ? change(doc) : undefined), opts);
    if ('doc' in result && result.doc.companyId !== companyId) return { status: 'missing' };
    if (result.status === 'written') await changes.changed();
    return 'doc' in result ? { ...result, doc: toWebhook(result.doc) } : result;
  }

  return {
    /** The secret is in this answer once; no later read of the API shows it. */
    async create(spec: Pick<Webhook, 'companyId' | 'url' | 'events' | 'createdBy' | 'scheme'>, now: string): Promise<Webhook & { secret: string }> {
      const webhook: Webhook = { id: newId('whk'), ...spec, scheme: spec.scheme ?? 'propeller-v1', active: true, createdAt: now };
      const secret = newSecret(webhook.scheme);
      const { id, ...rest } = webhook;
      const written = await writer.insert({ _id: id, ...rest, secret });
      await changes.changed();
      return { ...toWebhook(written), secret };
    },

    /** One company's webhooks, filtered in the query. */
    async listFor(companyId: string): Promise<Webhook[]> {
      return (await webhooks.find({ companyId }, withoutSecret).sort({ createdAt: 1, _id: 1 }).toArray()).map(toWebhook);
    },

    /** A webhook of this company; another company's is not found. */
    async getFor(companyId: string, id: string): Promise<Webhook | undefined> {
      const doc = await webhooks.findOne({ _id: id, companyId }, withoutSecret);
      return doc ? toWebhook(doc) : undefined;
    },

    /**
     * Changes the URL, the events, or whether it is on, on the version the
     * caller read when it names one. Turned back on, it starts a clean slate:
     * no disabled time or reason, no failing streak.
     */
    async update(companyId: string, id: string, patch: Partial<Pick<Webhook, 'url' | 'events' | 'active'>>, now: string, opts: WriteOptions = {}): Promise<VersionedWrite<Webhook>> {
      return write(companyId, id, (doc) => {
        const next: WebhookDoc = { ...doc, ...patch, updatedAt: now };
        if (patch.active === true && !doc.active) {
          delete next.disabledAt;
          delete next.disabledReason;
          delete next.failingSince;
        }
        if (patch.active === false && doc.active) next.disabledAt = now;
        return next;
      }, opts);
    },

    /**
     * A new secret, answered this once; the old one keeps signing (beside the
     * new) for SECRET_OVERLAP_MS, so receivers can switch without losing a delivery.
     */
    async rotateSecret(companyId: string, id: string, now: string, opts: WriteOptions = {}): Promise<VersionedWrite<Webhook> & { secret?: string }> {
      const doc = await webhooks.findOne({ _id: id, companyId }, withoutSecret);
      const secret = newSecret(doc?.scheme);
      const until = new Date(Date.parse(now) + SECRET_OVERLAP_MS).toISOString();
      const result = await write(companyId, id, (doc) => ({ ...doc, secret, previousSecret: doc.secret, previousSecretExpiresAt: until, updatedAt: now }), opts);
      return result.status === 'written' ? { ...result, secret } : result;
    },

    /** Disabled twice keeps its first time (and reason); an admin's disable gives none. */
    async disable(companyId: string, id: string, now: string, reason?: string): Promise<VersionedWrite<Webhook>> {
      return write(companyId, id, (doc) => (doc.active ? { ...doc, active: false, disabledAt: now, updatedAt: now, ...(reason ? { disabledReason: reason } : {}) } : undefined));
    },

    /**
     * A delivery failed: the first failure since a success starts the count
     * towards disabling. Outside the version: no caller's If-Match is about it.
     */
    async markFailing(id: string, now: string): Promise<void> {
      await webhooks.updateOne({ _id: id, failingSince: { $exists: false } }, { $set: { failingSince: now } });
    },

    /** A delivery succeeded: the endpoint is healthy again. */
    async clearFailing(id: string): Promise<void> {
      await webhooks.updateOne({ _id: id }, { $unset: { failingSince: '' } });
    },

    /** What every step that raises an event asks: answered from the cache of active webhooks. */
    async matching(companyIds: string[], types: WebhookEventType[]): Promise<Webhook[]> {
      return (await active()).filter((hook) => companyIds.includes(hook.companyId) && hook.events.some((e) => types.includes(e)));
    },

    /**
     * Read when a delivery is sent, so neither the secrets nor the URL land in
     * workflow history: the secrets it is signed with, the newest first.
     */
    async forDelivery(id: string, nowMs = Date.now()): Promise<(Webhook & { secret: string; secrets: string[] }) | undefined> {
      const doc = await webhooks.findOne({ _id: id });
      if (!doc) return undefined;
      const overlapping = doc.previousSecret && doc.previousSecretExpiresAt && Date.parse(doc.previousSecretExpiresAt) > nowMs;
      return { ...toWebhook(doc), secret: doc.secret, secrets: overlapping ? [doc.secret, doc.previousSecret!] : [doc.secret] };
    },

    /**
     * A step's deliveries, kept until they are sent so that only their ids
     * pass through Temporal. Keyed by delivery id: a retried step writes the
     * same documents again.
     */
    async putOutbox(deliveries: WebhookDelivery[], now: string, opts: { keepFirst?: boolean } = {}): Promise<void> {
      if (deliveries.length === 0) return;
      // keepFirst: the first write of an id stands (an event raised again by another caller, who may read the record later on).
      await outbox.bulkWrite(
        deliveries.map(({ id, ...rest }) =>
          opts.keepFirst
            ? { updateOne: { filter: { _id: id }, update: { $setOnInsert: { ...rest, createdAt: now } }, upsert: true } }
            : { replaceOne: { filter: { _id: id }, replacement: { ...rest, createdAt: now }, upsert: true } },
        ),
        { ordered: false },
      );
    },

    async outboxed(id: string): Promise<WebhookDelivery | undefined> {
      const doc = await outbox.findOne({ _id: id });
      if (!doc) return undefined;
      const { _id, createdAt: _c, ...rest } = doc;
      return { id: _id, ...rest };
    },

    /**
     * One more try of a delivery: its latest state, and the try appended to
     * its log. `attempts` counts every try, redeliveries included.
     */
    async recordOutcome(outcome: Omit<DeliveryOutcome, 'attempts' | 'createdAt' | 'log'> & { attempts?: number }): Promise<void> {
      const { id, attempts: _attempts, ...rest } = outcome;
      const entry: DeliveryAttempt = {
        at: rest.updatedAt,
        status: rest.status,
        ...(rest.lastStatus !== undefined ? { responseCode: rest.lastStatus } : {}),
        ...(rest.lastError !== undefined ? { error: rest.lastError } : {}),
        ...(rest.nextAttemptAt !== undefined ? { nextAttemptAt: rest.nextAttemptAt } : {}),
      };
      const set = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
      const unset = LATEST.filter((k) => rest[k] === undefined);
      await outcomes.updateOne(
        { _id: id },
        {
          $set: set,
          $inc: { attempts: 1 },
          $setOnInsert: { createdAt: rest.updatedAt },
          $push: { log: entry },
          ...(unset.length > 0 ? { $unset: Object.fromEntries(unset.map((k) => [k, ''])) } : {}),
        } as never,
        { upsert: true },
      );
    },

    async getOutcome(id: string): Promise<DeliveryOutcome | undefined> {
      const doc = await outcomes.findOne({ _id: id });
      if (!doc) return undefined;
      const { _id, ...rest } = doc;
      return { id: _id, ...rest } as DeliveryOutcome;
    },

    /**
     * One webhook's deliveries, newest first, by keyset on when each was first
     * tried. The filter is on the webhook (an index on MongoDB; a scan on
     * FerretDB, which pushes down only `_id`): a delivery itself is read by `_id`.
     */
    async deliveriesFor(webhookId: string, filter: DeliveryFilter, page: PageAsked): Promise<{ deliveries: DeliveryOutcome[]; next?: After }> {
      const created = { ...(filter.since ? { $gte: filter.since } : {}), ...(filter.until ? { $lt: filter.until } : {}) };
      const where: Filter<OutcomeDoc> = {
        webhookId,
        createdAt: Object.keys(created).length > 0 ? created : { $exists: true },
        ...(filter.status ? { status: filter.status } : {}),
      };
      const { docs, next } = await keysetPage(outcomes, where, { field: 'createdAt', dir: -1 }, page);
      const deliveries = docs.map(({ _id, ...rest }) => ({ id: _id, ...rest }) as DeliveryOutcome);
      return { deliveries, ...(next ? { next } : {}) };
    },
  };
}

export type WebhookStore = ReturnType<typeof webhookStore>;
