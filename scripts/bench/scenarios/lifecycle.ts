import { startBaseline } from '../baseline';
import { cpuMeter } from '../cpu';
import { describeHistories, tallyHistories, type HistoryTally } from '../history-tally';
import { startPropeller } from '../propeller';
import { row, warmupCount, type Scenario } from '../scenario';
import { round } from '../stats';
import { bareLifecycles, propellerLifecycles, type LifecycleRun } from './drivers';

export const LIFECYCLE_CONCURRENCY = 32;

/** p50 and p99 of each step, for the "where does the time go" facts, and the failures if any. */
export function stepFacts(prefix: string, run: LifecycleRun, names: [string, string, string]): Record<string, number | string> {
  const facts: Record<string, number | string> = {};
  run.steps.forEach((s, i) => (facts[`${prefix} ${names[i]} p50 / p99 ms`] = `${round(s.p50)} / ${round(s.p99)}`));
  if (run.failures > 0) facts[`${prefix} failed lifecycles`] = `${run.failures} (first: ${run.firstFailure})`;
  return facts;
}

export const lifecycle: Scenario = {
  name: 'lifecycle',
  description: 'lead lifecycles per second (create → accept → convert over HTTP, concurrency 32) vs bare start → update → update',
  defaultN: 60,
  fullN: 500,
  smokeN: 3,
  async run({ stack, n, say }) {
    const c = LIFECYCLE_CONCURRENCY;
    const propeller = await startPropeller(stack, { name: 'lifecycle' });
    let p: LifecycleRun;
    let mongoPerLifecycle: string;
    const cpu: Record<string, string> = {};
    const histories: Record<string, HistoryTally> = {};
    try {
      await propellerLifecycles(propeller, warmupCount(n), c, say, 'lifecycle · Propeller warm-up');
      propeller.mongoCommands.reset();
      const meter = await cpuMeter(stack.pids);
      const since = new Date();
      p = await propellerLifecycles(propeller, n, c, say, 'lifecycle · Propeller');
      cpu.Propeller = await meter.per(n);
      mongoPerLifecycle = propeller.mongoCommands.describe(n);
      histories.Propeller = await tallyHistories(propeller.client, propeller.taskQueue, since, n);
    } finally {
      await propeller.stop();
    }
    const baseline = await startBaseline(stack, { name: 'lifecycle' });
    let bare: LifecycleRun;
    let same: LifecycleRun;
    try {
      await bareLifecycles(baseline, warmupCount(n), c, 'bare', say, 'lifecycle · baseline warm-up');
      let meter = await cpuMeter(stack.pids);
      let since = new Date();
      bare = await bareLifecycles(baseline, n, c, 'bare', say, 'lifecycle · baseline');
      cpu.bare = await meter.per(n);
      histories.bare = await tallyHistories(baseline.client, baseline.taskQueue, since, n);
      meter = await cpuMeter(stack.pids);
      since = new Date();
      same = await bareLifecycles(baseline, n, c, 'same-shape', say, 'lifecycle · same-shape baseline');
      cpu['same-shape'] = await meter.per(n);
      histories['same-shape'] = await tallyHistories(baseline.client, baseline.taskQueue, since, n);
    } finally {
      await baseline.stop();
    }
    return {
      n,
      settings: { concurrency: c, warmup: warmupCount(n) },
      rows: [
        row('lifecycles/s', '/s', n, p.perSecond, bare.perSecond, { target: { op: '>=', value: 0.7 } }),
        row('lifecycles/s vs same-shape bare Temporal', '/s', n, p.perSecond, same.perSecond),
        row('history events per lifecycle', 'events', n, histories.Propeller!.events, histories.bare!.events),
        row('history bytes per lifecycle', 'B', n, histories.Propeller!.bytes, histories.bare!.bytes),
        row('workflow tasks per lifecycle', 'tasks', n, histories.Propeller!.workflowTasks, histories.bare!.workflowTasks),
      ],
      facts: {
        ...stepFacts('Propeller', p, ['create', 'accept', 'convert']),
        'Propeller MongoDB commands per lifecycle (mean round trip)': mongoPerLifecycle,
        ...stepFacts('bare', bare, ['start', 'update 1', 'update 2']),
        ...stepFacts('same-shape', same, ['start', 'update 1', 'update 2+spawn']),
        ...Object.fromEntries(Object.entries(cpu).map(([side, split]) => [`${side} CPU per lifecycle`, split])),
        ...Object.fromEntries(Object.entries(histories).map(([side, tally]) => [`${side} Temporal history per lifecycle`, describeHistories(tally)])),
      },
      notes: [
        'The target compares with the bare start → update → update, each step a no-op activity task. The same-shape baseline repeats ' +
          'the durable work of a Propeller lifecycle (the start a local activity, as Propeller writes its first step; a conversion that starts, ' +
          'without waiting, a second instance) with no-op activities: the ratio to it is what ' +
          'HTTP, MongoDB and the rules cost. CPU per lifecycle is split by process (the servers the bench started, and this ' +
          'process: the API, the worker and the load driver), from each process\'s CPU time before and after the measured batch.',
      ],
    };
  },
};
