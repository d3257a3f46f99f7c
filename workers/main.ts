import { Client } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { createStores, prepareDatabase } from '../activities/store';
import { loadConfig, mongoUri } from '../lib/config';
import { egressPolicy } from '../lib/egress';
import { createLogger } from '../lib/logger';
import { createMetrics } from '../lib/metrics';
import { connectMongo } from '../lib/mongo';
import { temporalConnectionOptions } from '../lib/temporal';
import { temporalLogger } from '../lib/temporal-logger';
import { freePort } from '../scripts/stack/ports';
import { startMetricsServer } from '../lib/metrics-server';
import { startRollupFolder } from './rollup-folder';
import { backfillViews } from './view-backfill';
import { createWorker } from './worker';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'worker');
  const metrics = createMetrics('worker');
  const sdkMetricsAddress = `127.0.0.1:${await freePort()}`;
  // Before any connection: the runtime carries the SDK's logger and metrics exporter.
  Runtime.install({
    logger: temporalLogger(log),
    telemetryOptions: {
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      metrics: { prometheus: { bindAddress: sdkMetricsAddress } },
    },
  });

  const mongo = await connectMongo(mongoUri(config), config.mongo.db);
  const stores = createStores(mongo.db);
  const upgraded = await prepareDatabase(mongo.db, stores);
  if (upgraded.adoptedBy) log.info(upgraded, 'pipelines from before companies owned them now belong to the first owner company');
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  const worker = await createWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    stores,
    metrics,
    webhookEgress: { policy: egressPolicy(config.webhooks.allowNetworks) },
    webhookRetry: config.webhooks.retry,
    maxCachedWorkflows: config.worker.maxCachedWorkflows,
    shutdownGraceMs: config.worker.shutdownGraceMs,
    workflowBundlePath: config.worker.workflowBundlePath,
  });
  const metricsServer = await startMetricsServer({
    ...config.worker.metrics,
    registry: metrics.registry,
    sdkMetricsUrl: `http://${sdkMetricsAddress}/metrics`,
  });
  log.info(
    { taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace, metricsPort: config.worker.metrics.port },
    'worker started',
  );
  const folder = startRollupFolder(stores.rollup, config.worker.rollupFoldIntervalMs, log);
  // The SDK stops polling on SIGINT/SIGTERM and lets running activities finish within the shutdown grace time.
  const running = worker.run();
  // Once the worker polls, so that the runs 1.0 left answer the query their views are completed from.
  backfillViews(new Client({ connection, namespace: config.temporal.namespace }), stores).then(
    (report) => {
      if (report.running + report.closed + report.skipped > 0) log.info(report, 'instance views of 1.0 completed');
    },
    (err: unknown) => log.error({ err }, 'completing the instance views of 1.0 failed; the next start tries again'),
  );
  await running;
  await folder.stop();
  metricsServer.close();
  await connection.close();
  await mongo.client.close();
  log.info('worker stopped');
}

main().catch((err) => {
  process.stderr.write(`worker: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
