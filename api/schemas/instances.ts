import { z } from 'zod';
import { id, instant, key } from './common';
import { PageQuery } from '../cursor';
import { InstanceShape } from '../instance-shape';
import { Fields } from './records';

export const StartBody = z.strictObject({
  pipelineKey: key,
  recordId: id,
});

export const MoveBody = z.strictObject({
  to: key,
  fields: Fields.optional(),
  reason: z.string().trim().min(1).max(2_000).optional(),
});

/** The record a create_record task creates: its type, company, owner, partner and contact come from the instance's record. */
export const TaskRecordBody = z
  .strictObject({ fields: Fields.default({}) })
  .meta({
    description:
      "Creates the task's record (of the task's recordType) in the step that completes the task. It gets the instance " +
      "record's company, owner, partner company and contact, and a back link `<objectType>Id` (e.g. opportunityId) to it; " +
      "its id lands in the task's link field, and its own pipelines start. The fields are checked as POST /v1/records/:type checks them.",
  });

/**
 * An edit_fields task sends its fields; a create_record task either links an existing record in its
 * link field or creates one with `record`: a create_record task takes no other field, so `record`
 * comes with no fields at all.
 */
export const CompleteTaskBody = z
  .strictObject({
    fields: Fields.optional().meta({
      description:
        "The fields an edit_fields task names; for a create_record task, its link field holding the id of an existing record of the task's type that the caller may see.",
    }),
    record: TaskRecordBody.optional(),
  })
  .refine((b) => b.record === undefined || Object.keys(b.fields ?? {}).length === 0, {
    message: 'give either fields.<linkField> (link an existing record) or record (create one), not both',
    path: ['record'],
  })
  .meta({
    description:
      'An edit_fields task: { fields } with the fields it names. A create_record task: { fields: { <linkField>: <id> } } links an ' +
      "existing record (422 linked_record_not_found when none by that id is visible to the caller, 422 wrong_record_type when it is " +
      "not of the task's recordType), or { record: { fields } } creates one (422 not_a_create_record_task on any other task, " +
      '422 stage_field when a field follows a pipeline of the new record).',
  });

export const CancelBody = z.strictObject({
  reason: z.string().trim().min(1).max(2_000),
});

export const InstanceListQuery = PageQuery.extend({
  pipelineKey: key.optional(),
  stage: key.optional(),
  status: z.enum(['running', 'finished', 'cancelled']).optional(),
  recordId: id.optional().meta({ description: "the instances of this record" }),
  partnerCompanyId: id.optional().meta({ description: 'instances whose record is sent to this partner company' }),
  deadlineBefore: instant
    .optional()
    .meta({ description: "instances whose stage deadline falls before this time (the leads about to expire)" }),
  sort: z.enum(['id', 'updatedAt']).optional().meta({ description: 'id (the default): a stable order; updatedAt: oldest change first, for a sync (an instance moved while paging comes again, never skipped)' }),
  shape: InstanceShape.optional(),
});
export type InstanceListParams = z.infer<typeof InstanceListQuery>;

export const ReactivateBody = z.strictObject({
  /** The stage to reopen in; by default the last working stage before the outcome. */
  to: key.optional(),
  reason: z.string().trim().min(1).max(2_000).optional(),
});

export const ForecastQuery = z.strictObject({ pipelineKey: key, ownerId: id.optional() });

export const BoardQuery = z.strictObject({
  ownerId: id.optional().meta({ description: 'the instances of records this user owns' }),
  partnerCompanyId: id.optional().meta({ description: 'the instances of records sent to this partner company' }),
});

/** A year and a day at most: what one answer reads stays bounded. */
export const MAX_ANALYTICS_DAYS = 366;
const DAY_MS = 86_400_000;

/** `from` defaults to 30 days before `to`, `to` to now. */
export const AnalyticsParams = z.strictObject({ from: z.iso.datetime({ offset: true }).optional(), to: z.iso.datetime({ offset: true }).optional() });

export const AnalyticsQuery = AnalyticsParams
  .transform(({ from, to }) => {
    const end = to ? new Date(to) : new Date();
    const start = from ? new Date(from) : new Date(end.getTime() - 30 * DAY_MS);
    return { from: start.toISOString(), to: end.toISOString() };
  })
  .refine((w) => Date.parse(w.from) < Date.parse(w.to), { message: '`from` must be before `to`', path: ['from'] })
  .refine((w) => Date.parse(w.to) - Date.parse(w.from) <= MAX_ANALYTICS_DAYS * DAY_MS, { message: `the window is at most ${MAX_ANALYTICS_DAYS} days`, path: ['to'] });
