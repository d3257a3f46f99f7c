import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { MongoClient } from 'mongodb';
import type { Config } from '../../lib/config';
import { temporalConnectionOptions } from '../../lib/temporal';
import { bundleWorkflows } from '../../workers/bundle';
import { freePort } from '../stack/ports';
import { ensureFerretdb, ensureTemporalCli, FERRETDB_VERSION, TEMPORAL_CLI_VERSION } from '../stack/provision';
import { startFerretdb, startTemporalDevServer } from '../stack/servers';
import { quietRuntime, type TemporalTarget } from './env';
import type { ServerPids } from './cpu';
import type { Say } from './load';

export const BASELINE_WORKFLOWS_PATH = require.resolve('./baseline-workflows');

/** The servers and bundles every scenario runs on: the bench's own, or ones it was pointed at. */
export interface BenchStack {
  /** Temporary files (bundles, databases); removed at stop. */
  dir: string;
  /** The servers' and the API's logs; kept (the results folder for `npm run bench`). */
  logDir: string;
  temporal: TemporalTarget;
  mongoUri: string;
  workflowBundlePath: string;
  baselineBundlePath: string;
  /** Set when the bench started FerretDB itself (or was handed the binary); the backend scenario needs it. */
  ferretdbBinary?: string;
  cacheDir?: string;
  /** The PostgreSQL the backend scenario puts FerretDB on (FERRETDB_POSTGRESQL_URL, else the scenario's default). */
  postgresqlUrl?: string;
  /** Servers the bench did not start: it leaves them running and removes what it ran there. */
  external: boolean;
  /** The processes of the servers the bench started, for the CPU split of a scenario. */
  pids: ServerPids;
  versions: Record<string, string>;
  stop(): Promise<void>;
}

async function writeBundle(file: string, code: Promise<string>): Promise<string> {
  fs.writeFileSync(file, await code);
  return file;
}

/** The baseline's bundle with the SDK's defaults, as a plain Temporal project would build it (Propeller's: `bundleWorkflows`). */
async function baselineBundle(): Promise<string> {
  return (await bundleWorkflowCode({ workflowsPath: BASELINE_WORKFLOWS_PATH, logger: new DefaultLogger('WARN') })).code;
}

/** What the servers say they are, for the result's "versions". */
async function serverVersions(stack: Pick<BenchStack, 'temporal' | 'mongoUri'>): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  const connection = await Connection.connect(stack.temporal);
  try {
    const info = await connection.workflowService.getSystemInfo({});
    versions.temporalServer = info.serverVersion ?? 'unknown';
  } finally {
    await connection.close();
  }
  const mongo = new MongoClient(stack.mongoUri, { serverSelectionTimeoutMS: 5_000 });
  try {
    const build = await mongo.db('admin').command({ buildInfo: 1 });
    versions.mongoServer = 'ferretdbVersion' in build ? `FerretDB (wire version ${build.version})` : `MongoDB ${build.version}`;
  } finally {
    await mongo.close();
  }
  return versions;
}

/**
 * Starts the bench's own stack (a headless Temporal dev server and FerretDB on
 * SQLite, on free ports in a temporary directory) unless TEMPORAL_ADDRESS /
 * MONGODB_URI point at existing services; bundles both workflow sets once.
 */
export async function startBenchStack(config: Readonly<Config>, say: Say, logDir: string): Promise<BenchStack> {
  fs.mkdirSync(logDir, { recursive: true });
  quietRuntime(path.join(logDir, 'sdk.log'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'propeller-bench-'));
  const stops: Array<() => Promise<void>> = [];
  const pids: ServerPids = {};
  const cacheDir = config.local.cacheDir;
  const [temporalBinary, ferretdbBinary] = await Promise.all([
    config.temporal.address ? undefined : ensureTemporalCli({ cacheDir, say }),
    config.mongo.uri ? undefined : ensureFerretdb({ cacheDir, say }),
  ]);
  say('starting the bench stack and bundling the workflows...');
  const parts = [
    (async () => {
      if (config.temporal.address) return { ...temporalConnectionOptions(config), namespace: config.temporal.namespace };
      const server = await startTemporalDevServer({
        binary: temporalBinary!,
        port: await freePort(),
        uiPort: await freePort(),
        namespace: 'default',
        dbFile: path.join(dir, 'temporal.db'),
        logFile: path.join(logDir, 'temporal.log'),
        headless: true,
      });
      stops.push(() => server.stop());
      pids.temporal = server.process.child.pid;
      return { address: server.address, namespace: 'default' };
    })(),
    (async () => {
      if (config.mongo.uri) return config.mongo.uri;
      const server = await startFerretdb({
        binary: ferretdbBinary!,
        port: await freePort(),
        handler: 'sqlite',
        sqliteDir: path.join(dir, 'ferretdb'),
        logFile: path.join(logDir, 'ferretdb.log'),
      });
      stops.push(() => server.stop());
      pids.ferretdb = server.process.child.pid;
      return server.uri;
    })(),
    writeBundle(path.join(dir, 'workflow-bundle.js'), bundleWorkflows()),
    writeBundle(path.join(dir, 'baseline-bundle.js'), baselineBundle()),
  ] as const;
  const stopAll = async () => {
    await Promise.all(stops.map((s) => s()));
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // Settled first: when one part fails, the servers the others started are stopped before the error goes up.
  if ((await Promise.allSettled(parts)).some((p) => p.status === 'rejected')) await stopAll();
  const [temporal, mongoUri, workflowBundlePath, baselineBundlePath] = await Promise.all(parts);
  const stack: BenchStack = {
    dir,
    logDir,
    temporal,
    mongoUri,
    workflowBundlePath,
    baselineBundlePath,
    ferretdbBinary,
    cacheDir,
    postgresqlUrl: config.local.ferretdbPostgresUrl,
    external: Boolean(config.temporal.address || config.mongo.uri),
    pids,
    versions: {},
    stop: stopAll,
  };
  const versions = await serverVersions(stack).catch(async (err: unknown) => {
    await stopAll();
    throw err;
  });
  stack.versions = {
    temporalCli: config.temporal.address ? 'external server' : TEMPORAL_CLI_VERSION,
    ...(config.mongo.uri ? {} : { ferretdb: FERRETDB_VERSION }),
    ...versions,
  };
  return stack;
}

/** A stack someone else started (the test run's): only the baseline bundle is built, into `dir`. */
export async function existingStack(existing: {
  dir: string;
  temporalAddress: string;
  mongoUri: string;
  workflowBundlePath: string;
  ferretdbBinary?: string;
}): Promise<BenchStack> {
  quietRuntime();
  const baselineBundlePath = await writeBundle(path.join(existing.dir, `baseline-bundle-${process.pid}.js`), baselineBundle());
  const stack: BenchStack = {
    dir: existing.dir,
    logDir: existing.dir,
    temporal: { address: existing.temporalAddress, namespace: 'default' },
    mongoUri: existing.mongoUri,
    workflowBundlePath: existing.workflowBundlePath,
    baselineBundlePath,
    ferretdbBinary: existing.ferretdbBinary,
    external: true,
    pids: {},
    versions: {},
    stop: async () => fs.rmSync(baselineBundlePath, { force: true }),
  };
  stack.versions = await serverVersions(stack);
  return stack;
}

/** The FerretDB binary for scenarios that start their own (built on first use when the stack has none). */
export async function ferretdbBinaryOf(stack: BenchStack, say: Say): Promise<string> {
  stack.ferretdbBinary ??= await ensureFerretdb({ cacheDir: stack.cacheDir, say });
  return stack.ferretdbBinary;
}
