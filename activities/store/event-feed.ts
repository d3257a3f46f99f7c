import type { Db } from 'mongodb';
import type { WebhookDelivery } from '../../workflows/domain/webhooks';
import { COLLECTIONS } from './collections';
import { keysetPage, type After } from './keyset';

/** How long the feed keeps an event. */
export const EVENT_FEED_RETENTION_MS = 30 * 86_400_000;

/**
 * How far behind now the feed is read: two steps recorded at the same moment
 * may be written in either order, so the newest second is left until both are in.
 */
export const EVENT_FEED_SETTLE_MS = 1_000;

/** One event in a company's feed: the payload its webhooks got, its `id` without the webhook's. */
export interface FeedEvent {
  id: string;
  type: string;
  [key: string]: unknown;
}

/**
 * `_id` is `<companyId>|<recordedAt>|<event id>`: a company's feed is one `_id`
 * range, in the order it was written, and a page is read by `_id` alone.
 */
interface FeedDoc {
  _id: string;
  companyId: string;
  recordedAt: string;
  payload: FeedEvent;
}

/** The event's id as the feed gives it: the delivery id (`<eventId>:<webhookId>:<type>`) without the webhook. */
const eventIdOf = (delivery: WebhookDelivery) => delivery.id.replace(`:${delivery.webhookId}:`, ':');

/** The feed entries of planned deliveries: each with the company of the webhook it goes to. */
export function feedOf(hooks: Array<{ id: string; companyId: string }>, deliveries: WebhookDelivery[]): Array<{ companyId: string; delivery: WebhookDelivery }> {
  const companyOf = new Map(hooks.map((h) => [h.id, h.companyId]));
  return deliveries.flatMap((delivery) => {
    const companyId = companyOf.get(delivery.webhookId);
    return companyId ? [{ companyId, delivery }] : [];
  });
}

/** The webhook events of each company, kept 30 days, read in order by a cursor (GET /v1/events). */
export function eventFeedStore(db: Db) {
  const feed = db.collection<FeedDoc>(COLLECTIONS.eventFeed);
  return {
    /**
     * A step's events, once per company however many of its webhooks hear
     * them. A retried step may write them again, later, under the same `id`:
     * the feed, like the deliveries, is at least once.
     */
    async append(deliveries: Array<{ companyId: string; delivery: WebhookDelivery }>, now: Date): Promise<void> {
      const recordedAt = now.toISOString();
      const docs = new Map<string, FeedDoc>();
      for (const { companyId, delivery } of deliveries) {
        const id = eventIdOf(delivery);
        const _id = `${companyId}|${recordedAt}|${id}`;
        if (!docs.has(_id)) docs.set(_id, { _id, companyId, recordedAt, payload: { ...delivery.payload, id } });
      }
      if (docs.size === 0) return;
      await feed.bulkWrite([...docs.values()].map((doc) => ({ replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } })), { ordered: false });
    },

    /** The company's events after `after`, oldest first, up to a second ago; `last`: where the page ended. */
    async page(companyId: string, page: { limit: number; after?: After }, now: Date): Promise<{ events: FeedEvent[]; last?: After; more: boolean }> {
      const settled = new Date(now.getTime() - EVENT_FEED_SETTLE_MS).toISOString();
      const range = { _id: { $gt: `${companyId}|`, $lt: `${companyId}|${settled}` } };
      const { docs, next } = await keysetPage(feed, range, { field: '_id', dir: 1 }, page);
      const end = docs.at(-1);
      return { events: docs.map((d) => d.payload), ...(end ? { last: [end._id, end._id] as const } : {}), more: next !== undefined };
    },

    /** Deletes what is older than 30 days (FerretDB 1.24 has no TTL index); answers how many. */
    async sweep(now: Date): Promise<number> {
      const cutoff = new Date(now.getTime() - EVENT_FEED_RETENTION_MS).toISOString();
      return (await feed.deleteMany({ recordedAt: { $lt: cutoff } })).deletedCount;
    },
  };
}

export type EventFeedStore = ReturnType<typeof eventFeedStore>;
