import { ParentClosePolicy, patched, proxyActivities, sleep, startChild, WorkflowIdReusePolicy } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { PipelineActivities } from './activity-contract';
import { WEBHOOK_REJECTED, type WebhookDelivery } from './domain/webhooks';

/** 1.x: about 15 minutes of tries, 1 s, 2 s, 4 s … then every minute; kept for the runs that started so. */
const { deliverWebhook } = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    maximumAttempts: 20,
    nonRetryableErrorTypes: [WEBHOOK_REJECTED],
  },
});

/**
 * One try each: a receiver's answer is the activity's result, never its
 * failure, so Temporal retries only what broke on our side (the database).
 */
const { attemptWebhook } = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 30, nonRetryableErrorTypes: [WEBHOOK_REJECTED] },
});

/** The published schedule (domain/webhook-retry.ts): the wait between tries is a durable timer here, not a sleep in a worker. */
export const WEBHOOK_SCHEDULE_PATCH = 'webhook-retry-schedule';

async function onSchedule(delivery: string | WebhookDelivery): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const tried = await attemptWebhook({ delivery, attempt });
    if (tried.nextInMs === undefined) return tried.status;
    await sleep(tried.nextInMs);
  }
}

export interface WebhookDeliveriesInput {
  eventId: string;
  /** The outbox ids of the step's deliveries (whole deliveries from steps that 1.0 wrote). */
  deliveries: Array<string | WebhookDelivery>;
}

export interface WebhookDeliveriesResult {
  delivered: number;
  skipped: number;
  failed: number;
}

/**
 * The webhook deliveries of one step, each retried on its own and in parallel:
 * a slow or failing receiver delays nobody else, neither the instance nor the
 * other receivers. A delivery that gives up is recorded (webhook_deliveries),
 * not rethrown: the step it reports on happened regardless. Each is tried on
 * the published schedule, about a day (domain/webhook-retry.ts).
 */
export async function webhookDeliveries(input: WebhookDeliveriesInput): Promise<WebhookDeliveriesResult> {
  const scheduled = patched(WEBHOOK_SCHEDULE_PATCH);
  const results = await Promise.allSettled(input.deliveries.map((delivery) => (scheduled ? onSchedule(delivery) : deliverWebhook(delivery))));
  const count = (status: string) => results.filter((r) => r.status === 'fulfilled' && r.value === status).length;
  return { delivered: count('delivered'), skipped: count('skipped'), failed: count('failed') + results.filter((r) => r.status === 'rejected').length };
}

export const webhookDeliveriesWorkflowId = (eventId: string) => `webhooks:${eventId}`;

/**
 * Hands a step's deliveries to their own workflow, abandoned so that it outlives
 * the instance's run (continue-as-new, completion). Its id is the step's: a
 * replayed or retried step finds it started and starts nothing more. Only the
 * runs of 1.0 start it from the instance; a step of this version starts it
 * from its activity, with the outbox ids.
 */
export async function startWebhookDeliveries(eventId: string, deliveries: WebhookDelivery[]): Promise<void> {
  try {
    await startChild(webhookDeliveries, {
      workflowId: webhookDeliveriesWorkflowId(eventId),
      args: [{ eventId, deliveries }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
