import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../stack/ports';
import { pollUntil } from './load';
import type { PropellerEnv } from './propeller';
import type { BenchStack } from './stack';

const ROOT = path.resolve(__dirname, '..', '..');

/** A worker process (`node --import tsx <script>`), its output in the log folder; resolves once it says it started. */
export async function spawnWorker(script: string, args: string[], env: NodeJS.ProcessEnv, logFile: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = fs.createWriteStream(logFile);
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8').on('data', (chunk: string) => {
      log.write(chunk);
      if (output.length < 100_000) output += chunk;
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await pollUntil(`${script} start`, async () => {
    if (child.exitCode !== null) throw new Error(`${script} exited (${child.exitCode}): ${output.slice(-2_000)}`);
    return output.includes('worker started');
  }, 120_000, 200);
  return {
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
      log.end();
    },
  };
}

/** The environment `npm run worker` needs to serve a bench Propeller's task queue and database. */
export async function propellerWorkerEnv(stack: BenchStack, env: PropellerEnv, extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: stack.temporal.address,
    TEMPORAL_NAMESPACE: stack.temporal.namespace,
    TEMPORAL_TASK_QUEUE: env.taskQueue,
    MONGODB_URI: stack.mongoUri,
    MONGODB_DB: env.db.databaseName,
    WORKFLOW_BUNDLE_PATH: stack.workflowBundlePath,
    WORKER_METRICS_PORT: String(await freePort()),
    LOG_LEVEL: 'info',
    ...extra,
  };
}
