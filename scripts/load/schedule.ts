import * as hdr from 'hdr-histogram-js';
import { nowMs } from '../bench/stats';

/** One request's answer: its HTTP status (0: no answer in time, or a network error) and its latency from its intended send time. */
export interface Answer {
  status: number;
  ms: number;
  /** The API's error code, when it gave one (`overloaded`, `rate_limited`, `timeout`). */
  code?: string;
}

/** What one side did in one step: latencies in an HDR histogram (1 µs to 10 min, 3 significant digits), answers by status. */
export class StepRecord {
  readonly histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
  readonly byStatus: Record<string, number> = {};
  maxMs = 0;
  arrivals = 0;
  /** How late the loader itself sent arrivals (its own event loop), worst case. */
  maxSendLagMs = 0;

  add(a: Answer): void {
    this.histogram.recordValue(Math.max(1, Math.round(a.ms * 1000)));
    // An error answer is counted with its code (503 overloaded, 503 temporal_timeout, 429 rate_limited).
    const key = a.status >= 400 && a.code ? `${a.status} ${a.code}` : String(a.status);
    this.byStatus[key] = (this.byStatus[key] ?? 0) + 1;
    this.maxMs = Math.max(this.maxMs, a.ms);
  }

  /** Errors by the capacity rule: 5xx, 429, no answer; a 4xx is the loader's own mistake and counts too. */
  get errors(): number {
    return Object.entries(this.byStatus).reduce((n, [s, c]) => (/^2\d\d$/.test(s) ? n : n + c), 0);
  }

  get requests(): number {
    return Object.values(this.byStatus).reduce((a, b) => a + b, 0);
  }

  percentileMs(p: number): number {
    return this.requests ? this.histogram.getValueAtPercentile(p) / 1000 : NaN;
  }
}

/**
 * Open loop: arrival i is due at start + i / rate, and fires then whether or
 * not earlier ones have answered (no coordinated omission: `fire` measures from
 * `dueAt`, so a late loader or a slow server both show up as latency). Waits
 * for every arrival's answer (each request bounds itself) before it returns.
 */
export async function openLoop(ratePerS: number, durationMs: number, record: StepRecord, fire: (i: number, dueAt: number) => Promise<void>): Promise<void> {
  const start = nowMs();
  const total = Math.max(1, Math.round((ratePerS * durationMs) / 1000));
  const pending: Array<Promise<void>> = [];
  let i = 0;
  while (i < total) {
    const now = nowMs();
    while (i < total && start + (i * 1000) / ratePerS <= now) {
      const dueAt = start + (i * 1000) / ratePerS;
      record.maxSendLagMs = Math.max(record.maxSendLagMs, now - dueAt);
      record.arrivals++;
      pending.push(fire(i, dueAt).catch(() => undefined));
      i++;
    }
    if (i < total) await new Promise((r) => setTimeout(r, Math.max(0, start + (i * 1000) / ratePerS - nowMs())));
  }
  await Promise.all(pending);
}
