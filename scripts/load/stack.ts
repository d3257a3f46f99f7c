import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../lib/config';
import { freePort } from '../stack/ports';
import { waitUntil } from '../stack/process';
import { seedStack, spawnPropeller } from '../stack/propeller';
import { shortId } from '../bench/env';
import type { Say } from '../bench/load';
import { spawnWorker } from '../bench/worker-process';
import { DEFAULT_MAX_CACHED_WORKFLOWS } from '../bench/env';
import type { BenchStack } from '../bench/stack';
import type { PropellerKeys } from './sides';

/** The per-key limit of the API the load test starts: out of the way, so capacity is not the limiter's 600 a minute. */
export const LOAD_RATE_LIMIT = 1_000_000;

export interface PropellerTarget {
  urls: string[];
  keys: PropellerKeys;
  mongo?: { uri: string; db: string };
  rateLimit: string;
  stop(): Promise<void>;
}

/**
 * What `npm start` runs, as processes of their own on the bench's servers: the
 * demo world seeded into a fresh database, `npm run worker` and `npm run api`
 * (free ports, RATE_LIMIT_PER_MINUTE raised), and the bare worker process.
 */
export async function startPropellerProcesses(stack: BenchStack, say: Say): Promise<PropellerTarget> {
  const db = `load_${shortId()}`;
  const taskQueue = `load-${db}`;
  const config = loadConfig({ ...process.env, MONGODB_URI: stack.mongoUri, MONGODB_DB: db });
  const seed = await seedStack(config, stack.mongoUri, stack.dir);
  const port = await freePort();
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: stack.temporal.address,
    TEMPORAL_NAMESPACE: stack.temporal.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    MONGODB_URI: stack.mongoUri,
    MONGODB_DB: db,
    WORKFLOW_BUNDLE_PATH: stack.workflowBundlePath,
    API_PORT: String(port),
    API_METRICS_PORT: String(await freePort()),
    WORKER_METRICS_PORT: String(await freePort()),
    RATE_LIMIT_PER_MINUTE: String(LOAD_RATE_LIMIT),
    LOG_LEVEL: 'warn',
  };
  say(`starting the worker and the API (database ${db})...`);
  const worker = spawnPropeller('worker', 'workers/main.ts', env, stack.logDir);
  const api = spawnPropeller('api', 'api/main.ts', env, stack.logDir);
  const url = `http://127.0.0.1:${port}`;
  await waitUntil('API', async () => (await fetch(`${url}/readyz`)).ok, { timeoutMs: 120_000, service: api });
  const c = seed.credentials;
  return {
    urls: [url],
    keys: { sales: c.sales!.apiKey, partner: c.partnerA_user!.apiKey, admin: c.admin!.apiKey, partnerCompanyId: c.partnerA_user!.companyId },
    mongo: { uri: stack.mongoUri, db },
    rateLimit: `RATE_LIMIT_PER_MINUTE raised to ${LOAD_RATE_LIMIT} for the API it started`,
    async stop() {
      await api.stop('SIGTERM');
      await worker.stop('SIGTERM');
    },
  };
}

/** A running API given by URL(s) and the demo credentials file it wrote (`npm start`, `npm run cluster`, or any). */
export function givenTarget(urls: string[], credentialsFile: string, mongo?: { uri: string; db: string }): PropellerTarget {
  const c = JSON.parse(fs.readFileSync(path.resolve(credentialsFile), 'utf8')) as Record<string, { apiKey: string; companyId: string }>;
  const need = (login: string) => {
    if (!c[login]) throw new Error(`${credentialsFile} has no ${login}`);
    return c[login];
  };
  return {
    urls,
    keys: { sales: need('sales').apiKey, partner: need('partnerA_user').apiKey, admin: need('admin').apiKey, partnerCompanyId: need('partnerA_user').companyId },
    mongo,
    rateLimit: "the target's own RATE_LIMIT_PER_MINUTE (start it with a high one: the loader uses one sales and one partner key); 429s count as errors",
    stop: async () => undefined,
  };
}

/** Bare Temporal's worker as a process of its own, as Propeller's is. */
export async function startBareWorker(stack: BenchStack): Promise<{ taskQueue: string; stop(): Promise<void> }> {
  const taskQueue = `load-bare-${shortId()}`;
  const opts = { address: stack.temporal.address, namespace: stack.temporal.namespace, taskQueue, bundlePath: stack.baselineBundlePath, maxCachedWorkflows: DEFAULT_MAX_CACHED_WORKFLOWS };
  const worker = await spawnWorker(require.resolve('../bench/baseline-worker'), [JSON.stringify(opts)], process.env, path.join(stack.logDir, 'bare-worker.log'));
  return { taskQueue, stop: () => worker.stop() };
}
