import type { Client } from '@temporalio/client';
import { redactRecord } from '../workflows/domain/privacy';
import { recordCreatedEventId, webhookDeliveryId, type RecordCreatedPayload, type WebhookDelivery } from '../workflows/domain/webhooks';
import type { StoredRecordInput } from '../workflows/trigger-types';
import { webhookDeliveriesWorkflowId } from '../workflows/webhook-deliveries';
import { startWebhookDeliveries } from './step-starts';
import type { Stores } from './store';
import { feedOf } from './store/event-feed';
import type { Webhook } from './store/webhooks';
import { readerOf } from './webhooks';

const TYPE = 'record.created';

/** Who created the records, as the payload names them. */
export interface Creator {
  userId: string;
  companyId?: string;
}

/**
 * record.created of each record, to each webhook of its owning or its assigned
 * partner company that listens for it, with the fields that company may see.
 * The ids follow from the record's: raised twice, it is the same event.
 */
export function planRecordCreated(records: StoredRecordInput[], actor: Creator, hooks: Webhook[]): WebhookDelivery[] {
  return records.flatMap((record) =>
    hooks
      .filter((hook) => hook.events.includes(TYPE) && (hook.companyId === record.companyId || hook.companyId === record.partnerCompanyId))
      .map((hook): WebhookDelivery => {
        const id = webhookDeliveryId(recordCreatedEventId(record.id), hook.id, TYPE);
        const { fields } = redactRecord(record, readerOf(hook.companyId));
        const payload: RecordCreatedPayload = {
          id,
          type: TYPE,
          occurredAt: record.createdAt,
          companyId: record.companyId,
          recordId: record.id,
          actor: { userId: actor.userId, companyId: actor.companyId ?? null },
          record: { id: record.id, type: record.type, version: record.version, fields },
          sequence: 0,
        };
        return { id, webhookId: hook.id, payload };
      }),
  );
}

/**
 * Raises record.created for records just written, from the call that wrote
 * them (a step's activity, a trigger's, the API), and is safe to call again
 * for the same records: the outbox keeps an id's first payload and the
 * delivery workflow is keyed by the record, so a retry starts nothing twice.
 * With no webhook listening it makes no command: the active webhooks are held
 * per process, behind the revision tokens the caller's scope already read.
 */
export function recordCreatedNotices(stores: Stores, temporal: { client: Client; taskQueue: string }) {
  return async function recordsCreated(records: StoredRecordInput[], actor: Creator): Promise<void> {
    if (records.length === 0) return;
    const companies = [...new Set(records.flatMap((r) => (r.partnerCompanyId ? [r.companyId, r.partnerCompanyId] : [r.companyId])))];
    const hooks = await stores.webhooks.matching(companies, [TYPE]);
    const deliveries = planRecordCreated(records, actor, hooks);
    if (deliveries.length === 0) return;
    await stores.webhooks.putOutbox(deliveries, new Date().toISOString(), { keepFirst: true });
    await stores.eventFeed.append(feedOf(hooks, deliveries), new Date());
    for (const record of records) {
      const eventId = recordCreatedEventId(record.id);
      const ids = deliveries.filter((d) => (d.payload as RecordCreatedPayload).recordId === record.id).map((d) => d.id);
      if (ids.length > 0) await startWebhookDeliveries(temporal.client, temporal.taskQueue, webhookDeliveriesWorkflowId(eventId), { eventId, deliveries: ids });
    }
  };
}

export type RecordsCreated = ReturnType<typeof recordCreatedNotices>;
