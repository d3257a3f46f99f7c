import { startBaseline } from '../baseline';
import type { Client } from '@temporalio/client';
import { cpuAccount, type ServerPids, type Times } from '../cpu';
import { cpuProfile } from '../profile';
import { describeHistories, tallyHistories, type HistoryTally } from '../history-tally';
import { inTurns, roundLabel } from '../load';
import { startPropeller } from '../propeller';
import { row, warmupCount, type Scenario } from '../scenario';
import { round } from '../stats';
import { bareLifecycles, mergeRuns, propellerLifecycles, type LifecycleRun } from './drivers';

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
  defaultN: 128,
  fullN: 500,
  smokeN: 3,
  async run({ stack, n, say }) {
    const c = LIFECYCLE_CONCURRENCY;
    const rounds = roundsFor(n);
    const propeller = await startPropeller(stack, { name: 'lifecycle' });
    const stops: Array<() => Promise<void>> = [() => propeller.stop()];
    try {
      // The bare and same-shape batches on task queues of their own, so each side's histories are told apart.
      const bareEnv = await startBaseline(stack, { name: 'lifecycle' });
      stops.push(() => bareEnv.stop());
      const sameEnv = await startBaseline(stack, { name: 'lifecycle-same' });
      stops.push(() => sameEnv.stop());
      const sides: Side[] = [
        { name: 'Propeller', client: propeller.client, taskQueue: propeller.taskQueue, batch: (count, label) => propellerLifecycles(propeller, count, c, say, label) },
        { name: 'bare', client: bareEnv.client, taskQueue: bareEnv.taskQueue, batch: (count, label) => bareLifecycles(bareEnv, count, c, 'bare', say, label) },
        { name: 'same-shape', client: sameEnv.client, taskQueue: sameEnv.taskQueue, batch: (count, label) => bareLifecycles(sameEnv, count, c, 'same-shape', say, label) },
      ];
      for (const side of sides) await side.batch(warmupCount(n), `lifecycle · ${side.name} warm-up`);
      // The profile is taken in a batch of its own, before the measured rounds: a sampling profiler in this
      // process costs CPU and time of its own, which must not count in the ratios nor in the CPU per lifecycle.
      const profile = cpuProfile();
      await profile.measure(() => sides[0]!.batch(profiledCount(n), 'lifecycle · Propeller, profiled (not counted)'));
      const hot = profile.top(15);
      const origins = profile.byOrigin().slice(0, 15);
      await profile.stop();
      propeller.mongoCommands.reset();
      const since = new Date();
      const measured = await interleaved(sides, n, rounds, stack.pids);
      const [p, bare, same] = measured.map((m) => m.run) as [LifecycleRun, LifecycleRun, LifecycleRun];
      const mongoPerLifecycle = propeller.mongoCommands.describe(n);
      const commands = propeller.mongoCommands.per(n).total;
      const own = ownCpu(measured.map((m) => m.seconds) as [Times, Times, Times]);
      const histories: Record<string, HistoryTally> = {};
      for (const side of sides) histories[side.name] = await tallyHistories(side.client, side.taskQueue, since, n);
      const cpu = Object.fromEntries(sides.map((side, s) => [side.name, measured[s]!.cpu]));
      return {
        n,
        settings: { concurrency: c, warmup: warmupCount(n), rounds },
        rows: [
          row('lifecycles/s', '/s', n, p.perSecond, bare.perSecond, { target: { op: '>=', value: 0.65 } }),
          row('lifecycles/s vs same-shape bare Temporal', '/s', n, p.perSecond, same.perSecond),
          row('history events per lifecycle', 'events', n, histories.Propeller!.events, histories.bare!.events, { bound: { op: '<=', value: 42 } }),
          row('history bytes per lifecycle', 'B', n, histories.Propeller!.bytes, histories.bare!.bytes, { bound: { op: '<=', value: 15_000 } }),
          row('MongoDB commands per lifecycle', 'commands', n, commands, 0, { bound: { op: '<=', value: 12 } }),
          row("Propeller's own CPU per lifecycle vs bare's whole lifecycle", 's', n, own.propeller, own.bare, { target: { op: '<=', value: 0.25 } }),
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
        tables: [
          {
            title: `Propeller: the 15 functions with the most CPU self time in this process (API, worker, load driver), in a batch of ${profiledCount(n)} lifecycles profiled apart from the measured ones (the profiler's own cost stays out of the figures)`,
            columns: ['function', 'where', 'self ms', 'share'],
            rows: hot.map((r) => [r.fn, r.location, r.selfMs, `${round(r.share * 100)} %`]),
          },
          {
            title: 'Propeller: CPU self time in this process by where the code comes from',
            columns: ['origin', 'self ms', 'share'],
            rows: origins.map((r) => [r.fn, r.selfMs, `${round(r.share * 100)} %`]),
          },
        ],
        notes: [
          'The target compares with the bare start → update → update, each step a no-op activity task. The same-shape baseline repeats ' +
            'the durable work of a Propeller lifecycle (the start a local activity, as Propeller writes its first step; the search attributes ' +
            'each step changes upserted, both instances starting with theirs; a conversion that starts, without waiting, a second instance) ' +
            'with no-op activities: the ratio to it is what ' +
            'HTTP, MongoDB and the rules cost. CPU per lifecycle is split by process (the servers the bench started, and this ' +
            'process: the API, the worker and the load driver), from each process\'s CPU time before and after each measured batch. ' +
            `The three sides run in turn, ${rounds} round(s) of about ${Math.ceil(n / rounds)} lifecycles each, the order rotating ` +
            'every round, so a machine that slows down during the run slows each side alike.',
        ],
      };
    } finally {
      for (const stop of stops.reverse()) await stop();
    }
  },
};

/**
 * What Propeller itself costs a lifecycle, in CPU seconds, beside what bare
 * Temporal's whole lifecycle costs: Propeller's process (API, worker, load
 * driver) and FerretDB, less the same-shape side's process (the driver and
 * worker a Temporal-only lifecycle of the same shape needs); bare's is every
 * process it used, the Temporal server's included.
 */
export function ownCpu([propeller, bare, same]: [Times, Times, Times]): { propeller: number; bare: number } {
  const sum = (t: Times) => Object.values(t).reduce((a, b) => a + b, 0);
  const own = (propeller['bench process'] ?? 0) + (propeller.ferretdb ?? 0) - (same['bench process'] ?? 0);
  return { propeller: Math.max(0, own), bare: sum(bare) };
}

/** One side of the comparison: how to run a batch of its lifecycles, and where its histories are. */
interface Side {
  name: string;
  client: Client;
  taskQueue: string;
  batch(count: number, label: string): Promise<LifecycleRun>;
}

/** Rounds of two pools' worth of lifecycles each, so a round's ramp-down is a small part of it. */
/** The profiled batch: half a round's worth, enough samples for the top functions to settle. */
export function profiledCount(n: number): number {
  return Math.max(1, Math.min(64, Math.round(n / 4)));
}

export function roundsFor(n: number): number {
  return Math.max(1, Math.round(n / (2 * LIFECYCLE_CONCURRENCY)));
}

/** n lifecycles of every side, in turns (`inTurns`); each side's batches merged, with their CPU time summed. */
export async function interleaved(sides: Side[], n: number, rounds: number, pids: ServerPids) {
  const cpu = sides.map(() => cpuAccount(pids));
  const batches = await inTurns(
    n,
    rounds,
    sides.map((side, s) => (count: number, r: number) => cpu[s]!.measure(() => side.batch(count, roundLabel(`lifecycle · ${side.name}`, r, rounds)))),
  );
  return batches.map((runs, s) => ({ run: mergeRuns(runs), cpu: cpu[s]!.per(n), seconds: cpu[s]!.seconds(n) }));
}
