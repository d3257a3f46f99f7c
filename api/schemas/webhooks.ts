import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '../../workflows/domain/webhooks';
import { id } from './common';

/** Only http and https: a webhook is a POST to a web endpoint, never a file, FTP or script URL. */
const endpoint = z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).max(2000);

const events = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length)
  .refine((list) => new Set(list).size === list.length, 'each event type once');

export const WebhookBody = z.strictObject({ companyId: id, url: endpoint, events });

/** A change of where a webhook is sent, or of what it hears; the company and the secret stay. */
export const WebhookPatch = z
  .strictObject({ url: endpoint.optional(), events: events.optional() })
  .refine((patch) => patch.url !== undefined || patch.events !== undefined, 'send url, events or both');
