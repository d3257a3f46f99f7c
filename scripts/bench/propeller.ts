import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import pino from 'pino';
import { createStores, prepareDatabase, type Stores } from '../../activities/store';
import { createApp } from '../../api/app';
import { applyServerTimeouts } from '../../api/limits';
import { connectMongo } from '../../lib/mongo';
import { createWorker } from '../../workers/worker';
import type { PipelineDefinition } from '../../workflows/domain/types';
import { seedDemoWorld, seedTemplates } from '../seed';
import { connectClient, connectWorker, DEFAULT_MAX_CACHED_WORKFLOWS, shortId, terminateOpen } from './env';
import { callApi, type BenchUser } from './http';
import { tallyCommands, type MongoTally } from './mongo-tally';
import type { BenchStack } from './stack';

/**
 * The bench's two callers make far more than the per-key rate limit's 600
 * requests a minute, and a busy 2-core machine can take more than 30 s to
 * answer at concurrency 32: both limits still run, set out of the way, so the
 * figures measure the work rather than the limits.
 */
export const BENCH_LIMITS = { rateLimitPerMinute: 1_000_000, requestTimeoutMs: 600_000 };

/** Propeller as a scenario drives it: the API over HTTP, an in-process worker, a database of its own. */
export interface PropellerEnv {
  taskQueue: string;
  client: Client;
  db: Db;
  stores: Stores;
  /** The API's and the in-process worker's MongoDB commands (they share one client). */
  mongoCommands: MongoTally;
  apiUrl: string;
  /** The demo world's sales user (sources leads), partner A's user (works them) and the admin. */
  users: { admin: BenchUser; sales: BenchUser; partner: BenchUser };
  call<T = Record<string, unknown>>(user: BenchUser, method: string, path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

export interface PropellerOptions {
  /** Part of the task queue and database names. */
  name: string;
  /** Another MongoDB than the stack's (the backend scenario's own FerretDB). */
  mongoUri?: string;
  /** false: no in-process worker (the memory scenario runs the worker as a child process). */
  worker?: boolean;
  /** Pipelines to publish besides the built-in templates. */
  pipelines?: PipelineDefinition[];
}

/**
 * What `npm start` runs, in this process: the demo world and the built-in
 * templates seeded into a fresh database, a worker on a fresh task queue, and
 * the API app listening on a free port (as test/support/harness.ts builds it).
 */
export async function startPropeller(stack: BenchStack, opts: PropellerOptions): Promise<PropellerEnv> {
  const id = `${opts.name}_${shortId()}`;
  const taskQueue = `bench-${id}`;
  const mongo = await connectMongo(opts.mongoUri ?? stack.mongoUri, `bench_${id}`.replace(/-/g, '_'), { monitorCommands: true });
  const mongoCommands = tallyCommands(mongo.client);
  const stores = createStores(mongo.db);
  await prepareDatabase(mongo.db, stores);
  const credentialsFile = path.join(stack.dir, `credentials-${id}.json`);
  const { credentials } = await seedDemoWorld(stores, credentialsFile);
  fs.rmSync(credentialsFile, { force: true });
  await seedTemplates(stores);
  const now = new Date().toISOString();
  const owner = credentials.admin!.companyId;
  for (const def of opts.pipelines ?? []) {
    await stores.pipelines.createDraft(owner, def, 'system', now);
    await stores.pipelines.publish(owner, def.key, 'system', now);
  }
  const user = (login: string): BenchUser => {
    const c = credentials[login];
    if (!c) throw new Error(`the demo world has no ${login}`);
    return { apiKey: c.apiKey, userId: c.userId, companyId: c.companyId };
  };

  const { connection, client } = await connectClient(stack);
  let stopWorker = async () => undefined as void;
  if (opts.worker !== false) {
    const workerConnection = await connectWorker(stack);
    const worker = await createWorker({
      connection: workerConnection,
      namespace: stack.temporal.namespace,
      taskQueue,
      stores,
      maxCachedWorkflows: DEFAULT_MAX_CACHED_WORKFLOWS,
      shutdownGraceMs: 2_000,
      workflowBundlePath: stack.workflowBundlePath,
    });
    const running = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await running;
      await workerConnection.close();
    };
  }

  // Warnings and failed requests only, to a file: the results folder keeps them.
  const logFile = pino.destination({ dest: path.join(stack.logDir, `api-${id}.log`), sync: false });
  const log = pino({ level: 'warn', name: 'api' }, logFile);
  const app = createApp({ temporal: client, taskQueue, db: mongo.db, stores, log, limits: BENCH_LIMITS });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  applyServerTimeouts(server, BENCH_LIMITS.requestTimeoutMs);
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    taskQueue,
    client,
    db: mongo.db,
    stores,
    mongoCommands,
    apiUrl,
    users: { admin: user('admin'), sales: user('sales'), partner: user('partnerA_user') },
    call: (u, method, p, body) => callApi(apiUrl, u, method, p, body),
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await stopWorker();
      await terminateOpen(stack, client, taskQueue);
      await connection.close();
      await mongo.db.dropDatabase().catch(() => undefined);
      await mongo.client.close();
      logFile.end();
    },
  };
}
