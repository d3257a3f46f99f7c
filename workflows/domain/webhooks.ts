/**
 * Which webhook events a step of an instance raises, and what a delivery
 * carries. Pure: the activity that records a step asks this which webhooks to
 * look up, and the workflow only passes the planned deliveries on.
 */

export const WEBHOOK_EVENT_TYPES = [
  'stage.entered',
  'deadline.fired',
  'deadline.approaching',
  'task.completed',
  'lead.accepted',
  'lead.declined',
  'lead.converted',
  'security.api_key_issued',
  'instance.finished',
  'record.created',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Steps that put the instance into a stage (`to`). */
const ENTERING_KINDS: readonly string[] = Object.freeze(['started', 'moved', 'deadline_fired', 'auto_advanced']);

/** Stage keys of the partner lead program (workflows/domain/templates/partner-lead.ts) that partners follow. */
const LEAD_OUTCOMES: Record<string, WebhookEventType> = {
  accepted: 'lead.accepted',
  declined: 'lead.declined',
  closed_converted: 'lead.converted',
};

/**
 * The event types of one step, from its audit event, the pipeline's object
 * type and whether the step left the instance finished (it entered a final
 * stage); [] for most non-moves.
 */
export function webhookEventTypes(event: { kind: string; to?: string }, objectType: string, finished = false): WebhookEventType[] {
  const types: WebhookEventType[] = [];
  const entered = ENTERING_KINDS.includes(event.kind) && event.to !== undefined;
  if (entered) types.push('stage.entered');
  if (event.kind === 'deadline_fired') types.push('deadline.fired');
  if (event.kind === 'deadline_approaching') types.push('deadline.approaching');
  if (event.kind === 'task_completed') types.push('task.completed');
  const outcome = entered && objectType === 'lead' ? LEAD_OUTCOMES[event.to!] : undefined;
  if (outcome) types.push(outcome);
  if (entered && finished) types.push('instance.finished');
  return types;
}

/** What a deadline.approaching payload says of its deadline, from the reminder's audit event details. */
export function approachingDeadline(details: Record<string, unknown> | undefined): WebhookPayload['deadline'] {
  const { deadlineAt, to, before } = details ?? {};
  return typeof deadlineAt === 'string' && typeof to === 'string' && typeof before === 'string' ? { at: deadlineAt, to, before } : undefined;
}

/** The failure type of a delivery the receiver refused for good (a 4xx other than 408 and 429): never retried. */
export const WEBHOOK_REJECTED = 'WebhookRejected';

/** A delivery's recorded state. The activity answers only `delivered` or `skipped`: otherwise it throws, so that Temporal retries it. */
export type DeliveryStatus = 'delivered' | 'retrying' | 'failed' | 'skipped';

/** The id a receiver dedups by: one per step, webhook and event type, the same on every retry. */
export const webhookDeliveryId = (eventId: string, webhookId: string, type: DeliveredEventType) => `${eventId}:${webhookId}:${type}`;

/** The JSON body a webhook receives. `record.fields` is the record as the webhook's company may see it. */
export interface WebhookPayload {
  id: string;
  type: WebhookEventType;
  occurredAt: string;
  pipelineKey: string;
  instanceId: string;
  stage: { from: string | null; to: string | null };
  actor: { userId: string; companyId: string | null };
  reason?: string;
  /** deadline.approaching: the deadline it comes before (`to`: where the instance goes then), and by how much. */
  deadline?: { at: string; to: string; before: string };
  record: { id: string; type: string; version: number; fields: Record<string, unknown> };
  /**
   * The step's number in its instance (1, 2, …, on across runs): deliveries are
   * at least once and not ordered, so a record's events are ordered by it.
   */
  sequence?: number;
}

/**
 * The body of a company's security notice (raised by the API, not by an
 * instance): an API key was issued for one of its users, by whom, and until when.
 */
export interface SecurityWebhookPayload {
  id: string;
  type: 'security.api_key_issued';
  occurredAt: string;
  companyId: string;
  actor: { userId: string; companyId: string; name: string | null };
  user: { userId: string; name: string | null };
  key: { id: string; prefix: string; expiresAt: string | null };
  /** The platform operator issued it for this company's user (break-glass). */
  breakGlass: boolean;
  reason: string | null;
}

/**
 * The body of `record.created`: raised once per record by whatever wrote it
 * (the API, an instance's step, a record trigger), not by a step of its own
 * instance. `sequence` is 0: it comes before the first step of any instance on
 * the record, which is 1.
 */
export interface RecordCreatedPayload {
  id: string;
  type: 'record.created';
  occurredAt: string;
  companyId: string;
  recordId: string;
  /** Who created it: the API's caller, or the actor of the step that wrote it. */
  actor: { userId: string; companyId: string | null };
  record: { id: string; type: string; version: number; fields: Record<string, unknown> };
  sequence: 0;
}

/** A record's one record.created event: its id follows from the record's, so whoever raises it again raises the same event. */
export const recordCreatedEventId = (recordId: string) => `record:${recordId}`;

/** What `POST /v1/webhooks/:id/test` sends: no subscription needed, delivered like any other. */
export const WEBHOOK_TEST_EVENT = 'webhook.test';

export interface TestWebhookPayload {
  id: string;
  type: typeof WEBHOOK_TEST_EVENT;
  occurredAt: string;
  companyId: string;
  webhookId: string;
  actor: { userId: string };
}

/** How an endpoint's deliveries are signed and shaped: Propeller's own (1.x) or Standard Webhooks. */
export const WEBHOOK_SCHEMES = ['propeller-v1', 'standard-v1'] as const;
export type WebhookScheme = (typeof WEBHOOK_SCHEMES)[number];

/** The Standard Webhooks body: a versioned envelope, the event's own fields under `data` with its `sequence`. */
export interface StandardEnvelope {
  id: string;
  type: string;
  timestamp: string;
  data: Record<string, unknown> & { sequence: number | null };
}

export function standardEnvelope(payload: WebhookDelivery['payload']): StandardEnvelope {
  const { id, type, occurredAt, ...rest } = payload as WebhookPayload;
  const sequence = (rest as { sequence?: number }).sequence ?? null;
  return { id, type, timestamp: occurredAt, data: { ...rest, sequence } };
}

/** Every type a delivery may carry: the subscribable ones and the test event. */
export type DeliveredEventType = WebhookEventType | typeof WEBHOOK_TEST_EVENT;

/** One delivery planned by the step that raised it; the secret and URL are read when it is sent. */
export interface WebhookDelivery {
  id: string;
  webhookId: string;
  payload: WebhookPayload | RecordCreatedPayload | SecurityWebhookPayload | TestWebhookPayload;
}
