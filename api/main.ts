import { createStores, prepareDatabase } from '../activities/store';
import { loadConfig, mongoUri } from '../lib/config';
import { createLogger } from '../lib/logger';
import { createMetrics } from '../lib/metrics';
import { startMetricsServer } from '../lib/metrics-server';
import { connectMongo } from '../lib/mongo';
import { egressPolicy } from '../lib/egress';
import { connectTemporal } from '../lib/temporal';
import { createApp } from './app';
import { applyServerTimeouts } from './limits';

/** How often this process deletes expired idempotency keys. */
const IDEMPOTENCY_SWEEP_MS = 10 * 60_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'api');
  const mongo = await connectMongo(mongoUri(config), config.mongo.db);
  const stores = createStores(mongo.db);
  const upgraded = await prepareDatabase(mongo.db, stores);
  if (upgraded.adoptedBy) log.info(upgraded, 'pipelines from before companies owned them now belong to the first owner company');
  const temporal = await connectTemporal(config);
  const metrics = createMetrics('api');
  const metricsServer = await startMetricsServer({ ...config.api.metrics, registry: metrics.registry }).catch((err: NodeJS.ErrnoException) => {
    const hint = err.code === 'EADDRINUSE' ? `port ${config.api.metrics.port} is already in use; set API_METRICS_PORT to use another port` : err.message;
    throw new Error(`metrics listener on ${config.api.metrics.host}:${config.api.metrics.port}: ${hint}`, { cause: err });
  });
  const app = createApp({
    temporal: temporal.client,
    taskQueue: config.temporal.taskQueue,
    db: mongo.db,
    stores,
    log,
    metrics,
    webhookEgress: egressPolicy(config.webhooks.allowNetworks),
    operatorKeyTtlMs: config.api.operatorKeyTtlMs,
    ...(config.temporal.webUiUrl ? { temporalWebUi: { url: config.temporal.webUiUrl, namespace: config.temporal.namespace } } : {}),
    limits: { rateLimitPerMinute: config.api.rateLimitPerMinute, requestTimeoutMs: config.api.requestTimeoutMs, admission: config.api.admission },
  });

  const server = app.listen(config.api.port, config.api.host);
  applyServerTimeouts(server, config.api.requestTimeoutMs);
  server.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') {
      process.stderr.write(`api: port ${config.api.port} is already in use; set API_PORT to use another port\n`);
    } else {
      process.stderr.write(`api: ${err.message}\n`);
    }
    process.exit(1);
  });
  server.on('listening', () => log.info({ port: config.api.port, metrics: `${config.api.metrics.host}:${config.api.metrics.port}` }, 'api listening'));

  // Idempotency keys expire after a day: swept here, as FerretDB 1.24 has no TTL indexes (activities/store/idempotency.ts).
  // So are the webhook events of GET /v1/events after 30 days (activities/store/event-feed.ts).
  const sweep = () => {
    void stores.idempotency
      .sweep(new Date())
      .then((n) => n > 0 && log.info({ expired: n }, 'idempotency keys swept'))
      .catch((err: unknown) => log.warn({ err }, 'idempotency sweep failed; the next one retries'));
    void stores.eventFeed
      .sweep(new Date())
      .then((n) => n > 0 && log.info({ expired: n }, 'webhook events older than 30 days swept'))
      .catch((err: unknown) => log.warn({ err }, 'event feed sweep failed; the next one retries'));
  };
  const sweeper = setInterval(sweep, IDEMPOTENCY_SWEEP_MS);
  sweeper.unref();
  sweep();

  // Stop accepting, let in-flight requests finish, then close the connections and exit 0. A kept-alive
  // connection is closed as soon as it goes idle: a client that keeps sending on one (any pooled HTTP
  // client does) would otherwise be served by a stopping process for as long as it keeps sending.
  const shutdown = (signal: string) => {
    log.info({ signal }, 'api stopping');
    clearInterval(sweeper);
    const closer = setInterval(() => server.closeIdleConnections(), 50);
    metricsServer.close();
    server.close(() => {
      clearInterval(closer);
      void Promise.all([temporal.connection.close(), mongo.client.close()]).finally(() => {
        log.info('api stopped');
        process.exit(0);
      });
    });
    server.closeIdleConnections();
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err) => {
  process.stderr.write(`api: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
