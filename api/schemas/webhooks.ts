import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES, WEBHOOK_SCHEMES } from '../../workflows/domain/webhooks';
import { PageQuery } from '../cursor';
import { id, instant } from './common';

/** Only http and https: a webhook is a POST to a web endpoint, never a file, FTP or script URL. */
const endpoint = z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).max(2000);

const events = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length)
  .refine((list) => new Set(list).size === list.length, 'each event type once');

/** `scheme`: how deliveries are signed and shaped (propeller-v1 unless asked; standard-v1: Standard Webhooks). */
export const WebhookBody = z.strictObject({ companyId: id, url: endpoint, events, scheme: z.enum(WEBHOOK_SCHEMES).optional() });

/** A change of where a webhook is sent, of what it hears, or whether it is on; the company and the secret stay. */
export const WebhookPatch = z
  .strictObject({ url: endpoint.optional(), events: events.optional(), active: z.boolean().optional() })
  .refine((patch) => patch.url !== undefined || patch.events !== undefined || patch.active !== undefined, 'send url, events, active or several');

/** A webhook's delivery log: by status, and by when each delivery was first tried (`since` inclusive, `until` exclusive). */
export const DeliveryQuery = PageQuery.extend({
  status: z.enum(['delivered', 'retrying', 'failed', 'skipped']).optional(),
  since: instant.optional(),
  until: instant.optional(),
}).refine((q) => q.since === undefined || q.until === undefined || Date.parse(q.since) < Date.parse(q.until), { message: 'since must be before until', path: ['until'] });

/** Redelivery takes no body. */
export const RedeliverBody = z.strictObject({});

/** The event feed: `after`, the `nextCursor` of the page before (none: from the oldest kept). */
export const EventFeedQuery = z.strictObject({
  after: z.string().min(1).max(2_000).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

/** Rotating a secret and sending a test event take no body. */
export const RotateSecretBody = z.strictObject({});
export const TestEventBody = z.strictObject({});
