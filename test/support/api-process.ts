import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../scripts/stack/ports';
import type { Harness } from './harness';
import { eventually, HARNESS_LIMITS, harnessEnv } from './harness';

const ROOT = path.resolve(__dirname, '..', '..');

/** The API as its own process (`api/main.ts`), on the harness's database and task queue. */
export interface ApiProcess {
  url: string;
  /** Its Prometheus endpoint, on the listener of its own. */
  metricsUrl: string;
  child: ChildProcess;
  /** SIGKILL: the process gets no chance to finish anything; resolves once it has exited. */
  kill(): Promise<void>;
  /** What the process wrote to stderr (for failure messages). */
  stderr(): string;
}

/**
 * Spawns the API exactly as `npm run api` does, configured through the
 * environment, and waits until /healthz answers. Used to kill the API at a
 * moment of the test's choosing.
 */
export async function spawnApi(h: Harness, env: Record<string, string> = {}): Promise<ApiProcess> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...harnessEnv(h),
      API_HOST: '127.0.0.1',
      API_PORT: String(port),
      API_METRICS_HOST: '127.0.0.1',
      API_METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'silent',
      RATE_LIMIT_PER_MINUTE: String(HARNESS_LIMITS.rateLimitPerMinute),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-10_000);
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const url = `http://127.0.0.1:${port}`;
  const api: ApiProcess = {
    url,
    metricsUrl: `http://${env.API_METRICS_HOST ?? '127.0.0.1'}:${env.API_METRICS_PORT ?? metricsPort}/metrics`,
    child,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stderr: () => stderr,
  };
  try {
    const outcome = await eventually(async () => {
      if (child.exitCode !== null) return 'exited';
      return (await fetch(`${url}/healthz`)).status === 200 && 'up';
    }, 60_000);
    if (outcome === 'exited') throw new Error(`exit code ${child.exitCode}`);
  } catch (err) {
    await api.kill();
    throw new Error(`the API process did not come up: ${String(err)}\n${stderr}`, { cause: err });
  }
  return api;
}
