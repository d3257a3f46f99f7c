import fs from 'node:fs';
import path from 'node:path';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { newId } from '../../../activities/store';
import { startBaseline } from '../baseline';
import { startedUpdate } from '../baseline-workflows';
import type { BaselineWorkerOptions } from '../baseline-worker';
import { DEFAULT_MAX_CACHED_WORKFLOWS, shortId } from '../env';
import { progress, runPool, sleep, type Say } from '../load';
import { startPropeller } from '../propeller';
import { propellerWorkerEnv, spawnWorker } from '../worker-process';
import { row, type Scenario } from '../scenario';
import { percentile, round } from '../stats';
import { SEVEN_DAYS_MS } from './drivers';

/** The resident set of a process, from /proc/<pid>/status, in MB. */
export function rssMB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

/** The median of five samples, after a settle of up to 3 s (shorter for a few instances). */
async function steadyRss(pid: number, n: number): Promise<number> {
  await sleep(Math.min(3_000, 500 + n * 10));
  const samples: number[] = [];
  for (let i = 0; i < 5; i++, await sleep(n < 100 ? 200 : 500)) samples.push(rssMB(pid));
  return percentile(samples, 50);
}

/** Idle RSS, then RSS once `open(i)` has opened n instances that stay in the worker's cache. */
async function measure(n: number, pid: number, open: (i: number) => Promise<void>, say: Say, label: string) {
  const idle = await steadyRss(pid, n);
  const p = progress(say, `${label}: opening instances`, n);
  await runPool(n, 32, open, () => p.tick());
  p.finish();
  const loaded = await steadyRss(pid, n);
  say(`${label}: RSS ${round(idle)} MB idle, ${round(loaded)} MB with ${n} open instances`);
  return { idle, loaded };
}

export const memory: Scenario = {
  name: 'memory',
  description: "the worker process's RSS with N open idle instances (cache bounded by WORKER_MAX_CACHED_WORKFLOWS) vs a worker of bare idle workflows",
  // Every instance cached, enough of them that the growth is theirs: at 300 (about 100 MB of growth) one worker's
  // heap sizing swung the ratio from 0.91x to 1.49x between default runs of the same code; 2,000 held 0.93x-0.96x.
  defaultN: 2_000,
  fullN: 20_000,
  smokeN: 10,
  async run({ stack, n, say }) {
    const cache = DEFAULT_MAX_CACHED_WORKFLOWS;
    const cached = Math.min(n, cache);
    const env = await startPropeller(stack, { name: 'memory', worker: false });
    let p: { idle: number; loaded: number };
    try {
      const workerEnv = await propellerWorkerEnv(stack, env, { WORKER_MAX_CACHED_WORKFLOWS: String(cache) });
      const worker = await spawnWorker('workers/main.ts', [], workerEnv, path.join(stack.logDir, `worker-memory-${shortId()}.log`));
      try {
        const { sales, partner } = env.users;
        // Partner leads waiting in Pending on their 7-day deadline, started by hand (POST /v1/instances) on stored leads.
        p = await measure(n, worker.pid, async (i) => {
          const now = new Date().toISOString();
          const id = newId('lea');
          await env.stores.records.insert({
            id, type: 'lead', ownerId: sales.userId, creatorId: sales.userId, companyId: sales.companyId, partnerCompanyId: partner.companyId,
            fields: { title: `Idle lead ${i}` }, archived: false, version: 1, participants: { users: [], companies: [] }, privateFields: [],
            createdAt: now, updatedAt: now,
          });
          await env.call(sales, 'POST', '/v1/instances', { pipelineKey: 'partner-lead', recordId: id });
        }, say, 'memory · Propeller');
      } finally {
        await worker.stop();
      }
    } finally {
      await env.stop();
    }

    const baseline = await startBaseline(stack, { name: 'memory', worker: false });
    let b: { idle: number; loaded: number };
    try {
      const options: BaselineWorkerOptions = {
        address: stack.temporal.address, namespace: stack.temporal.namespace, taskQueue: baseline.taskQueue,
        bundlePath: stack.baselineBundlePath, maxCachedWorkflows: cache,
      };
      const worker = await spawnWorker('scripts/bench/baseline-worker.ts', [JSON.stringify(options)], process.env, path.join(stack.logDir, `worker-memory-baseline-${shortId()}.log`));
      try {
        const run = shortId();
        b = await measure(n, worker.pid, async (i) => {
          const operation = new WithStartWorkflowOperation('bareLifecycle', {
            workflowId: `bare-idle:${run}-${i}`, taskQueue: baseline.taskQueue, args: [{ steps: 0, deadlineMs: SEVEN_DAYS_MS }], workflowIdConflictPolicy: 'FAIL',
          });
          await baseline.client.workflow.executeUpdateWithStart(startedUpdate, { startWorkflowOperation: operation });
        }, say, 'memory · baseline');
      } finally {
        await worker.stop();
      }
    } finally {
      await baseline.stop();
    }
    return {
      n,
      settings: { 'WORKER_MAX_CACHED_WORKFLOWS': cache, 'instances in the cache': cached },
      rows: [
        row(`worker RSS growth with ${n} idle instances`, 'MB', n, p.loaded - p.idle, b.loaded - b.idle),
        row('RSS per cached workflow', 'MB', n, (p.loaded - p.idle) / cached, (b.loaded - b.idle) / cached, { target: { op: '<=', value: 1.1 } }),
      ],
      facts: {
        'Propeller worker RSS idle → loaded, MB': `${round(p.idle)} → ${round(p.loaded)}`,
        'baseline worker RSS idle → loaded, MB': `${round(b.idle)} → ${round(b.loaded)}`,
      },
      notes: ['Each worker is a process of its own (workers/main.ts for Propeller, scripts/bench/baseline-worker.ts for the baseline); RSS is the median of five VmRSS samples after up to 3 s of quiet.'],
    };
  },
};
