import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Metrics } from '../lib/metrics';
import { ALLOW_HINT, STRICT_EGRESS } from '../lib/egress';
import { signStandardWebhook, signWebhook, STANDARD_WEBHOOK_HEADERS, WEBHOOK_HEADERS } from '../lib/webhook-signature';
import { redactRecord } from '../workflows/domain/privacy';
import type { Actor } from '../workflows/domain/types';
import {
  approachingDeadline,
  standardEnvelope,
  type DeliveryStatus,
  webhookDeliveryId,
  webhookEventTypes,
  WEBHOOK_REJECTED,
  type WebhookDelivery,
  type DeliveredEventType,
} from '../workflows/domain/webhooks';
import { DEFAULT_WEBHOOK_RETRY, nextRetryDelay, parseRetryAfter, type WebhookRetry } from '../workflows/domain/webhook-retry';
import { stepIds, type AuditEvent } from '../workflows/transition';
import type { Stores } from './store';
import type { DeliveryOutcome, Webhook } from './store/webhooks';
import { EgressRefused, postWebhook, type WebhookEgress } from './webhook-send';

const TIMEOUT_MS = 10_000;

/** A webhook reads records as a user of its company with no roles would. */
export const readerOf = (companyId: string): Actor => ({ kind: 'user', userId: 'webhook', companyId, roles: [] });

/** What a step raises webhooks from: its audit event, and where the instance stands after it. */
export interface WebhookSource {
  event: AuditEvent;
  objectType: string;
  stage: string;
  companyId: string;
  partnerCompanyId?: string;
  /** The step left the instance finished. */
  finished?: boolean;
}

/**
 * The webhooks the step's events go to: read from what the step is, not from
 * what it writes, so it may run beside the writes. The common case, a step no
 * webhook listens to, costs one read of the revision tokens (the active
 * webhooks are held per process; none for steps that raise no event).
 */
export async function webhooksFor(stores: Stores, source: WebhookSource): Promise<Webhook[]> {
  const types = webhookEventTypes(source.event, source.objectType, source.finished);
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
  const types = webhookEventTypes(event, source.objectType, source.finished);
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
            sequence: stepIds(event.eventId).seq,
          },
        };
      });
  });
}

/** 408, 429 and 5xx are worth another try; any other answer outside 2xx is the receiver's final word (1.x's deliverWebhook only). */
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/** What one try came to: the receiver's answer (or why there was none). */
type Sent =
  | { ok: true; status: number }
  | { ok: false; status?: number; retryAfter?: string; problem: string; refused?: true };

/** One attempt of a delivery on the published schedule: what the workflow does next. */
export interface AttemptResult {
  status: DeliveryStatus;
  /** Wait this long (a workflow timer), then try again; absent: the delivery is over. */
  nextInMs?: number;
}

/**
 * Sends deliveries. `attemptWebhook` makes one try and says when the next is
 * due (the schedule, or the receiver's Retry-After), so the wait is a timer in
 * the delivery workflow; `deliverWebhook` is 1.x's, retried by Temporal, kept
 * for the runs that started under it.
 */
export function webhookActivities(stores: Stores, metrics?: Metrics, egress: WebhookEgress = { policy: STRICT_EGRESS }, retry: WebhookRetry = DEFAULT_WEBHOOK_RETRY) {
  async function outcome(delivery: WebhookDelivery, status: DeliveryStatus, attempts: number, extra: Partial<DeliveryOutcome> = {}) {
    const type: DeliveredEventType = delivery.payload.type;
    await stores.webhooks.recordOutcome({
      id: delivery.id, webhookId: delivery.webhookId, type, status, attempts, updatedAt: new Date().toISOString(), ...extra,
    });
    metrics?.webhookDeliveries.inc({ result: status });
  }

  async function load(ref: string | WebhookDelivery): Promise<WebhookDelivery> {
    // A step of this version put the payload in the outbox and passed its id; 1.0's passed the delivery.
    const delivery = typeof ref === 'string' ? await stores.webhooks.outboxed(ref) : ref;
    if (!delivery) throw ApplicationFailure.create({ type: WEBHOOK_REJECTED, message: `delivery ${String(ref)} is not in the outbox`, nonRetryable: true });
    return delivery;
  }

  async function send(hook: Webhook & { secrets: string[] }, delivery: WebhookDelivery): Promise<Sent> {
    const timestamp = Math.floor(Date.now() / 1000);
    const standard = hook.scheme === 'standard-v1';
    const body = JSON.stringify(standard ? standardEnvelope(delivery.payload) : delivery.payload);
    // During a rotation's overlap, one signature per secret, space-separated: the receiver accepts any.
    const headers: Record<string, string> = standard
      ? {
          [STANDARD_WEBHOOK_HEADERS.id]: delivery.id,
          [STANDARD_WEBHOOK_HEADERS.timestamp]: String(timestamp),
          [STANDARD_WEBHOOK_HEADERS.signature]: hook.secrets.map((secret) => signStandardWebhook(secret, delivery.id, timestamp, body)).join(' '),
        }
      : {
          [WEBHOOK_HEADERS.eventId]: delivery.id,
          [WEBHOOK_HEADERS.timestamp]: String(timestamp),
          [WEBHOOK_HEADERS.signature]: hook.secrets.map((secret) => signWebhook(secret, timestamp, body)).join(' '),
        };
    try {
      const res = await postWebhook(egress, hook.url, { 'Content-Type': 'application/json', ...headers }, body, TIMEOUT_MS);
      if (res.ok) return { ok: true, status: res.status };
      const problem = `the receiver answered ${res.status}${res.status >= 300 && res.status < 400 ? ' (redirects are not followed)' : ''}`;
      return { ok: false, status: res.status, problem, ...(res.retryAfter !== undefined ? { retryAfter: res.retryAfter } : {}) };
    } catch (err) {
      // An internal address: refused for good, and nothing was sent.
      if (err instanceof EgressRefused) return { ok: false, problem: `refused: ${err.message}; ${ALLOW_HINT}`, refused: true };
      return { ok: false, problem: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
    }
  }

  return {
    async attemptWebhook(input: { delivery: string | WebhookDelivery; attempt: number }): Promise<AttemptResult> {
      const { attempt } = input;
      const delivery = await load(input.delivery);
      const hook = await stores.webhooks.forDelivery(delivery.webhookId);
      if (!hook?.active) {
        await outcome(delivery, 'skipped', attempt, { lastError: 'the webhook was disabled before delivery' });
        return { status: 'skipped' };
      }
      const sent = await send(hook, delivery);
      const nowMs = Date.now();
      const now = new Date(nowMs).toISOString();
      if (sent.ok) {
        if (hook.failingSince) await stores.webhooks.clearFailing(hook.id);
        await outcome(delivery, 'delivered', attempt, { lastStatus: sent.status, deliveredAt: now });
        return { status: 'delivered' };
      }
      const last = { ...(sent.status !== undefined ? { lastStatus: sent.status } : {}), lastError: sent.problem };
      if (sent.refused) {
        await outcome(delivery, 'failed', attempt, last);
        return { status: 'failed' };
      }
      // 410 Gone: the receiver says the endpoint is no more. Failing for days: nobody is listening.
      const failingFor = hook.failingSince ? nowMs - Date.parse(hook.failingSince) : 0;
      const disabledReason =
        sent.status === 410 ? 'the receiver answered 410 Gone'
        : failingFor >= retry.disableAfterMs ? `every delivery failed since ${hook.failingSince}` : undefined;
      if (disabledReason) {
        await stores.webhooks.disable(hook.companyId, hook.id, now, disabledReason);
        await outcome(delivery, 'failed', attempt, { ...last, lastError: `${sent.problem}; the webhook is disabled: ${disabledReason}` });
        return { status: 'failed' };
      }
      if (!hook.failingSince) await stores.webhooks.markFailing(hook.id, now);
      const nextInMs = nextRetryDelay(retry.schedule, attempt, parseRetryAfter(sent.retryAfter, nowMs));
      if (nextInMs === undefined) {
        await outcome(delivery, 'failed', attempt, last);
        return { status: 'failed' };
      }
      await outcome(delivery, 'retrying', attempt, { ...last, nextAttemptAt: new Date(nowMs + nextInMs).toISOString() });
      return { status: 'retrying', nextInMs };
    },

    async deliverWebhook(ref: string | WebhookDelivery): Promise<DeliveryStatus> {
      const { attempt, retryPolicy } = Context.current().info;
      const delivery = await load(ref);
      const hook = await stores.webhooks.forDelivery(delivery.webhookId);
      if (!hook?.active) {
        await outcome(delivery, 'skipped', attempt, { lastError: 'the webhook was disabled before delivery' });
        return 'skipped';
      }
      const sent = await send(hook, delivery);
      if (sent.ok) {
        await outcome(delivery, 'delivered', attempt, { lastStatus: sent.status, deliveredAt: new Date().toISOString() });
        return 'delivered';
      }
      if (sent.refused) {
        await outcome(delivery, 'failed', attempt, { lastError: sent.problem });
        throw ApplicationFailure.create({ type: WEBHOOK_REJECTED, message: sent.problem, nonRetryable: true });
      }
      const final = sent.status !== undefined && !retryable(sent.status);
      const exhausted = retryPolicy?.maximumAttempts !== undefined && attempt >= retryPolicy.maximumAttempts;
      await outcome(delivery, final || exhausted ? 'failed' : 'retrying', attempt, { lastStatus: sent.status, lastError: sent.problem });
      if (final) throw ApplicationFailure.create({ type: WEBHOOK_REJECTED, message: sent.problem, nonRetryable: true });
      throw ApplicationFailure.create({ type: 'WebhookDeliveryFailed', message: sent.problem });
    },
  };
}
