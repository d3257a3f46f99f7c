import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, type Config } from '../lib/config';
import { defaultLayout, parsePostgresUrl, postgresDatabaseUrl } from './stack/cluster-config';
import { ensureDatabase, startTemporalCluster } from './stack/cluster';
import { assertPortFree, PortInUseError } from './stack/ports';
import { startTogether, waitUntil } from './stack/process';
import { ensureConsoleBuilt } from './stack/console-build';
import { printSeed, say, sayRunning, seedStack, ServiceGroup, spawnPropeller, workerPolling } from './stack/propeller';
import { ensureFerretdb, ensureTemporalCluster, ProvisionError } from './stack/provision';
import { startFerretdb } from './stack/servers';

/**
 * `npm run cluster`: Propeller in its production shape on one machine. A
 * Temporal cluster on PostgreSQL (4 history shards; frontend, two history
 * processes, matching and the worker service as separate processes on their
 * own loopback addresses), the Web UI, FerretDB on PostgreSQL, two Propeller
 * workers and two API processes. The same conventions as `npm start`: pinned
 * binaries built once into the cache, a second start reuses the data (the
 * PostgreSQL databases), Ctrl-C stops everything.
 */
export const CLUSTER_DATABASES = { temporal: 'propeller_temporal', visibility: 'propeller_temporal_visibility' };
export const CLUSTER_FERRETDB_DATABASE = 'propeller_ferretdb';
const API_PROCESSES = 2;
const WORKER_PROCESSES = 2;

async function checkPorts(config: Config): Promise<void> {
  await assertPortFree(config.local.temporalPort, 'TEMPORAL_PORT');
  await assertPortFree(config.local.temporalUiPort, 'TEMPORAL_UI_PORT');
  await assertPortFree(config.local.ferretdbPort, 'FERRETDB_PORT');
  for (let i = 0; i < API_PROCESSES; i++) await assertPortFree(config.api.port + i, 'API_PORT', config.api.host);
  for (let i = 0; i < API_PROCESSES; i++) await assertPortFree(config.api.metrics.port + i, 'API_METRICS_PORT', config.api.metrics.host);
  for (let i = 0; i < WORKER_PROCESSES; i++) await assertPortFree(config.worker.metrics.port + i, 'WORKER_METRICS_PORT', config.worker.metrics.host);
}

async function main(): Promise<void> {
  const config = loadConfig();
  if (config.temporal.address || config.mongo.uri) {
    throw new ConfigError(['TEMPORAL_ADDRESS / MONGODB_URI: `npm run cluster` starts its own servers; unset them (or use `npm start`, which reuses yours)']);
  }
  const dataDir = path.join(config.local.dataDir, 'cluster');
  const logDir = path.join(dataDir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  await checkPorts(config);
  const group = new ServiceGroup();

  const [clusterBin, ferretdbBin] = await Promise.all([
    ensureTemporalCluster({ cacheDir: config.local.cacheDir, say }),
    ensureFerretdb({ cacheDir: config.local.cacheDir, say }),
  ]);

  const pg = parsePostgresUrl(config.local.temporalPostgresUrl);
  const ferretdbUrl = config.local.ferretdbPostgresUrl ?? postgresDatabaseUrl(pg, CLUSTER_FERRETDB_DATABASE);
  if (!config.local.ferretdbPostgresUrl) await ensureDatabase(clusterBin, pg, CLUSTER_FERRETDB_DATABASE);

  const layout = defaultLayout({ frontendPort: config.local.temporalPort, uiPort: config.local.temporalUiPort });
  const [cluster, ferretdb] = await startTogether(
    startTemporalCluster(
      { binary: clusterBin, dir: dataDir, layout, pg, databases: CLUSTER_DATABASES, namespace: config.temporal.namespace, ui: true, ownGroup: true },
      say,
    ),
    startFerretdb({
      binary: ferretdbBin,
      port: config.local.ferretdbPort,
      handler: 'postgresql',
      sqliteDir: path.join(dataDir, 'ferretdb'),
      postgresqlUrl: ferretdbUrl,
      logFile: path.join(logDir, 'ferretdb.log'),
      ownGroup: true,
    }),
  );
  for (const node of [...layout.nodes.map((n) => n.name), 'ui']) group.add(cluster.process(node)!);
  group.add(ferretdb.process);

  const seed = await seedStack(config, ferretdb.uri, config.local.dataDir);
  const base = { ...process.env, TEMPORAL_ADDRESS: cluster.address, MONGODB_URI: ferretdb.uri, ...(cluster.uiUrl && { TEMPORAL_UI_URL: cluster.uiUrl }) };
  // The API serves the console's build: make it when it is missing or older than its sources.
  ensureConsoleBuilt(say);
  const workers = Array.from({ length: WORKER_PROCESSES }, (_, i) =>
    group.add(spawnPropeller(`worker-${i + 1}`, 'workers/main.ts', { ...base, WORKER_METRICS_PORT: String(config.worker.metrics.port + i) }, logDir)),
  );
  const apiUrls = Array.from({ length: API_PROCESSES }, (_, i) => `http://${config.api.host}:${config.api.port + i}`);
  const apis = apiUrls.map((_, i) => group.add(spawnPropeller(`api-${i + 1}`, 'api/main.ts', { ...base, API_PORT: String(config.api.port + i), API_METRICS_PORT: String(config.api.metrics.port + i) }, logDir)));

  await waitUntil('workers', () => workerPolling(config, cluster.address, WORKER_PROCESSES), { timeoutMs: 120_000, service: workers[0] });
  await Promise.all(
    apis.map((api, i) => waitUntil(api.name, async () => (await fetch(`${apiUrls[i]}/readyz`)).ok, { timeoutMs: 60_000, service: api })),
  );

  sayRunning('on a Temporal cluster');
  say(`  API            ${apiUrls.join('  ')}`);
  say(`  Console        ${apiUrls.map((u) => `${u}/console`).join('  ')}  (sign in with an API key below)`);
  say(`  Temporal UI    ${cluster.uiUrl}`);
  say(`  Temporal       ${cluster.address} (namespace ${config.temporal.namespace}, ${layout.nodes.length} processes on PostgreSQL ${pg.host}:${pg.port})`);
  for (const node of layout.nodes) say(`    ${node.name.padEnd(12)} ${node.ip}:${node.grpcPort}`);
  say(`  MongoDB URI    ${ferretdb.uri}  (database ${config.mongo.db}; FerretDB on PostgreSQL)`);
  say(`  Workers        ${workers.length}   Logs ${logDir}`);
  printSeed(seed, apiUrls[0]!);
}

main().catch((err) => {
  const known = err instanceof PortInUseError || err instanceof ProvisionError || err instanceof ConfigError;
  process.stderr.write(`propeller cluster: ${known ? err.message : (err?.stack ?? String(err))}\n`);
  process.exit(1);
});
