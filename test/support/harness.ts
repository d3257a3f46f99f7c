import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import type { CommandStartedEvent, Db, MongoClient } from 'mongodb';
import { createStores, prepareDatabase, type Stores } from '../../activities/store';
import { createApp, type AppDeps } from '../../api/app';
import { applyServerTimeouts, DEFAULT_LIMITS } from '../../api/limits';
import type { Resolver } from '../../activities/webhook-send';
import type { WebhookRetry } from '../../workflows/domain/webhook-retry';
import { egressPolicy, parseNetworks } from '../../lib/egress';
import { createLogger } from '../../lib/logger';
import { createMetrics } from '../../lib/metrics';
import { startMetricsServer } from '../../lib/metrics-server';
import { connectMongo } from '../../lib/mongo';
import { apiGrpcInterceptors } from '../../lib/temporal';
import { createWorker } from '../../workers/worker';
import { testStack } from './stack';

let runtimeInstalled = false;
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by another harness in this process.
  }
}

/** Where a harness's Temporal and MongoDB are: the run's shared stack unless a test brings its own. */
export interface HarnessServers {
  temporalAddress: string;
  mongoUri: string;
}

export interface Harness {
  /** A task queue and a database of this test file's own, so files run side by side. */
  taskQueue: string;
  /** Set when the harness runs on servers of the test's own (see test/support/private-stack.ts). */
  servers?: HarnessServers;
  client: Client;
  db: Db;
  stores: Stores;
  apiUrl: string;
  /** The API's Prometheus endpoint, on its own listener as the API process serves it. */
  apiMetricsUrl: string;
  /**
   * The API's error log lines (its 500s, with the error and stack), the last
   * 50: what a fault suite prints when a request answered 500. With
   * TEST_API_LOG_LEVEL set, the API logs to stdout at that level instead.
   */
  apiErrors(): string[];
  /** WEBHOOK_ALLOW_NETWORKS of the harness's API and workers (empty: no internal address). */
  webhookAllowNetworks: string;
  /** How the harness's workers resolve webhook hosts (the system resolver unless the test brings its own). */
  webhookResolve?: Resolver;
  /** When the harness's workers try failed deliveries again (the published schedule unless the test shortens it). */
  webhookRetry?: WebhookRetry;
  stop(): Promise<void>;
}

/** A worker on the harness's task queue, started by `startWorker` (or by `startHarness`). */
export interface TestWorker {
  /** Shuts the worker down gracefully and closes its connection; safe to call twice. */
  stop(): Promise<void>;
}

/** Workers of each harness, so `h.stop()` also stops those a test started and left running. */
const harnessWorkers = new WeakMap<Harness, Set<TestWorker>>();

/**
 * Starts a worker (workflows and activities) on the harness's task queue and
 * database. `startHarness()` starts one itself; `startHarness({ worker: false })`
 * leaves it to the test, which can then decide when work gets picked up.
 */
export async function startWorker(h: Harness): Promise<TestWorker> {
  quietRuntime();
  const stack = testStack();
  const connection = await NativeConnection.connect({ address: serversOf(h).temporalAddress });
  const worker = await createWorker({
    connection,
    namespace: 'default',
    taskQueue: h.taskQueue,
    stores: h.stores,
    webhookEgress: { policy: egressPolicy(parseNetworks(h.webhookAllowNetworks).networks), resolve: h.webhookResolve },
    ...(h.webhookRetry ? { webhookRetry: h.webhookRetry } : {}),
    maxCachedWorkflows: 100,
    shutdownGraceMs: 2_000,
    workflowBundlePath: stack.workflowBundlePath,
  });
  const running = worker.run();
  let stopping: Promise<void> | undefined;
  const handle: TestWorker = {
    stop() {
      stopping ??= (async () => {
        harnessWorkers.get(h)?.delete(handle);
        worker.shutdown();
        await running;
        await connection.close();
      })();
      return stopping;
    },
  };
  let workers = harnessWorkers.get(h);
  if (!workers) harnessWorkers.set(h, (workers = new Set()));
  workers.add(handle);
  return handle;
}

/** A test file sends far more than a client would; the product's default limit (600 a minute per key) is for real callers. */
export const HARNESS_LIMITS = { rateLimitPerMinute: 1_000_000 };

/** The servers a harness (and the workers and processes started for it) talk to. */
export function serversOf(h: Pick<Harness, 'servers'>): HarnessServers {
  if (h.servers) return h.servers;
  const { temporalAddress, mongoUri } = testStack();
  return { temporalAddress, mongoUri };
}

/** The environment a process spawned for the harness (`npm run api`, `npm run worker`) needs to share its servers, database and task queue. */
export function harnessEnv(h: Harness): Record<string, string> {
  const servers = serversOf(h);
  return {
    TEMPORAL_ADDRESS: servers.temporalAddress,
    MONGODB_URI: servers.mongoUri,
    MONGODB_DB: h.db.databaseName,
    TEMPORAL_TASK_QUEUE: h.taskQueue,
    WEBHOOK_ALLOW_NETWORKS: h.webhookAllowNetworks,
    ...(h.webhookRetry
      ? { WEBHOOK_RETRY_SCHEDULE: h.webhookRetry.schedule.map((ms) => `${ms}ms`).join(','), WEBHOOK_DISABLE_AFTER: `${h.webhookRetry.disableAfterMs}ms` }
      : {}),
  };
}

/**
 * The real thing for one test file: a Temporal client and an in-process worker
 * on the run's dev server, a database of its own on the run's FerretDB, and the
 * API app listening on port 0. `api: false` leaves out the API; `worker: false`
 * leaves out the worker (start one with `startWorker(h)`); `servers` puts it on
 * a Temporal server and a FerretDB of the test's own instead of the shared ones.
 * `limits` sets the app's rate limit and request timeout; by default the rate
 * limit is out of reach (HARNESS_LIMITS), so only tests about it meet it.
 */
export async function startHarness(
  opts: {
    api?: boolean;
    worker?: boolean;
    servers?: HarnessServers;
    limits?: AppDeps['limits'];
    /** Sees every command the API and the worker send to MongoDB (they share the harness's client). */
    onCommand?: (event: CommandStartedEvent) => void;
    /**
     * WEBHOOK_ALLOW_NETWORKS for the harness's API and workers: a test that
     * delivers to its own receivers on this machine lets their network through
     * (RECEIVER_NETWORKS); nothing internal passes otherwise.
     */
    webhookAllowNetworks?: string;
    /** A resolver of the test's own for the workers' webhook deliveries (names that resolve to loopback addresses). */
    webhookResolve?: Resolver;
    /** A shortened retry schedule for the workers' webhook deliveries (WEBHOOK_RETRY_SCHEDULE, WEBHOOK_DISABLE_AFTER). */
    webhookRetry?: WebhookRetry;
    /** OPERATOR_KEY_TTL of the harness's API (24 hours without it). */
    operatorKeyTtlMs?: number;
  } = {},
): Promise<Harness> {
  quietRuntime();
  const servers = opts.servers ?? serversOf({});
  const id = crypto.randomBytes(4).toString('hex');
  const taskQueue = `test-${id}`;
  const mongo: { client: MongoClient; db: Db } = await connectMongo(servers.mongoUri, `test_${id}`, { monitorCommands: opts.onCommand !== undefined });
  if (opts.onCommand) mongo.client.on('commandStarted', opts.onCommand);
  const stores = createStores(mongo.db);
  await prepareDatabase(mongo.db, stores);

  // The API's own connection settings: its calls give up on an unreachable server as the product's do.
  const connection = await Connection.connect({ address: servers.temporalAddress, interceptors: apiGrpcInterceptors() });
  const client = new Client({ connection, namespace: 'default' });

  let server: Server | undefined;
  const metrics = createMetrics('api');
  const metricsServer = await startMetricsServer({ host: '127.0.0.1', port: 0, registry: metrics.registry });
  const apiErrors: string[] = [];
  const apiLog = process.env.TEST_API_LOG_LEVEL
    ? createLogger(process.env.TEST_API_LOG_LEVEL, 'api')
    : createLogger('error', 'api', {
        write: (line: string) => {
          // pino-http's line for every 5xx says only its status; the error middleware's line has the error.
          if (!line.includes('"msg":"request errored"')) apiErrors.splice(0, apiErrors.push(line.trimEnd()) - 50);
        },
      });
  const h: Harness = {
    apiErrors: () => [...apiErrors],
    taskQueue,
    ...(opts.servers ? { servers: opts.servers } : {}),
    client,
    db: mongo.db,
    stores,
    apiUrl: '',
    apiMetricsUrl: `http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}/metrics`,
    webhookAllowNetworks: opts.webhookAllowNetworks ?? '',
    ...(opts.webhookResolve ? { webhookResolve: opts.webhookResolve } : {}),
    ...(opts.webhookRetry ? { webhookRetry: opts.webhookRetry } : {}),
    async stop() {
      // Connections are kept 65 s between requests (applyServerTimeouts): close them, or close() waits them out.
      if (server) {
        const closed = new Promise((resolve) => server!.close(resolve));
        server.closeAllConnections();
        await closed;
      }
      await new Promise((resolve) => metricsServer.close(resolve));
      await Promise.all([...(harnessWorkers.get(h) ?? [])].map((w) => w.stop()));
      await connection.close();
      await mongo.client.close();
    },
  };
  if (opts.worker !== false) await startWorker(h);

  if (opts.api !== false) {
    const app = createApp({
      temporal: client,
      taskQueue,
      db: mongo.db,
      stores,
      log: apiLog,
      metrics,
      webhookEgress: egressPolicy(parseNetworks(h.webhookAllowNetworks).networks),
      ...(opts.operatorKeyTtlMs ? { operatorKeyTtlMs: opts.operatorKeyTtlMs } : {}),
      limits: { ...HARNESS_LIMITS, ...opts.limits },
      // The run's Web UI, as `npm start` gives the API its own (TEMPORAL_UI_URL): the console links to it.
      ...(testStack().temporalUiUrl ? { temporalWebUi: { url: testStack().temporalUiUrl, namespace: 'default' } } : {}),
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    applyServerTimeouts(server, opts.limits?.requestTimeoutMs ?? DEFAULT_LIMITS.requestTimeoutMs);
    h.apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  return h;
}

/** Waits for `check` to return a value (not undefined/false), polling until the deadline. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
