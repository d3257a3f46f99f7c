import http from 'node:http';
import type { Registry } from 'prom-client';

/**
 * A process's Prometheus endpoint (GET /metrics), on a listener of its own so
 * that it is reachable only where its host and port put it, never through the
 * API's public port. The worker's also passes the Temporal SDK's metrics
 * through (the native runtime exports those on a loopback port of its own), so
 * one scrape target has both.
 */
export function startMetricsServer(opts: { host: string; port: number; registry: Registry; sdkMetricsUrl?: string }): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    void (async () => {
      const own = await opts.registry.metrics();
      const sdk = opts.sdkMetricsUrl
        ? await fetch(opts.sdkMetricsUrl)
            .then((r) => (r.ok ? r.text() : ''))
            .catch(() => '')
        : '';
      res.writeHead(200, { 'content-type': opts.registry.contentType }).end(sdk ? `${own}\n${sdk}` : own);
    })().catch((err: Error) => res.writeHead(500).end(`${err.message}\n`));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve(server));
  });
}
