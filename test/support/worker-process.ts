import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../scripts/stack/ports';
import type { Harness } from './harness';
import { eventually, harnessEnv } from './harness';
import { testStack } from './stack';

const ROOT = path.resolve(__dirname, '..', '..');

export interface WorkerProcess {
  child: ChildProcess;
  metricsUrl: string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  /** Everything the process wrote to stdout (its JSON log lines). */
  stdout(): string;
  /** The last 10 kB it wrote to stderr (why it exited, when it did). */
  stderr(): string;
}

/** The worker exactly as `npm run worker` runs it, on the harness's database and task queue. */
export async function spawnWorker(h: Harness, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const stack = testStack();
  const metricsPort = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...harnessEnv(h),
      WORKFLOW_BUNDLE_PATH: stack.workflowBundlePath,
      WORKER_METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-10_000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`worker exited (${child.exitCode}): ${stderr}`);
    return stdout.includes('"worker started"') && (await fetch(metricsUrl)).ok;
  }, 60_000).catch((err) => {
    child.kill('SIGKILL');
    throw new Error(`the worker process did not come up: ${String(err)}\n${stderr}`);
  });
  return { child, metricsUrl, exited, stdout: () => stdout, stderr: () => stderr };
}

/** SIGTERM, then SIGKILL if the process has not exited after `graceMs`; resolves once it has exited. */
export async function stopWorkerProcess(worker: WorkerProcess | undefined, graceMs = 15_000): Promise<void> {
  if (!worker || worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.child.kill('SIGTERM');
  const timer = setTimeout(() => worker.child.kill('SIGKILL'), graceMs);
  await worker.exited;
  clearTimeout(timer);
}

export interface SupervisedWorker {
  /** The worker process running now. */
  current(): WorkerProcess;
  /** Each time the worker exited by itself: its exit code and the end of its stderr. */
  exits: Array<{ code: number | null; at: string; stderr: string }>;
  /** Stops supervising (no more restarts) and stops the current worker. */
  stop(): Promise<void>;
}

/**
 * A worker that is started again whenever it exits, as a process supervisor
 * (compose's `restart: unless-stopped`, a Kubernetes Deployment) does: a worker
 * that gives up while a server it needs is down comes back once it can.
 * Starts are retried every `retryMs` while they fail.
 */
export async function superviseWorker(h: Harness, retryMs = 2_000): Promise<SupervisedWorker> {
  let worker = await spawnWorker(h);
  let supervising = true;
  const exits: SupervisedWorker['exits'] = [];
  const watch = (w: WorkerProcess): void => {
    void w.exited.then(async (code) => {
      if (!supervising || w !== worker) return;
      exits.push({ code, at: new Date().toISOString(), stderr: w.stderr().slice(-500) });
      while (supervising) {
        try {
          const next = await spawnWorker(h);
          if (!supervising) return await stopWorkerProcess(next);
          worker = next;
          watch(next);
          return;
        } catch {
          await new Promise((r) => setTimeout(r, retryMs));
        }
      }
    });
  };
  watch(worker);
  return {
    current: () => worker,
    exits,
    async stop() {
      supervising = false;
      await stopWorkerProcess(worker);
    },
  };
}
