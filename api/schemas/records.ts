import { z } from 'zod';
import { fieldName, id, jsonValue, key } from './common';

/** Field values by name; at most 200 fields per request. */
export const Fields = z.record(fieldName, jsonValue).refine((f) => Object.keys(f).length <= 200, 'at most 200 fields');

/** Owner, company, stage, version and archived are never set through a record body. */
export const RecordCreateBody = z.strictObject({
  fields: Fields.default({}),
  ownerId: id.optional(),
  contactId: id.optional(),
  partnerCompanyId: id.optional(),
});

export const RecordPatchBody = z.strictObject({
  fields: Fields,
  /** Optimistic concurrency; the If-Match header does the same. */
  version: z.number().int().min(1).optional(),
});

export const ObjectTypeParam = key;

export const Page = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
});
