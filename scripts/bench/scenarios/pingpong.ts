import type { BaselineEnv } from '../baseline';
import { stepUpdate, type UpdateLoopInput } from '../baseline-workflows';
import { shortId } from '../env';
import { instancePath } from '../http';
import { runPool } from '../load';
import type { PropellerEnv } from '../propeller';
import type { PipelineDefinition } from '../../../workflows/domain/types';

export const PING_PONG_KEY = 'bench-ping-pong';

/** A reversible two-stage pipeline with no deadlines and no rules to speak of: moves back and forth. */
export function pingPongPipeline(): PipelineDefinition {
  return {
    key: PING_PONG_KEY,
    name: 'Bench ping-pong',
    objectType: 'bench_item',
    stageField: 'stage',
    trigger: { onCreate: false, manual: true, reinitiate: false },
    multipleRuns: true,
    policy: { reversible: true, skippable: true, repeatable: true, reactivatable: false },
    stages: [
      { key: 'ping', name: 'Ping', type: 'normal', initial: true },
      { key: 'pong', name: 'Pong', type: 'normal' },
    ],
  };
}

/** The stage the i-th move (0-based) goes to: ping → pong → ping … */
export const moveTarget = (i: number) => (i % 2 === 0 ? 'pong' : 'ping');

/** Creates `count` records and starts an instance on each, through the API; answers the instance ids. */
export async function startPingPongs(env: PropellerEnv, count: number): Promise<string[]> {
  const ids: string[] = [];
  await runPool(count, 16, async (i) => {
    const record = await env.call<{ id: string }>(env.users.sales, 'POST', '/v1/records/bench_item', { fields: { title: `Item ${i}` } });
    const started = await env.call<{ instanceId: string }>(env.users.sales, 'POST', '/v1/instances', {
      pipelineKey: PING_PONG_KEY,
      recordId: record.id,
    });
    ids[i] = started.instanceId;
  });
  return ids;
}

/** One stage move through the API. */
export function movePingPong(env: PropellerEnv, instanceId: string, to: string) {
  return env.call<{ stage: { key: string } }>(env.users.sales, 'POST', `${instancePath(instanceId)}/moves`, { to });
}

/** `count` bare update-loop workflows, started and ready for updates; `indexed`: each update upserts Stage, as a move does. */
export async function startLoops(env: BaselineEnv, count: number, opts: { indexed?: boolean } = {}): Promise<string[]> {
  const run = shortId();
  const ids = Array.from({ length: count }, (_, i) => `bare-loop:${run}-${i}`);
  const input: UpdateLoopInput = opts.indexed ? { indexed: true } : {};
  await runPool(count, 16, async (i) => {
    await env.client.workflow.start('bareUpdateLoop', { workflowId: ids[i]!, taskQueue: env.taskQueue, args: [input] });
  });
  return ids;
}

/** One bare update round trip (the workflow runs a no-op activity for it). */
export function bareStep(env: BaselineEnv, workflowId: string) {
  return env.client.workflow.getHandle(workflowId).executeUpdate(stepUpdate, { args: [{}] });
}
