/** Small, dependency-free statistics for the benchmark: percentiles, rates and ratios. */

export interface LatencySummary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** The p-th percentile (0–100) of the values, by linear interpolation between closest ranks. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (Math.min(Math.max(p, 0), 100) / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

export function summarize(values: readonly number[]): LatencySummary {
  const n = values.length;
  return {
    n,
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    max: n ? Math.max(...values) : NaN,
    mean: n ? values.reduce((a, b) => a + b, 0) / n : NaN,
  };
}

/** Operations per second. */
export function rate(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (count * 1000) / elapsedMs : NaN;
}

/** Propeller ÷ baseline (NaN when the baseline is zero or missing). */
export function ratio(value: number, baseline: number): number {
  return Number.isFinite(value) && Number.isFinite(baseline) && baseline !== 0 ? value / baseline : NaN;
}

/** Rounds to a few significant digits for tables and JSON (keeps integers as they are). */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0 || Number.isInteger(value)) return value;
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const factor = 10 ** Math.max(0, digits - 1 - magnitude);
  return Math.round(value * factor) / factor;
}

/** A monotonic clock in milliseconds. */
export const nowMs = (): number => performance.now();

/** Times an async call: its result and how long it took, in ms. */
export async function timed<T>(call: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = nowMs();
  const value = await call();
  return { value, ms: nowMs() - start };
}
