import { z } from 'zod';
import { id, key } from './common';
import { Fields, Page } from './records';

export const StartBody = z.strictObject({
  pipelineKey: key,
  recordId: id,
});

export const MoveBody = z.strictObject({
  to: key,
  fields: Fields.optional(),
  reason: z.string().trim().min(1).max(2_000).optional(),
});

export const CompleteTaskBody = z.strictObject({
  fields: Fields.optional(),
});

export const CancelBody = z.strictObject({
  reason: z.string().trim().min(1).max(2_000),
});

export const InstanceListQuery = Page.extend({
  pipelineKey: key.optional(),
  stage: key.optional(),
  status: z.enum(['running', 'finished', 'cancelled']).optional(),
});

export const ReactivateBody = z.strictObject({
  /** The stage to reopen in; by default the last working stage before the outcome. */
  to: key.optional(),
  reason: z.string().trim().min(1).max(2_000).optional(),
});

export const ForecastQuery = z.strictObject({ pipelineKey: key, ownerId: id.optional() });
