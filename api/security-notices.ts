import type { Client } from '@temporalio/client';
import type { AuditEntry, Stores } from '../activities/store';
import { webhookDeliveryId, type SecurityWebhookPayload, type WebhookDelivery } from '../workflows/domain/webhooks';
import { startWebhookDeliveries } from '../activities/step-starts';
import { feedOf } from '../activities/store/event-feed';

export interface NoticeDeps {
  stores: Stores;
  temporal: Client;
  taskQueue: string;
}

const TYPE = 'security.api_key_issued';

/**
 * Tells a company, through its webhooks that listen for it, that an API key
 * was issued for one of its users. The deliveries run as the same durable
 * workflow an instance step's do (retried with backoff, each on its own),
 * started under the audit entry's id: asked twice, it is started once.
 */
export function securityNotices({ stores, temporal, taskQueue }: NoticeDeps) {
  return async function keyIssued(entry: AuditEntry): Promise<void> {
    const hooks = await stores.webhooks.matching([entry.companyId], [TYPE]);
    if (hooks.length === 0) return;
    const deliveries = hooks.map((hook): WebhookDelivery => {
      const id = webhookDeliveryId(entry.id, hook.id, TYPE);
      const payload: SecurityWebhookPayload = {
        id,
        type: TYPE,
        occurredAt: entry.at,
        companyId: entry.companyId,
        actor: { userId: entry.actor.userId, companyId: entry.actor.companyId, name: entry.actor.name ?? null },
        user: { userId: entry.subject.userId, name: entry.subject.name ?? null },
        key: { id: entry.subject.keyId ?? '', prefix: entry.subject.keyPrefix ?? '', expiresAt: entry.expiresAt ?? null },
        breakGlass: entry.breakGlass === true,
        reason: entry.reason ?? null,
      };
      return { id, webhookId: hook.id, payload };
    });
    // Kept in the outbox like a step's, so that only ids pass through Temporal and a delivery can be sent again.
    await stores.webhooks.putOutbox(deliveries, entry.at);
    await stores.eventFeed.append(feedOf(hooks, deliveries), new Date());
    await startWebhookDeliveries(temporal, taskQueue, `security:${entry.id}`, { eventId: entry.id, deliveries: deliveries.map((d) => d.id) });
  };
}

export type SecurityNotices = ReturnType<typeof securityNotices>;
