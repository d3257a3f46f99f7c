import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { createStores, prepareDatabase } from '../activities/store';
import { ConfigError, loadConfig, mongoUri, temporalAddress, type Config } from '../lib/config';
import { connectMongo } from '../lib/mongo';
import { temporalConnectionOptions } from '../lib/temporal';
import { assertPortFree, PortInUseError } from './stack/ports';
import { readTail, spawnService, waitUntil, type ServiceProcess } from './stack/process';
import { ensureFerretdb, ensureTemporalCli, ProvisionError } from './stack/provision';
import { ensureSearchAttributes } from './stack/search-attributes';
import { startFerretdb, startTemporalDevServer } from './stack/servers';
import { seedDemoWorld, seedTemplates } from './seed';

/**
 * `npm start`: the whole stack on one machine. Starts (or reuses, when
 * TEMPORAL_ADDRESS / MONGODB_URI point elsewhere) the Temporal dev server and
 * FerretDB with their data under DATA_DIR, one worker and the API; seeds the
 * demo world once; prints the URLs and credentials; stops everything on Ctrl-C.
 */
const say = (line: string) => process.stdout.write(`${line}\n`);
const root = path.resolve(__dirname, '..');

async function checkPorts(config: Config): Promise<void> {
  if (!config.temporal.address) {
    await assertPortFree(config.local.temporalPort, 'TEMPORAL_PORT');
    await assertPortFree(config.local.temporalUiPort, 'TEMPORAL_UI_PORT');
  }
  if (!config.mongo.uri) await assertPortFree(config.local.ferretdbPort, 'FERRETDB_PORT');
  await assertPortFree(config.api.port, 'API_PORT', config.api.host);
}

async function workerPolling(config: Config): Promise<boolean> {
  const connection = await Connection.connect(temporalConnectionOptions(config));
  try {
    const { pollers } = await connection.workflowService.describeTaskQueue({
      namespace: config.temporal.namespace,
      taskQueue: { name: config.temporal.taskQueue },
      taskQueueType: proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    return (pollers?.length ?? 0) > 0;
  } finally {
    await connection.close();
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const dataDir = config.local.dataDir;
  const logDir = path.join(dataDir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  await checkPorts(config);

  const services: ServiceProcess[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('\nstopping...');
    for (const s of [...services].reverse()) await s.stop('SIGTERM');
    say('stopped');
    process.exit(code);
  };
  // `on`, not `once`: a terminal's Ctrl-C reaches npm, tsx and this process, and tsx relays it once more;
  // a second SIGINT without a handler would kill this process before it stops the servers.
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  process.once('exit', () => services.forEach((s) => s.child.exitCode === null && s.child.kill('SIGKILL')));

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
      }).then((s) => services.push(s.process)),
    ferretdbBin &&
      startFerretdb({
        binary: ferretdbBin,
        port: config.local.ferretdbPort,
        handler: config.local.ferretdbHandler,
        sqliteDir: path.join(dataDir, 'ferretdb'),
        postgresqlUrl: config.local.ferretdbPostgresUrl,
        logFile: path.join(logDir, 'ferretdb.log'),
        ownGroup: true,
      }).then((s) => services.push(s.process)),
  ]);
  if (config.temporal.address) {
    const connection = await Connection.connect(temporalConnectionOptions(config));
    await ensureSearchAttributes(connection, config.temporal.namespace).finally(() => connection.close());
  }

  const mongo = await connectMongo(mongoUri(config), config.mongo.db);
  const stores = createStores(mongo.db);
  const upgraded = await prepareDatabase(mongo.db, stores);
  const credentialsFile = path.join(dataDir, 'demo-credentials.json');
  const { credentials, created } = await seedDemoWorld(stores, credentialsFile);
  const templates = await seedTemplates(stores);
  await mongo.client.close();

  const env = { ...process.env, TEMPORAL_ADDRESS: temporalAddress(config), MONGODB_URI: mongoUri(config) };
  const node = (name: string, entry: string) =>
    spawnService(name, process.execPath, ['--import', 'tsx', entry], {
      cwd: root,
      env,
      logFile: path.join(logDir, `${name}.log`),
      ownGroup: true,
    });
  const worker = node('worker', 'workers/main.ts');
  services.push(worker);
  const api = node('api', 'api/main.ts');
  services.push(api);
  for (const s of services) {
    void s.exited.then((code) => {
      if (stopping) return;
      say(`${s.name} exited unexpectedly (code ${code}); its log ends with:\n${readTail(s.logFile)}`);
      void stopAll(1);
    });
  }

  const apiUrl = `http://${config.api.host}:${config.api.port}`;
  await waitUntil('worker', () => workerPolling(config), { timeoutMs: 120_000, service: worker });
  await waitUntil('API', async () => (await fetch(`${apiUrl}/readyz`)).ok, { timeoutMs: 60_000, service: api });

  say('');
  say('Propeller is running.');
  say(`  API            ${apiUrl}`);
  say(`  Temporal UI    ${config.temporal.address ? '(your Temporal service)' : `http://127.0.0.1:${config.local.temporalUiPort}`}`);
  say(`  Temporal       ${temporalAddress(config)} (namespace ${config.temporal.namespace})`);
  say(`  MongoDB URI    ${mongoUri(config)}  (database ${config.mongo.db})`);
  say(`  Data           ${dataDir}   Logs ${logDir}`);
  if (upgraded.adoptedBy) say(`  Upgraded       ${upgraded.pipelines} pipelines (${upgraded.versions} versions) and ${upgraded.partners} partner companies now belong to ${upgraded.adoptedBy}`);
  say(`  Templates      ${templates.length > 0 ? `published ${templates.join(', ')}` : 'already published'}`);
  say(`  Demo users     ${created ? 'created' : 'reused'}; keys in ${credentialsFile}`);
  for (const [login, c] of Object.entries(credentials)) {
    say(`    ${login.padEnd(16)} ${c.apiKey}  (${c.roles.join(', ')}, ${c.company ?? c.companyId})`);
  }
  say(`  Try: curl -H "Authorization: Bearer ${credentials.admin?.apiKey}" ${apiUrl}/v1/me`);
  say('Press Ctrl-C to stop.');
}

main().catch((err) => {
  const known = err instanceof PortInUseError || err instanceof ProvisionError || err instanceof ConfigError;
  process.stderr.write(`propeller: ${known ? err.message : (err?.stack ?? String(err))}\n`);
  process.exit(1);
});
