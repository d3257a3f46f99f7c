import type { Response } from 'express';
import { z } from 'zod';

/**
 * One Instance shape (issue 34): lists and a record's `instances` answered
 * `stage` as a string while the detail answers `{ key, name, type, winRate }`.
 * For this release the old form stays the default and is marked deprecated
 * (RFC 9745, as `offset` is); `shape=instance` asks for the one shape, and
 * 1.2 makes it the default.
 */
export const InstanceShape = z
  .enum(['instance', 'summary'], { error: 'shape is instance (the Instance shape) or summary (the deprecated form with stage as a string)' })
  .meta({
    description:
      'instance: instances in the Instance shape (stage as { key, name, type, winRate }); summary, the default in this release: the deprecated ' +
      'form with stage as a string, answered with Deprecation and Link rel="deprecation". 1.2 makes instance the default.',
  });
export type InstanceShape = z.infer<typeof InstanceShape>;

/** The same date as offset's: both are deprecated by release 1.1 (api/cursor.ts). */
export const SUMMARY_DEPRECATED_AT = '@1796601600'; // 2026-12-07, release 1.1

/** Where the deprecation is explained: the operation in the served documentation, which every deployment has. */
const EXPLAINED_AT = { listInstances: '/docs#/instances/listInstances', getRecord: '/docs#/records/getRecord' } as const;

export const answersSummary = (shape: InstanceShape | undefined): boolean => shape !== 'instance';

/** Marks an answer in the old form: `Deprecation` and `Link: <…>; rel="deprecation"`. */
export function markSummaryDeprecated(res: Response, operation: keyof typeof EXPLAINED_AT): void {
  res.set('Deprecation', SUMMARY_DEPRECATED_AT);
  res.append('Link', `<${EXPLAINED_AT[operation]}>; rel="deprecation"; type="text/html"`);
}
