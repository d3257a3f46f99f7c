import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { DEV_SERVER_DYNAMIC_CONFIG } from './dynamic-config';
import { spawnService, waitUntil, type ServiceProcess } from './process';
import { ensureSearchAttributes, searchAttributeFlags } from './search-attributes';

export interface TemporalDevServer {
  address: string;
  uiUrl: string;
  /** The server's Prometheus metrics, when started with a metrics port. */
  metricsUrl?: string;
  process: ServiceProcess;
  stop(): Promise<void>;
}

export interface TemporalDevServerOptions {
  binary: string;
  port: number;
  uiPort: number;
  namespace: string;
  dbFile: string;
  logFile: string;
  /** Without the Web UI (saves memory on CI runs that do not need it). */
  headless?: boolean;
  /** Serves the server's Prometheus metrics on this port (none without). */
  metricsPort?: number;
  ownGroup?: boolean;
}

/** A server that never got ready is stopped, not left running with nobody to stop it. */
async function stoppedOnFailure(proc: ServiceProcess, ready: () => Promise<void>): Promise<void> {
  try {
    await ready();
  } catch (err) {
    await proc.stop('SIGKILL');
    throw err;
  }
}

async function temporalAnswers(address: string, namespace: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1_000 });
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } finally {
    await connection.close();
  }
}

/**
 * `temporal server start-dev` on a SQLite file, with the project's search
 * attributes: registered by flag when the file is new, and created through the
 * operator service when an existing file lacks any.
 */
export async function startTemporalDevServer(opts: TemporalDevServerOptions): Promise<TemporalDevServer> {
  fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
  const address = `127.0.0.1:${opts.port}`;
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--namespace',
    opts.namespace,
    '--db-filename',
    opts.dbFile,
    '--log-level',
    'warn',
    ...(opts.headless ? ['--headless'] : ['--ui-ip', '127.0.0.1', '--ui-port', String(opts.uiPort)]),
    ...(opts.metricsPort ? ['--metrics-port', String(opts.metricsPort)] : []),
    ...searchAttributeFlags(),
    ...Object.entries(DEV_SERVER_DYNAMIC_CONFIG).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]),
  ];
  const proc = spawnService('temporal', opts.binary, args, { logFile: opts.logFile, ownGroup: opts.ownGroup });
  await stoppedOnFailure(proc, async () => {
    await waitUntil('Temporal dev server', () => temporalAnswers(address, opts.namespace), {
      timeoutMs: 60_000,
      service: proc,
    });
    const connection = await Connection.connect({ address });
    try {
      await ensureSearchAttributes(connection, opts.namespace);
    } finally {
      await connection.close();
    }
  });

  return {
    address,
    uiUrl: `http://127.0.0.1:${opts.uiPort}`,
    ...(opts.metricsPort ? { metricsUrl: `http://127.0.0.1:${opts.metricsPort}/metrics` } : {}),
    process: proc,
    stop: () => proc.stop('SIGTERM'),
  };
}

export interface FerretdbServer {
  uri: string;
  process: ServiceProcess;
  stop(): Promise<void>;
}

export interface FerretdbOptions {
  binary: string;
  port: number;
  handler: 'sqlite' | 'postgresql';
  sqliteDir: string;
  postgresqlUrl?: string;
  logFile: string;
  ownGroup?: boolean;
}

export async function mongoAnswers(uri: string): Promise<boolean> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 1_000, connectTimeoutMS: 1_000 });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return true;
  } finally {
    await client.close();
  }
}

export async function startFerretdb(opts: FerretdbOptions): Promise<FerretdbServer> {
  const uri = `mongodb://127.0.0.1:${opts.port}/`;
  const args = [
    '--listen-addr',
    `127.0.0.1:${opts.port}`,
    '--handler',
    opts.handler,
    '--sqlite-dir',
    opts.sqliteDir,
    ...(opts.postgresqlUrl ? ['--postgresql-url', opts.postgresqlUrl] : []),
  ];
  const proc = spawnService('ferretdb', opts.binary, args, { logFile: opts.logFile, ownGroup: opts.ownGroup });
  await stoppedOnFailure(proc, () => waitUntil('FerretDB', () => mongoAnswers(uri), { timeoutMs: 30_000, service: proc }));
  return { uri, process: proc, stop: () => proc.stop('SIGTERM') };
}
