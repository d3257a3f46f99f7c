import type { Db } from 'mongodb';
import type { DeliveryStatus, WebhookDelivery, WebhookEventType } from '../../workflows/domain/webhooks';
import { newWebhookSecret } from '../../lib/webhook-signature';
import { COLLECTIONS, type Doc } from './collections';
import { revision } from './revisions';
import { newId } from './people';

export interface Webhook {
  id: string;
  /** The company whose records' events this endpoint receives (as owner, or as the assigned partner). */
  companyId: string;
  url: string;
  events: WebhookEventType[];
  active: boolean;
  createdAt: string;
  createdBy: string;
  disabledAt?: string;
}

/** What SREs look at: one document per delivery id, rewritten after every attempt. */
export interface DeliveryOutcome {
  id: string;
  webhookId: string;
  type: WebhookEventType;
  status: DeliveryStatus;
  attempts: number;
  lastStatus?: number;
  lastError?: string;
  deliveredAt?: string;
  updatedAt: string;
}

/** The secret is stored as given: it is needed to sign. Only `forDelivery` and `create` ever return it. */
type WebhookDoc = Doc<Omit<Webhook, 'id'> & { secret: string }>;
type OutcomeDoc = Doc<Omit<DeliveryOutcome, 'id'>>;
type OutboxDoc = Doc<Omit<WebhookDelivery, 'id'> & { createdAt: string }>;

const withoutSecret = { projection: { secret: 0 } } as const;

function toWebhook(doc: WebhookDoc): Webhook {
  const { _id, secret: _secret, ...rest } = doc;
  return { id: _id, ...rest } as Webhook;
}

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

  return {
    /** The secret is in this answer once; no later read of the API shows it. */
    async create(spec: Pick<Webhook, 'companyId' | 'url' | 'events' | 'createdBy'>, now: string): Promise<Webhook & { secret: string }> {
      const webhook: Webhook = { id: newId('whk'), ...spec, active: true, createdAt: now };
      const secret = newWebhookSecret();
      const { id, ...rest } = webhook;
      await webhooks.insertOne({ _id: id, ...rest, secret });
      await changes.changed();
      return { ...webhook, secret };
    },

    async list(): Promise<Webhook[]> {
      return (await webhooks.find({}, withoutSecret).sort({ createdAt: 1, _id: 1 }).toArray()).map(toWebhook);
    },

    async get(id: string): Promise<Webhook | undefined> {
      const doc = await webhooks.findOne({ _id: id }, withoutSecret);
      return doc ? toWebhook(doc) : undefined;
    },

    async disable(id: string, now: string): Promise<void> {
      // By `_id` alone (FerretDB reads every webhook for any other filter); disabled twice keeps its first time.
      const doc = await webhooks.findOne({ _id: id }, { projection: { active: 1 } });
      if (!doc?.active) return;
      await webhooks.updateOne({ _id: id }, { $set: { active: false, disabledAt: now } });
      await changes.changed();
    },

    /** What every step that raises an event asks: answered from the cache of active webhooks. */
    async matching(companyIds: string[], types: WebhookEventType[]): Promise<Webhook[]> {
      return (await active()).filter((hook) => companyIds.includes(hook.companyId) && hook.events.some((e) => types.includes(e)));
    },

    /** Read when a delivery is sent, so neither the secret nor the URL lands in workflow history. */
    async forDelivery(id: string): Promise<(Webhook & { secret: string }) | undefined> {
      const doc = await webhooks.findOne({ _id: id });
      return doc ? { ...toWebhook(doc), secret: doc.secret } : undefined;
    },

    /**
     * A step's deliveries, kept until they are sent so that only their ids
     * pass through Temporal. Keyed by delivery id: a retried step writes the
     * same documents again.
     */
    async putOutbox(deliveries: WebhookDelivery[], now: string): Promise<void> {
      if (deliveries.length === 0) return;
      await outbox.bulkWrite(
        deliveries.map(({ id, ...rest }) => ({ replaceOne: { filter: { _id: id }, replacement: { ...rest, createdAt: now }, upsert: true } })),
        { ordered: false },
      );
    },

    async outboxed(id: string): Promise<WebhookDelivery | undefined> {
      const doc = await outbox.findOne({ _id: id });
      if (!doc) return undefined;
      const { _id, createdAt: _c, ...rest } = doc;
      return { id: _id, ...rest };
    },

    async recordOutcome(outcome: DeliveryOutcome): Promise<void> {
      const { id, ...rest } = outcome;
      await outcomes.replaceOne({ _id: id }, rest, { upsert: true });
    },

    async getOutcome(id: string): Promise<DeliveryOutcome | undefined> {
      const doc = await outcomes.findOne({ _id: id });
      if (!doc) return undefined;
      const { _id, ...rest } = doc;
      return { id: _id, ...rest } as DeliveryOutcome;
    },
  };
}

export type WebhookStore = ReturnType<typeof webhookStore>;
