import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../scripts/stack/ports';
import { startFerretdb, startTemporalDevServer, type FerretdbServer, type TemporalDevServer } from '../../scripts/stack/servers';
import type { HarnessServers } from './harness';
import { testStack } from './stack';

/**
 * A Temporal dev server and a FerretDB of one test file's own, on free ports and
 * in a directory under the run's temporary directory, for tests that stop and
 * restart them (which would break every other file on the shared stack).
 * Each restarts on the same port and the same files, as a real restart would.
 */
export interface PrivateStack extends HarnessServers {
  dir: string;
  /** SIGTERM, then waits for the process to exit. */
  stopTemporal(): Promise<void>;
  /** Starts the dev server again on the same port and `--db-filename`; resolves once it answers. */
  startTemporal(): Promise<void>;
  stopFerretdb(): Promise<void>;
  /** Starts FerretDB again on the same port and SQLite directory; resolves once it answers. */
  startFerretdb(): Promise<void>;
  /** Stops both (whatever is still running). */
  stop(): Promise<void>;
}

/**
 * `temporal: false` or `ferretdb: false` keeps that one on the run's shared
 * stack (its stop/start then refuse: the shared servers are not this file's to stop).
 */
export async function startPrivateStack(name: string, opts: { temporal?: boolean; ferretdb?: boolean } = {}): Promise<PrivateStack> {
  const shared = testStack();
  const ownTemporal = opts.temporal !== false;
  const ownFerretdb = opts.ferretdb !== false;
  const dir = fs.mkdtempSync(path.join(shared.dir, `${name}-`));
  const [temporalPort, ferretdbPort] = [await freePort(), await freePort()];

  const temporalOptions = {
    binary: shared.temporalBinary,
    port: temporalPort,
    uiPort: 0,
    namespace: 'default',
    dbFile: path.join(dir, 'temporal.db'),
    logFile: path.join(dir, 'temporal.log'),
    headless: true,
  };
  const ferretdbOptions = {
    binary: shared.ferretdbBinary,
    port: ferretdbPort,
    handler: 'sqlite' as const,
    sqliteDir: path.join(dir, 'ferretdb'),
    logFile: path.join(dir, 'ferretdb.log'),
  };
  fs.mkdirSync(ferretdbOptions.sqliteDir, { recursive: true });

  let [temporal, ferretdb]: [TemporalDevServer | undefined, FerretdbServer | undefined] = await Promise.all([
    ownTemporal ? startTemporalDevServer(temporalOptions) : undefined,
    ownFerretdb ? startFerretdb(ferretdbOptions) : undefined,
  ]);
  const notOurs = (what: string) => new Error(`${what} is the run's shared one: start the private stack with it to stop it`);

  const stack: PrivateStack = {
    dir,
    temporalAddress: temporal?.address ?? shared.temporalAddress,
    mongoUri: ferretdb?.uri ?? shared.mongoUri,
    async stopTemporal() {
      if (!ownTemporal) throw notOurs('Temporal');
      await temporal?.stop();
      temporal = undefined;
    },
    async startTemporal() {
      if (!ownTemporal) throw notOurs('Temporal');
      if (temporal) throw new Error('the private Temporal dev server is already running');
      temporal = await startTemporalDevServer(temporalOptions);
    },
    async stopFerretdb() {
      if (!ownFerretdb) throw notOurs('FerretDB');
      await ferretdb?.stop();
      ferretdb = undefined;
    },
    async startFerretdb() {
      if (!ownFerretdb) throw notOurs('FerretDB');
      if (ferretdb) throw new Error('the private FerretDB is already running');
      ferretdb = await startFerretdb(ferretdbOptions);
    },
    async stop() {
      await Promise.all([temporal?.stop(), ferretdb?.stop()]);
      temporal = ferretdb = undefined;
    },
  };
  return stack;
}
