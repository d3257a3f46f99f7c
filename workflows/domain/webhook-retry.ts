/**
 * When a failed webhook delivery is tried again. Pure (no clock: times are
 * passed in), shared by the delivery activity, which decides, and the docs.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * The published schedule: the wait before each try, the first sent at once.
 * Eight tries over about 27 hours; after the last, the delivery has failed.
 */
export const WEBHOOK_RETRY_SCHEDULE_MS: readonly number[] = Object.freeze([0, 5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR]);

/** An endpoint whose deliveries have failed without a success in between for this long is disabled. */
export const WEBHOOK_DISABLE_AFTER_DAYS = 5;
export const WEBHOOK_DISABLE_AFTER_MS = WEBHOOK_DISABLE_AFTER_DAYS * DAY;

export interface WebhookRetry {
  /** The wait before each try; `schedule[0]` is the first try's (0: at once). */
  schedule: readonly number[];
  /** Failing with no success for this long disables the endpoint. */
  disableAfterMs: number;
}

export const DEFAULT_WEBHOOK_RETRY: WebhookRetry = Object.freeze({ schedule: WEBHOOK_RETRY_SCHEDULE_MS, disableAfterMs: WEBHOOK_DISABLE_AFTER_MS });

/**
 * A `Retry-After` header as milliseconds from `nowMs`: delta-seconds or an
 * HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable.
 */
export function parseRetryAfter(header: string | undefined, nowMs: number): number | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * SECOND;
  if (!/[a-z]/i.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * The wait before the try after try `attempt` (1-based) failed, or undefined
 * when it was the last. The receiver's Retry-After may push it later, never
 * past the schedule's largest step.
 */
export function nextRetryDelay(schedule: readonly number[], attempt: number, retryAfterMs?: number): number | undefined {
  const step = schedule[attempt];
  if (step === undefined) return undefined;
  const cap = Math.max(...schedule);
  return Math.min(cap, Math.max(step, retryAfterMs ?? 0));
}
