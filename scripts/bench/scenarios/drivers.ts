import { WithStartWorkflowOperation } from '@temporalio/client';
import type { BaselineEnv } from '../baseline';
import { startAttributes, startedUpdate, stepUpdate, type LifecycleInput } from '../baseline-workflows';
import { progress, runPool, type Say } from '../load';
import type { PropellerEnv } from '../propeller';
import { rate, summarize, timed, type LatencySummary } from '../stats';
import { shortId } from '../env';

/** How a batch of lifecycles went: the rate of those that completed, and the latency of each of their three steps. */
export interface LifecycleRun {
  n: number;
  perSecond: number;
  /** Lifecycles that failed (counted, not retried); the batch fails when more than half do. */
  failures: number;
  firstFailure?: string;
  elapsedMs: number;
  steps: [LatencySummary, LatencySummary, LatencySummary];
  /** Each step's latencies, for merging batches. */
  samples: [number[], number[], number[]];
}

/** Several batches of one side as one: their lifecycles, failures and time added up, their latencies pooled. */
export function mergeRuns(runs: readonly LifecycleRun[]): LifecycleRun {
  const samples: [number[], number[], number[]] = [[], [], []];
  for (const run of runs) run.samples.forEach((s, i) => samples[i]!.push(...s));
  const n = runs.reduce((sum, r) => sum + r.n, 0);
  const failures = runs.reduce((sum, r) => sum + r.failures, 0);
  const elapsedMs = runs.reduce((sum, r) => sum + r.elapsedMs, 0);
  return {
    n,
    perSecond: rate(n - failures, elapsedMs),
    failures,
    firstFailure: runs.find((r) => r.firstFailure !== undefined)?.firstFailure,
    elapsedMs,
    steps: samples.map(summarize) as LifecycleRun['steps'],
    samples,
  };
}

/** The deadline a partner lead's stages arm (7 days); the baseline arms the same timers. */
export const SEVEN_DAYS_MS = 7 * 24 * 3_600_000;

/** An error's message and, for a network failure (fetch's `fetch failed`), what lay under it: the socket's code and message. */
export function describeFailure(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as { code?: string; message?: string } | undefined;
  if (!cause) return err.message;
  return `${err.message} (${[cause.code, cause.message].filter(Boolean).join(': ')})`;
}

async function batch(
  n: number,
  concurrency: number,
  one: (i: number, times: number[][]) => Promise<void>,
  say: Say,
  label: string,
): Promise<LifecycleRun> {
  const times: [number[], number[], number[]] = [[], [], []];
  const failed: string[] = [];
  const p = progress(say, label, n);
  const attempt = (i: number) => one(i, times).catch((err: unknown) => void failed.push(describeFailure(err)));
  const { elapsedMs } = await runPool(n, concurrency, attempt, () => p.tick());
  p.finish();
  if (failed.length > n / 2) throw new Error(`${label}: ${failed.length} of ${n} lifecycles failed; the first: ${failed[0]}`);
  if (failed.length > 0) say(`${label}: ${failed.length} of ${n} lifecycles failed; the first: ${failed[0]}`);
  const [a, b, c] = times.map(summarize) as [LatencySummary, LatencySummary, LatencySummary];
  return { n, perSecond: rate(n - failed.length, elapsedMs), failures: failed.length, firstFailure: failed[0], elapsedMs, steps: [a, b, c], samples: times };
}

/** Lead lifecycles through HTTP: sales creates a lead for partner A, partner A accepts it and converts it. */
export function propellerLifecycles(env: PropellerEnv, n: number, concurrency: number, say: Say, label: string) {
  const { sales, partner } = env.users;
  return batch(
    n,
    concurrency,
    async (i, times) => {
      const created = await timed(() =>
        env.call<{ id: string }>(sales, 'POST', '/v1/records/lead', {
          fields: { title: `Bench lead ${i}`, amount: 1_000 + i },
          partnerCompanyId: partner.companyId,
        }),
      );
      const lead = created.value.id;
      const accepted = await timed(() => env.call(partner, 'POST', `/v1/leads/${lead}/accept`, {}));
      const converted = await timed(() =>
        env.call<{ stage: { key: string } }>(partner, 'POST', `/v1/leads/${lead}/convert`, { opportunity: { fields: {} } }),
      );
      if (converted.value.stage.key !== 'closed_converted') throw new Error(`lead ${lead} ended in ${converted.value.stage.key}`);
      times[0]!.push(created.ms);
      times[1]!.push(accepted.ms);
      times[2]!.push(converted.ms);
    },
    say,
    label,
  );
}

/**
 * The baseline's lifecycles. `bare`: start (update-with-start that answers once
 * the first no-op activity ran, as the API's create answers once the lead is in
 * Pending) → update → update, each step a no-op activity task. `same-shape`: the
 * durable work of Propeller's lifecycle step for step: the same three calls, the
 * start's no-op a local activity, the search attributes each step changes
 * upserted (both instances start with theirs), and a conversion that starts
 * another instance without waiting for it.
 */
export function bareLifecycles(env: BaselineEnv, n: number, concurrency: number, shape: 'bare' | 'same-shape', say: Say, label: string) {
  const run = shortId();
  const same = shape === 'same-shape';
  const lifecycle: LifecycleInput = { steps: 2, deadlineMs: SEVEN_DAYS_MS, localStart: same, indexed: same };
  return batch(
    n,
    concurrency,
    async (i, times) => {
      const key = `${run}-${i}`;
      const instanceId = `bare-instance:${key}`;
      const handle = env.client.workflow.getHandle(instanceId);
      const operation = new WithStartWorkflowOperation('bareLifecycle', {
        workflowId: instanceId,
        taskQueue: env.taskQueue,
        args: [lifecycle],
        workflowIdConflictPolicy: 'FAIL',
        typedSearchAttributes: startAttributes(lifecycle, Date.now()),
      });
      times[0]!.push((await timed(() => env.client.workflow.executeUpdateWithStart(startedUpdate, { startWorkflowOperation: operation }))).ms);
      times[1]!.push((await timed(() => handle.executeUpdate(stepUpdate, { args: [{}] }))).ms);
      const spawn = same ? `${key}-opp` : undefined;
      times[2]!.push((await timed(() => handle.executeUpdate(stepUpdate, { args: [{ spawn }] }))).ms);
    },
    say,
    label,
  );
}
