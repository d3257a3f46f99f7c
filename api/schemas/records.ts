import { z } from 'zod';
import { PageQuery } from '../cursor';
import { InstanceShape } from '../instance-shape';
import { FilterBody } from './pipeline';
import { fieldName, id, instant, jsonValue, key } from './common';

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

/** A record list: its page, and what it may be narrowed by. */
export const RecordListQuery = PageQuery.extend({
  ownerId: id.optional().meta({ description: 'records this user owns' }),
  partnerCompanyId: id.optional().meta({ description: 'records sent to this partner company' }),
  updatedAfter: instant
    .optional()
    .meta({ description: 'records changed after this time, oldest change first: a sync that pages on never skips a record changed meanwhile (it comes again)' }),
});
export type RecordListParams = z.infer<typeof RecordListQuery>;

/** How a record's `instances` are written. Not strict: this read took no query before, and other parameters stay ignored. */
export const RecordGetQuery = z.object({ shape: InstanceShape.optional() });

/** A search: the pipelines' filter language over the records of a type the caller may see, newest first. */
export const RecordSearchBody = z.strictObject({
  filter: FilterBody,
  limit: z.number().int().min(1).max(100).optional(),
  cursor: z.string().min(1).max(2_000).optional(),
});
export type RecordSearch = z.infer<typeof RecordSearchBody>;
