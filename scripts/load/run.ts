import type { Say } from '../bench/load';
import { round } from '../bench/stats';
import { openLoop, StepRecord } from './schedule';
import type { LifecycleStep, Side } from './sides';
import { outcomeOf, type OverloadLedger, type Outcome } from './verify';

/** The capacity rule: p99 at most this, and no error at all. */
export const P99_BOUND_MS = 1_000;

export interface StepFigures {
  side: string;
  /** Offered lifecycles per second (moves arrive at `movesPerLifecycle` times that). */
  rate: number;
  seconds: number;
  arrivals: number;
  requests: number;
  byStatus: Record<string, number>;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  maxMs: number;
  maxSendLagMs: number;
  held: boolean;
}

export interface StepPlan {
  rate: number;
  seconds: number;
  movesPerLifecycle: number;
}

/**
 * One step on one side: lifecycles at `rate`/s and moves at `rate ×
 * movesPerLifecycle`/s, interleaved on one schedule (arrival k is a move
 * when k falls on a move's slot). `ledger` (overload) keeps every outcome.
 */
export async function runStep(side: Side, plan: StepPlan, ledger?: OverloadLedger, moves?: OverloadLedger['moves']): Promise<StepFigures> {
  const record = new StepRecord();
  const perCycle = 1 + plan.movesPerLifecycle;
  let lifecycles = 0;
  let moveCount = 0;
  await openLoop(plan.rate * perCycle, plan.seconds * 1000, record, (k, dueAt) => {
    if (k % perCycle !== 0) {
      return side.move(moveCount++, dueAt, (a, target) => {
        record.add(a);
        if (!moves) return;
        const o = moves.get(target) ?? { applied: 0, shed: 0, unknown: 0, refused: 0 };
        o[outcomeOf(a)]++;
        moves.set(target, o);
      });
    }
    const i = lifecycles++;
    return side.lifecycle(i, dueAt, (step: LifecycleStep, a, id) => {
      record.add(a);
      if (!ledger) return;
      const run = ledger.lifecycles.get(i) ?? { steps: {} as Partial<Record<LifecycleStep, Outcome>> };
      run.steps[step] = outcomeOf(a);
      if (id && step === 'create') run.id = id;
      ledger.lifecycles.set(i, run);
    });
  });
  const p99 = record.percentileMs(99);
  return {
    side: side.name,
    rate: plan.rate,
    seconds: plan.seconds,
    arrivals: record.arrivals,
    requests: record.requests,
    byStatus: record.byStatus,
    errors: record.errors,
    p50: round(record.percentileMs(50)),
    p90: round(record.percentileMs(90)),
    p99: round(p99),
    maxMs: round(record.maxMs),
    maxSendLagMs: round(record.maxSendLagMs),
    held: record.errors === 0 && p99 <= P99_BOUND_MS,
  };
}

/**
 * Steps the rate up (×factor each step) on every side in turn, the side that
 * goes first alternating, until each side has missed a step (or `maxSteps`).
 * A side's capacity is the highest rate it held.
 */
export async function ramp(sides: Side[], rates: number[], plan: Omit<StepPlan, 'rate'>, say: Say, moves?: OverloadLedger['moves']) {
  const steps: StepFigures[] = [];
  const alive = new Set(sides.map((s) => s.name));
  for (const [n, rate] of rates.entries()) {
    const order = n % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      if (!alive.has(side.name)) continue;
      say(`${side.name}: ${rate} lifecycles/s (+ ${round(rate * plan.movesPerLifecycle)} moves/s) for ${plan.seconds} s...`);
      const fig = await runStep(side, { ...plan, rate }, undefined, side.name === 'Propeller' ? moves : undefined);
      say(`  p50 ${fig.p50} ms, p99 ${fig.p99} ms, max ${fig.maxMs} ms, errors ${fig.errors} of ${fig.requests}: ${fig.held ? 'held' : 'not held'}`);
      steps.push(fig);
      if (!fig.held) alive.delete(side.name);
    }
    if (alive.size === 0) break;
  }
  const capacity = (name: string) => Math.max(0, ...steps.filter((s) => s.side === name && s.held).map((s) => s.rate));
  return { steps, capacity };
}
