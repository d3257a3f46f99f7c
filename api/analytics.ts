import type { PipelineDefinition, StageType } from '../workflows/domain/types';

/**
 * Pipeline analytics from the audit trail, pure: the use case reads the
 * company's instances and their stage-changing events, this counts. Every
 * event that names a `to` stage is a stage change: the instance leaves `from`
 * (if any) and enters `to`, at the event's time.
 */

export interface StageEvent {
  instanceId: string;
  kind: string;
  from?: string;
  to?: string;
  at: string;
}

export interface InstanceNow {
  instanceId: string;
  stage: string;
  status: 'running' | 'finished' | 'cancelled';
}

export interface Window {
  from: string;
  to: string;
}

export interface StageFigures {
  stage: string;
  name: string;
  type: StageType;
  /** Visits that began in the window. */
  entered: number;
  /** Visits that ended in the window, and of those how many the deadline ended. */
  left: number;
  leftByDeadline: number;
  /** Instances standing in the stage now (running, or finished in an outcome stage). */
  now: number;
  /** Where the visits that ended in the window went, most first. */
  next: Array<{ stage: string; count: number; rate: number }>;
  /** Of the visits that ended in the window; null when none did. */
  timeInStage: { medianMs: number | null; p90Ms: number | null };
}

export interface Analytics {
  window: Window;
  stages: StageFigures[];
  outcomes: Array<{ stage: string; name: string; type: StageType; count: number; share: number }>;
  /** From the start of each instance to the first outcome it reached in the window. */
  timeToOutcome: { count: number; medianMs: number | null };
}

/** The nearest-rank percentile: a value some visit really took. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

const ratio = (n: number, of: number) => (of === 0 ? 0 : Math.round((n / of) * 10_000) / 10_000);

/** What one stage's visits added up to in the window, before shares and percentiles. */
export interface Tally {
  entered: number;
  left: number;
  leftByDeadline: number;
  next: Map<string, number>;
  durations: number[];
}

/** The tallies of every stage, created on first use. */
export function tallies(): { tally: (stage: string) => Tally } {
  const all = new Map<string, Tally>();
  return {
    tally(stage) {
      let t = all.get(stage);
      if (!t) all.set(stage, (t = { entered: 0, left: 0, leftByDeadline: 0, next: new Map(), durations: [] }));
      return t;
    },
  };
}

/** `events` may come in any order; only those of `instances` count. */
export function computeAnalytics(def: Pick<PipelineDefinition, 'stages'>, instances: readonly InstanceNow[], events: readonly StageEvent[], window: Window): Analytics {
  const from = Date.parse(window.from);
  const to = Date.parse(window.to);
  const inWindow = (ms: number) => ms >= from && ms < to;
  const known = new Set(instances.map((i) => i.instanceId));
  const { tally } = tallies();
  const outcomeKeys = new Set(def.stages.filter((s) => s.type !== 'normal').map((s) => s.key));
  const toOutcome: number[] = [];

  const byInstance = new Map<string, StageEvent[]>();
  for (const e of events) {
    if (!e.to || !known.has(e.instanceId)) continue;
    const list = byInstance.get(e.instanceId);
    if (list) list.push(e);
    else byInstance.set(e.instanceId, [e]);
  }
  for (const list of byInstance.values()) {
    list.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    let enteredAt: number | undefined;
    let startedAt: number | undefined;
    let reachedOutcome = false;
    for (const e of list) {
      const at = Date.parse(e.at);
      startedAt ??= at;
      if (e.from !== undefined && inWindow(at)) {
        const left = tally(e.from);
        left.left += 1;
        if (e.kind === 'deadline_fired') left.leftByDeadline += 1;
        left.next.set(e.to!, (left.next.get(e.to!) ?? 0) + 1);
        if (enteredAt !== undefined) left.durations.push(at - enteredAt);
      }
      if (inWindow(at)) tally(e.to!).entered += 1;
      if (!reachedOutcome && outcomeKeys.has(e.to!)) {
        reachedOutcome = true;
        if (inWindow(at)) toOutcome.push(at - startedAt);
      }
      enteredAt = at;
    }
  }

  const now = new Map<string, number>();
  for (const i of instances) if (i.status !== 'cancelled') now.set(i.stage, (now.get(i.stage) ?? 0) + 1);
  return assemble(def, tally, now, toOutcome, window);
}

/** Shares, percentiles and outcomes from the counted tallies: the one shape every way of counting answers. */
export function assemble(
  def: Pick<PipelineDefinition, 'stages'>,
  tally: (stage: string) => Tally,
  now: ReadonlyMap<string, number>,
  toOutcome: readonly number[],
  window: Window,
): Analytics {
  const stages = def.stages.map((s): StageFigures => {
    const t = tally(s.key);
    const durations = [...t.durations].sort((a, b) => a - b);
    return {
      stage: s.key,
      name: s.name,
      type: s.type,
      entered: t.entered,
      left: t.left,
      leftByDeadline: t.leftByDeadline,
      now: now.get(s.key) ?? 0,
      next: [...t.next.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([stage, count]) => ({ stage, count, rate: ratio(count, t.left) })),
      timeInStage: { medianMs: percentile(durations, 50), p90Ms: percentile(durations, 90) },
    };
  });
  const outcomeStages = stages.filter((s) => s.type !== 'normal');
  const outcomesReached = outcomeStages.reduce((n, s) => n + s.entered, 0);
  const sortedToOutcome = [...toOutcome].sort((a, b) => a - b);
  return {
    window,
    stages,
    outcomes: outcomeStages.map((s) => ({ stage: s.stage, name: s.name, type: s.type, count: s.entered, share: ratio(s.entered, outcomesReached) })),
    timeToOutcome: { count: toOutcome.length, medianMs: percentile(sortedToOutcome, 50) },
  };
}
