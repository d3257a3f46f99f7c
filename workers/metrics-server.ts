import http from 'node:http';
import type { Registry } from 'prom-client';

/**
 * The worker's Prometheus endpoint: Propeller's own metrics followed by the
 * Temporal SDK's (the native runtime exports those on a loopback port of its
 * own, which this endpoint reads through, so one scrape target has both).
 */
export function startMetricsServer(opts: { host: string; port: number; registry: Registry; sdkMetricsUrl: string }): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    void (async () => {
      const own = await opts.registry.metrics();
      const sdk = await fetch(opts.sdkMetricsUrl)
        .then((r) => (r.ok ? r.text() : ''))
        .catch(() => '');
      res.writeHead(200, { 'content-type': opts.registry.contentType }).end(`${own}\n${sdk}`);
    })().catch((err: Error) => res.writeHead(500).end(`${err.message}\n`));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve(server));
  });
}
