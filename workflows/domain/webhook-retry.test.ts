import { DEFAULT_WEBHOOK_RETRY, nextRetryDelay, parseRetryAfter, WEBHOOK_RETRY_SCHEDULE_MS } from './webhook-retry';

const S = 1000;
const H = 3600 * S;
const NOW = Date.parse('2026-12-08T00:00:00Z');

describe('the webhook retry schedule', () => {
  it('is the published one: 0, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; about a day in all; 5 days of failing disables', () => {
    expect(WEBHOOK_RETRY_SCHEDULE_MS).toEqual([0, 5 * S, 300 * S, 1800 * S, 2 * H, 5 * H, 10 * H, 10 * H]);
    const total = WEBHOOK_RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(24 * H);
    expect(total).toBeLessThan(28 * H);
    expect(DEFAULT_WEBHOOK_RETRY.disableAfterMs).toBe(5 * 24 * H);
  });

  it.each([
    ['after the 1st try', 1, undefined, 5 * S],
    ['after the 4th try', 4, undefined, 2 * H],
    ['after the 7th try', 7, undefined, 10 * H],
    ['after the last try: none', 8, undefined, undefined],
    ['a Retry-After later than the step wins', 1, 60 * S, 60 * S],
    ['a Retry-After sooner than the step loses', 4, 60 * S, 2 * H],
    ['a Retry-After past the largest step is capped', 2, 48 * H, 10 * H],
  ])('%s', (_name, attempt, retryAfter, expected) => {
    expect(nextRetryDelay(WEBHOOK_RETRY_SCHEDULE_MS, attempt, retryAfter)).toBe(expected);
  });

  it.each([
    ['seconds', '120', 120 * S],
    ['zero', '0', 0],
    ['an HTTP date', 'Tue, 08 Dec 2026 00:10:00 GMT', 600 * S],
    ['a date in the past', 'Mon, 07 Dec 2026 00:00:00 GMT', 0],
    ['absent', undefined, undefined],
    ['garbage', 'soon', undefined],
    ['a negative number', '-5', undefined],
    ['a bare number with a fraction', '1.5', undefined],
  ])('Retry-After as %s', (_name, header, expected) => {
    expect(parseRetryAfter(header, NOW)).toBe(expected);
  });
});
