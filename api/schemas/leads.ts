import { z } from 'zod';
import { id } from './common';
import { Fields } from './records';

const reason = z.string().trim().min(1).max(2_000);

export const DeclineBody = z.strictObject({ reason });
export const CloseBody = z.strictObject({ reason });
export const ReassignBody = z.strictObject({ partnerCompanyId: id });
export const ExpirationBody = z.strictObject({ expiresAt: z.iso.datetime({ offset: true }) });
export const EmptyBody = z.strictObject({});

/** Link an opportunity the partner can see, or create one from the lead: exactly one of the two. */
export const ConvertBody = z
  .strictObject({
    opportunityId: id.optional(),
    opportunity: z.strictObject({ fields: Fields.default({}) }).optional(),
  })
  .refine((b) => (b.opportunityId === undefined) !== (b.opportunity === undefined), {
    message: 'give either opportunityId (link an existing opportunity) or opportunity (create one from the lead)',
  });
