import { z } from 'zod';
import { key } from './common';
import { AnalyticsParams, AnalyticsQuery } from './instances';

/** The window of the pipeline's analytics (same defaults and limits), and which Partner lead pipeline. */
export const ScorecardParams = AnalyticsParams.extend({ pipelineKey: key.optional() });

export const ScorecardQuery = ScorecardParams.transform(({ pipelineKey, ...window }, ctx) => {
  const parsed = AnalyticsQuery.safeParse(window);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  }
  return { pipelineKey: pipelineKey ?? 'partner-lead', window: parsed.data };
});
