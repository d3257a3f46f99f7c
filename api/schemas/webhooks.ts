import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '../../workflows/domain/webhooks';
import { id } from './common';

/** Only http and https: a webhook is a POST to a web endpoint, never a file, FTP or script URL. */
const endpoint = z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).max(2000);

export const WebhookBody = z.strictObject({
  companyId: id,
  url: endpoint,
  events: z
    .array(z.enum(WEBHOOK_EVENT_TYPES))
    .min(1)
    .max(WEBHOOK_EVENT_TYPES.length)
    .refine((events) => new Set(events).size === events.length, 'each event type once'),
});
