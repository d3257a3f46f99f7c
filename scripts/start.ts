import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { ConfigError, loadConfig, mongoUri, temporalAddress, type Config } from '../lib/config';
import { temporalConnectionOptions } from '../lib/temporal';
import { assertPortFree, PortInUseError } from './stack/ports';
import { waitUntil } from './stack/process';
import { ensureConsoleBuilt } from './stack/console-build';
import { printSeed, say, sayRunning, seedStack, ServiceGroup, spawnPropeller, workerPolling } from './stack/propeller';
import { ensureFerretdb, ensureTemporalCli, ProvisionError } from './stack/provision';
import { ensureSearchAttributes } from './stack/search-attributes';
import { startFerretdb, startTemporalDevServer } from './stack/servers';

/**
 * `npm start`: the whole stack on one machine. Starts (or reuses, when
 * TEMPORAL_ADDRESS / MONGODB_URI point elsewhere) the Temporal dev server and
 * FerretDB with their data under DATA_DIR, one worker and the API; seeds the
 * demo world once; prints the URLs and credentials; stops everything on Ctrl-C.
 */

async function checkPorts(config: Config): Promise<void> {
  if (!config.temporal.address) {
    await assertPortFree(config.local.temporalPort, 'TEMPORAL_PORT');
    await assertPortFree(config.local.temporalUiPort, 'TEMPORAL_UI_PORT');
  }
  if (!config.mongo.uri) await assertPortFree(config.local.ferretdbPort, 'FERRETDB_PORT');
  await assertPortFree(config.api.port, 'API_PORT', config.api.host);
  await assertPortFree(config.api.metrics.port, 'API_METRICS_PORT', config.api.metrics.host);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const dataDir = config.local.dataDir;
  const logDir = path.join(dataDir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  await checkPorts(config);

  const group = new ServiceGroup();

  const [temporalBin, ferretdbBin] = await Promise.all([
    config.temporal.address ? undefined : ensureTemporalCli({ cacheDir: config.local.cacheDir, say }),
    config.mongo.uri ? undefined : ensureFerretdb({ cacheDir: config.local.cacheDir, say }),
  ]);

  say('starting Temporal and the database...');
  await Promise.all([
    temporalBin &&
      startTemporalDevServer({
        binary: temporalBin,
        port: config.local.temporalPort,
        uiPort: config.local.temporalUiPort,
        namespace: config.temporal.namespace,
        dbFile: path.join(dataDir, 'temporal.db'),
        logFile: path.join(logDir, 'temporal.log'),
        ownGroup: true,
      }).then((s) => group.add(s.process)),
    ferretdbBin &&
      startFerretdb({
        binary: ferretdbBin,
        port: config.local.ferretdbPort,
        handler: config.local.ferretdbHandler,
        sqliteDir: path.join(dataDir, 'ferretdb'),
        postgresqlUrl: config.local.ferretdbPostgresUrl,
        logFile: path.join(logDir, 'ferretdb.log'),
        ownGroup: true,
      }).then((s) => group.add(s.process)),
  ]);
  if (config.temporal.address) {
    const connection = await Connection.connect(temporalConnectionOptions(config));
    await ensureSearchAttributes(connection, config.temporal.namespace).finally(() => connection.close());
  }

  const seed = await seedStack(config, mongoUri(config), dataDir);

  // The API is told where the Web UI is (its own dev server's, or TEMPORAL_UI_URL) so the console links a run to it.
  const env = { ...process.env, TEMPORAL_ADDRESS: temporalAddress(config), MONGODB_URI: mongoUri(config), ...(config.temporal.webUiUrl && { TEMPORAL_UI_URL: config.temporal.webUiUrl }) };
  // The API serves the console's build: make it when it is missing or older than its sources.
  ensureConsoleBuilt(say);
  const worker = group.add(spawnPropeller('worker', 'workers/main.ts', env, logDir));
  const api = group.add(spawnPropeller('api', 'api/main.ts', env, logDir));

  const apiUrl = `http://${config.api.host}:${config.api.port}`;
  await waitUntil('worker', () => workerPolling(config), { timeoutMs: 120_000, service: worker });
  await waitUntil('API', async () => (await fetch(`${apiUrl}/readyz`)).ok, { timeoutMs: 60_000, service: api });

  sayRunning();
  say(`  API            ${apiUrl}`);
  say(`  Console        ${apiUrl}/console  (sign in with an API key below)`);
  say(`  API metrics    http://${config.api.metrics.host}:${config.api.metrics.port}/metrics`);
  say(`  Temporal UI    ${config.temporal.address ? '(your Temporal service)' : `http://127.0.0.1:${config.local.temporalUiPort}`}`);
  say(`  Temporal       ${temporalAddress(config)} (namespace ${config.temporal.namespace})`);
  say(`  MongoDB URI    ${mongoUri(config)}  (database ${config.mongo.db})`);
  say(`  Data           ${dataDir}   Logs ${logDir}`);
  printSeed(seed, apiUrl);
}

main().catch((err) => {
  const known = err instanceof PortInUseError || err instanceof ProvisionError || err instanceof ConfigError;
  process.stderr.write(`propeller: ${known ? err.message : (err?.stack ?? String(err))}\n`);
  process.exit(1);
});
