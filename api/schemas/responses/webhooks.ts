import { z } from 'zod';
import { WEBHOOK_TEST_EVENT } from '../../../workflows/domain/webhooks';
import { WebhookEventType } from './setup';
import { isoTime, pageOf } from './shared';

/** What the delivery log and the event feed answer: activities/store/webhooks.ts and event-feed.ts. */

const COMPANY = 'cmp_Hq2v8Rk1Xa4Z';
const WEBHOOK = 'whk_b7Kq1sPz0c2N';
const DELIVERY = `ins_6fQz2Lw9Rk1P:3:${WEBHOOK}:stage.entered`;

const DeliveryStatus = z.enum(['delivered', 'retrying', 'failed', 'skipped']).meta({ id: 'DeliveryStatus' });
const DeliveredType = z.union([WebhookEventType, z.literal(WEBHOOK_TEST_EVENT)]);

export const DeliveryAttempt = z
  .object({
    at: isoTime,
    status: DeliveryStatus,
    responseCode: z.number().int().optional().meta({ description: "the receiver's HTTP status, when it answered" }),
    error: z.string().optional(),
    nextAttemptAt: isoTime.optional(),
  })
  .meta({ id: 'DeliveryAttempt', examples: [{ at: '2026-12-07T09:30:00.000Z', status: 'retrying', responseCode: 503, error: 'the receiver answered 503', nextAttemptAt: '2026-12-07T09:30:30.000Z' }] });

const deliveryExample = {
  id: DELIVERY, webhookId: WEBHOOK, type: 'stage.entered', status: 'delivered', attempts: 2, lastStatus: 204,
  deliveredAt: '2026-12-07T09:30:31.000Z', updatedAt: '2026-12-07T09:30:31.000Z', createdAt: '2026-12-07T09:30:00.000Z',
  log: [
    { at: '2026-12-07T09:30:00.000Z', status: 'retrying', responseCode: 503, error: 'the receiver answered 503', nextAttemptAt: '2026-12-07T09:30:30.000Z' },
    { at: '2026-12-07T09:30:31.000Z', status: 'delivered', responseCode: 204 },
  ],
} as const;

export const Delivery = z
  .object({
    id: z.string().meta({ description: 'the delivery id, `<eventId>:<webhookId>:<type>`: what the receiver dedups by' }),
    webhookId: z.string(),
    type: DeliveredType,
    status: DeliveryStatus,
    attempts: z.number().int().meta({ description: 'every try, redeliveries included' }),
    lastStatus: z.number().int().optional().meta({ description: "the receiver's HTTP status on the latest try, when it answered" }),
    lastError: z.string().optional(),
    deliveredAt: isoTime.optional(),
    nextAttemptAt: isoTime.optional().meta({ description: 'when it is tried again, while retrying' }),
    updatedAt: isoTime,
    createdAt: isoTime.optional().meta({ description: "when it was first tried: the log's order" }),
    log: z.array(DeliveryAttempt).optional().meta({ description: 'every try, oldest first' }),
  })
  .meta({ id: 'Delivery', description: "One delivery of a webhook's log, with every try it had.", examples: [deliveryExample] });
export const DeliveryPage = pageOf(Delivery, 'DeliveryPage', deliveryExample);

export const Redelivery = z
  .object({ deliveryId: z.string(), webhookId: z.string(), status: z.literal('redelivering') })
  .meta({ id: 'Redelivery', description: 'The redelivery, started: its try shows in the delivery log.', examples: [{ deliveryId: DELIVERY, webhookId: WEBHOOK, status: 'redelivering' }] });

export const TestDelivery = z
  .object({ deliveryId: z.string(), webhookId: z.string(), type: z.literal(WEBHOOK_TEST_EVENT), status: z.literal('sending') })
  .meta({
    id: 'TestDelivery',
    description: 'The test delivery, started: its id is in the delivery log.',
    examples: [{ deliveryId: `evt_test_T4kP9zQ2mV7x:${WEBHOOK}:webhook.test`, webhookId: WEBHOOK, type: WEBHOOK_TEST_EVENT, status: 'sending' }],
  });

const eventExample = {
  id: 'ins_6fQz2Lw9Rk1P:3:stage.entered', type: 'stage.entered', occurredAt: '2026-12-07T09:30:00.000Z', pipelineKey: 'deals', instanceId: 'ins_6fQz2Lw9Rk1P',
  stage: { from: 'qualify', to: 'proposal' }, actor: { userId: 'usr_Tn3c0Wd9Lp2M', companyId: COMPANY },
  record: { id: 'rec_9t4Vx2Qm1L', type: 'opportunity', version: 4, fields: { title: 'Roof repair', amount: 12000, stage: 'proposal' } }, sequence: 3,
} as const;

/** The payload as a webhook gets it, its id without the webhook's: its other fields depend on its type. */
export const WebhookEvent = z
  .looseObject({ id: z.string().meta({ description: 'the event id: the delivery id without the webhook' }), type: z.string(), occurredAt: isoTime })
  .meta({ id: 'WebhookEvent', description: 'A webhook event as its webhooks got it; its other fields are those of its type.', examples: [eventExample] });

export const EventPage = z
  .object({
    items: z.array(WebhookEvent),
    nextCursor: z.string().nullable().meta({ description: 'send as after for the next page; given on the last page too (poll it); null only before any event' }),
    more: z.boolean().meta({ description: 'whether more events are already there' }),
  })
  .meta({ id: 'EventPage', examples: [{ items: [eventExample], nextCursor: 'eyJxIjp7fSwiYXQiOlsiY21wX0hxMnY4UmsxWGE0WnwyMDI2LTEyLTA3In1d', more: false }] });
