import type { Client } from '@temporalio/client';
import { startBaseline } from '../baseline';
import { HttpError } from '../http';
import { progress, type Say } from '../load';
import { startPropeller } from '../propeller';
import { row, type Scenario } from '../scenario';
import { nowMs, rate } from '../stats';
import { bareStep, movePingPong, moveTarget, pingPongPipeline, startLoops, startPingPongs } from './pingpong';

/** The server suggests continue-as-new at this many events; no run of a long instance should pass it. */
export const HISTORY_EVENTS_BAR = 4_096;
/** Stop counting after this many failed moves: something is broken, and the rest would only take time. */
const MAX_FAILURES = 10;

/** Every run of the workflow id (continue-as-new makes a chain) and the number of events in each one's history. */
export async function historyLengths(client: Client, workflowId: string): Promise<number[]> {
  const lengths: number[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowId='${workflowId}'` })) {
    const history = await client.workflow.getHandle(workflowId, run.runId).fetchHistory();
    lengths.push(history.events?.length ?? 0);
  }
  return lengths;
}

/** Calls `step(i)` n times one after the other; answers the rate and the failures (up to MAX_FAILURES). */
async function sequence(n: number, step: (i: number) => Promise<void>, say: Say, label: string) {
  const p = progress(say, label, n);
  const failures: string[] = [];
  const start = nowMs();
  for (let i = 0; i < n && failures.length < MAX_FAILURES; i++) {
    try {
      await step(i);
    } catch (err) {
      failures.push(err instanceof HttpError ? `move ${i}: ${err.message}` : `move ${i}: ${String(err)}`);
    }
    p.tick();
  }
  p.finish();
  return { perSecond: rate(n, nowMs() - start), failures };
}

export const longInstance: Scenario = {
  name: 'long-instance',
  description: 'one instance, N moves back and forth over HTTP: no failed move, state and audit trail complete, every run ≤ 4,096 history events; moves/s vs a bare workflow taking N updates',
  defaultN: 600,
  fullN: 5_000,
  smokeN: 5,
  async run({ stack, n, say }) {
    const env = await startPropeller(stack, { name: 'long', pipelines: [pingPongPipeline()] });
    let p: Awaited<ReturnType<typeof sequence>>;
    let facts: Record<string, string | number | boolean>;
    try {
      const [id] = await startPingPongs(env, 1);
      const instanceId = id!;
      p = await sequence(n, async (i) => {
        const moved = await movePingPong(env, instanceId, moveTarget(i));
        if (moved.stage.key !== moveTarget(i)) throw new Error(`moved to ${moved.stage.key}, not ${moveTarget(i)}`);
      }, say, 'long-instance · Propeller moves');
      const finalStage = moveTarget(n - 1);
      const view = await env.call<{ stage: { key: string }; status: string; record: { id: string } }>(env.users.sales, 'GET', `/v1/instances/${encodeURIComponent(instanceId)}`);
      const stored = await env.stores.records.get(view.record.id);
      const trail = await env.stores.events.forInstance(instanceId);
      const trailOk =
        trail.length === n + 1 &&
        trail[0]?.kind === 'started' &&
        trail.slice(1).every((e, i) => e.kind === 'moved' && e.to === moveTarget(i) && e.from === (i === 0 ? 'ping' : moveTarget(i - 1)));
      const runs = await historyLengths(env.client, instanceId);
      const longest = Math.max(...runs);
      facts = {
        'failed moves': p.failures.length,
        'state complete (API, record and projection in the last stage)':
          view.stage.key === finalStage && stored?.fields.stage === finalStage && (await env.stores.instances.get(instanceId))?.stage === finalStage,
        'audit trail complete (started + N moves, in order)': trailOk,
        'audit events': trail.length,
        runs: runs.length,
        'most history events in one run': longest,
        [`every run ≤ ${HISTORY_EVENTS_BAR} events`]: longest <= HISTORY_EVENTS_BAR,
      };
      if (p.failures.length > 0) facts['first failure'] = p.failures[0]!;
    } finally {
      await env.stop();
    }
    const baseline = await startBaseline(stack, { name: 'long' });
    let b: Awaited<ReturnType<typeof sequence>>;
    try {
      const [id] = await startLoops(baseline, 1);
      b = await sequence(n, async () => void (await bareStep(baseline, id!)), say, 'long-instance · baseline updates');
      const runs = await historyLengths(baseline.client, id!);
      facts['baseline runs'] = runs.length;
      facts['baseline most history events in one run'] = Math.max(...runs);
    } finally {
      await baseline.stop();
    }
    return {
      n,
      settings: { 'continue-as-new after updates': 500 },
      rows: [row('moves/s on one instance', '/s', n, p.perSecond, b.perSecond, { target: { op: '>=', value: 0.85 } })],
      facts,
      notes: ['Both continue as new after 500 updates (Propeller\'s MAX_UPDATES_PER_RUN) or when the server suggests it.'],
    };
  },
};
