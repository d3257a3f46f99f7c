import type { StageFact } from '../lib/stage-facts';
import type { PipelineDefinition } from '../workflows/domain/types';
import { assemble, tallies, type Analytics, type Window } from './analytics';

/**
 * The figures `computeAnalytics` answers, from rollup facts and the standing
 * counts alone: no instance's history older than the window is read, because
 * each fact carries what the original counting looked back for (when its
 * instance entered the stage it left, when the instance started, and, on a
 * first entry, the stages it had seen, so "first outcome" follows the
 * definition asked about rather than the one of the day it was written).
 * Facts outside the window and cancellations are skipped here.
 */
export function analyticsFromFacts(
  def: Pick<PipelineDefinition, 'stages'>,
  facts: readonly StageFact[],
  standing: ReadonlyMap<string, number>,
  window: Window,
): Analytics {
  const from = Date.parse(window.from);
  const to = Date.parse(window.to);
  const outcomes = new Set(def.stages.filter((s) => s.type !== 'normal').map((s) => s.key));
  const { tally } = tallies();
  const toOutcome: number[] = [];
  for (const f of facts) {
    if (f.to === undefined || f.at < from || f.at >= to) continue;
    if (f.from !== undefined) {
      const left = tally(f.from);
      left.left += 1;
      if (f.kind === 'deadline_fired') left.leftByDeadline += 1;
      left.next.set(f.to, (left.next.get(f.to) ?? 0) + 1);
      if (f.enteredAt !== undefined) left.durations.push(f.at - f.enteredAt);
    }
    tally(f.to).entered += 1;
    if (outcomes.has(f.to) && f.seen !== undefined && !f.seen.some((s) => outcomes.has(s))) toOutcome.push(f.at - f.startedAt);
  }
  return assemble(def, tally, standing, toOutcome, window);
}
