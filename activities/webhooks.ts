import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Metrics } from '../lib/metrics';
import { ALLOW_HINT, STRICT_EGRESS } from '../lib/egress';
import { signWebhook, WEBHOOK_HEADERS } from '../lib/webhook-signature';
import { redactRecord } from '../workflows/domain/privacy';
import type { Actor } from '../workflows/domain/types';
import {
  approachingDeadline,
  type DeliveryStatus,
  webhookDeliveryId,
  webhookEventTypes,
  WEBHOOK_REJECTED,
  type WebhookDelivery,
  type WebhookEventType,
} from '../workflows/domain/webhooks';
import type { AuditEvent } from '../workflows/transition';
import type { Stores } from './store';
import type { DeliveryOutcome, Webhook } from './store/webhooks';
import { EgressRefused, postWebhook, type WebhookEgress } from './webhook-send';

const TIMEOUT_MS = 10_000;

/** A webhook reads records as a user of its company with no roles would. */
const readerOf = (companyId: string): Actor => ({ kind: 'user', userId: 'webhook', companyId, roles: [] });

/** What a step raises webhooks from: its audit event, and where the instance stands after it. */
export interface WebhookSource {
  event: AuditEvent;
  objectType: string;
  stage: string;
  companyId: string;
  partnerCompanyId?: string;
}

/**
 * The webhooks the step's events go to: read from what the step is, not from
 * what it writes, so it may run beside the writes. The common case, a step no
 * webhook listens to, costs one read of the revision tokens (the active
 * webhooks are held per process; none for steps that raise no event).
 */
export async function webhooksFor(stores: Stores, source: WebhookSource): Promise<Webhook[]> {
  const types = webhookEventTypes(source.event, source.objectType);
  if (types.length === 0) return [];
  // Only the owning company and the assigned partner: never another partner, nor an invited participant.
  const companies = [source.companyId, source.partnerCompanyId].filter((c): c is string => c !== undefined);
  return stores.webhooks.matching(companies, types);
}

/**
 * The deliveries of the step's events to `hooks` (see webhooksFor). The record
 * is read only when some webhook matched, after the step wrote it, so the
 * payload holds the record as that step left it.
 */
export async function planWebhookDeliveries(stores: Stores, source: WebhookSource, hooks: Webhook[]): Promise<WebhookDelivery[]> {
  const { event } = source;
  const types = webhookEventTypes(event, source.objectType);
  if (hooks.length === 0) return [];
  const record = await stores.records.get(event.recordId);
  if (!record) return [];
  const visible = hooks.filter((hook) => hook.companyId === record.companyId || hook.companyId === record.partnerCompanyId);
  return visible.flatMap((hook) => {
    const fields = redactRecord(record, readerOf(hook.companyId)).fields;
    return types
      .filter((type) => hook.events.includes(type))
      .map((type): WebhookDelivery => {
        const id = webhookDeliveryId(event.eventId, hook.id, type);
        const deadline = type === 'deadline.approaching' ? approachingDeadline(event.details) : undefined;
        return {
          id,
          webhookId: hook.id,
          payload: {
            id,
            type,
            occurredAt: event.at,
            pipelineKey: event.pipelineKey,
            instanceId: event.instanceId,
            stage: { from: event.from ?? null, to: event.to ?? source.stage },
            actor: { userId: event.actor.userId, companyId: event.actor.companyId ?? null },
            ...(event.reason !== undefined ? { reason: event.reason } : {}),
            ...(deadline ? { deadline } : {}),
            record: { id: record.id, type: record.type, version: record.version, fields },
          },
        };
      });
  });
}

/** 408, 429 and 5xx are worth another try; any other answer outside 2xx is the receiver's final word. */
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/** Sends one delivery; Temporal retries it with backoff until it is accepted or refused for good. */
export function webhookActivities(stores: Stores, metrics?: Metrics, egress: WebhookEgress = { policy: STRICT_EGRESS }) {
  async function outcome(delivery: WebhookDelivery, status: DeliveryStatus, attempts: number, extra: Partial<DeliveryOutcome> = {}) {
    const type: WebhookEventType = delivery.payload.type;
    await stores.webhooks.recordOutcome({
      id: delivery.id, webhookId: delivery.webhookId, type, status, attempts, updatedAt: new Date().toISOString(), ...extra,
    });
    metrics?.webhookDeliveries.inc({ result: status });
  }

  return {
    async deliverWebhook(ref: string | WebhookDelivery): Promise<DeliveryStatus> {
      const { attempt, retryPolicy } = Context.current().info;
      // A step of this version put the payload in the outbox and passed its id; 1.0's passed the delivery.
      const delivery = typeof ref === 'string' ? await stores.webhooks.outboxed(ref) : ref;
      if (!delivery) throw ApplicationFailure.create({ type: WEBHOOK_REJECTED, message: `delivery ${String(ref)} is not in the outbox`, nonRetryable: true });
      const hook = await stores.webhooks.forDelivery(delivery.webhookId);
      if (!hook?.active) {
        await outcome(delivery, 'skipped', attempt, { lastError: 'the webhook was disabled before delivery' });
        return 'skipped';
      }
      const body = JSON.stringify(delivery.payload);
      const timestamp = Math.floor(Date.now() / 1000);
      let status: number | undefined;
      let problem: string;
      try {
        const res = await postWebhook(egress, hook.url, {
          'Content-Type': 'application/json',
          [WEBHOOK_HEADERS.eventId]: delivery.id,
          [WEBHOOK_HEADERS.timestamp]: String(timestamp),
          [WEBHOOK_HEADERS.signature]: signWebhook(hook.secret, timestamp, body),
        }, body, TIMEOUT_MS);
        status = res.status;
        if (res.ok) {
          await outcome(delivery, 'delivered', attempt, { lastStatus: status, deliveredAt: new Date().toISOString() });
          return 'delivered';
        }
        problem = `the receiver answered ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}`;
      } catch (err) {
        if (err instanceof EgressRefused) {
          // An internal address: refused for good, and nothing was sent.
          await outcome(delivery, 'failed', attempt, { lastError: `refused: ${err.message}; ${ALLOW_HINT}` });
          throw ApplicationFailure.create({ type: WEBHOOK_REJECTED, message: err.message, nonRetryable: true });
        }
        problem = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      }
      const final = status !== undefined && !retryable(status);
      const exhausted = retryPolicy?.maximumAttempts !== undefined && attempt >= retryPolicy.maximumAttempts;
      await outcome(delivery, final || exhausted ? 'failed' : 'retrying', attempt, { lastStatus: status, lastError: problem });
      if (final) throw ApplicationFailure.create({ type: WEBHOOK_REJECTED, message: problem, nonRetryable: true });
      throw ApplicationFailure.create({ type: 'WebhookDeliveryFailed', message: problem });
    },
  };
}
