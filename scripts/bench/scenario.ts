import type { Say } from './load';
import type { BenchStack } from './stack';
import { ratio } from './stats';

/** What a figure must reach: Propeller ÷ baseline at least (throughput) or at most (latency, time) the value. */
export interface Target {
  op: '>=' | '<=';
  value: number;
}

/** One comparison: a figure of Propeller's beside the same figure of its baseline. */
export interface Row {
  metric: string;
  unit: string;
  /** The N this figure used. */
  n: number;
  propeller: number;
  baseline: number;
  /** Propeller ÷ baseline. */
  ratio: number;
  /** Column names when the pair is not "Propeller" and "bare Temporal" (the backend scenario). */
  labels?: [string, string];
  target?: Target;
  /** A bar on Propeller's own figure, not on the ratio (commands per lifecycle, history bytes). */
  bound?: Target;
  met?: boolean;
}

export interface ScenarioResult {
  scenario: string;
  n: number;
  settings: Record<string, string | number | boolean>;
  rows: Row[];
  /** Figures and checks that are not comparisons (lateness, history lengths, failures). */
  facts: Record<string, string | number | boolean>;
  notes: string[];
  /** Tables of their own under the scenario's facts (a CPU profile's top functions). */
  tables?: Array<{ title: string; columns: string[]; rows: Array<Array<string | number>> }>;
  elapsedS: number;
  /** Set when the scenario failed or could not run; rows may then be empty. */
  error?: string;
  skipped?: string;
}

/** What a scenario's run answers; the runner adds its name and duration. */
export type ScenarioOutcome = Omit<ScenarioResult, 'scenario' | 'elapsedS'>;

export interface ScenarioContext {
  stack: BenchStack;
  n: number;
  say: Say;
}

export interface Scenario {
  name: string;
  /** One line for the README and the table. */
  description: string;
  /** The default N (sized so `npm run bench` fits in ~15 minutes on 2 cores), the N (--full), a smoke-test N. */
  defaultN: number;
  fullN: number;
  smokeN: number;
  run(ctx: ScenarioContext): Promise<ScenarioOutcome>;
}

export function row(
  metric: string,
  unit: string,
  n: number,
  propeller: number,
  baseline: number,
  extra: { target?: Target; bound?: Target; labels?: [string, string] } = {},
): Row {
  const r = ratio(propeller, baseline);
  const holds = (t: Target, v: number) => (t.op === '>=' ? v >= t.value : v <= t.value);
  const checks = [
    ...(extra.target && Number.isFinite(r) ? [holds(extra.target, r)] : []),
    ...(extra.bound ? [holds(extra.bound, propeller)] : []),
  ];
  const met = checks.length ? checks.every(Boolean) : undefined;
  return { metric, unit, n, propeller, baseline, ratio: r, ...extra, ...(met === undefined ? {} : { met }) };
}

/** A few untimed iterations before measuring: JIT, connection pools, the worker's caches. */
export const warmupCount = (n: number) => Math.max(1, Math.min(16, Math.ceil(n / 10)));
