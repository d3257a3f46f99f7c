import { spawnApi } from '../support/api-process';
import { call, seedUser, type TestUser } from '../support/auth';
import { startHarness, type Harness } from '../support/harness';
import { freePort } from '../../scripts/stack/ports';

/**
 * Issue 32, item 7: the API's metrics (business counters by route, pipeline
 * and reason) are not public. They are served on a listener of their own, on
 * 127.0.0.1 unless API_METRICS_HOST and API_METRICS_PORT move it; the API's
 * own port answers /metrics with 404, with a key or without.
 */
describe("The API's metrics on a listener of their own", () => {
  let h: Harness;
  let admin: TestUser;

  beforeAll(async () => {
    h = await startHarness({ worker: false });
    admin = await seedUser(h, { roles: ['admin'] });
  });
  afterAll(async () => h?.stop());

  it('When /metrics is asked of the API port, then it is not there (401 without a key, 404 with one); the metrics listener on API_METRICS_HOST:API_METRICS_PORT has them', async () => {
    const port = await freePort();
    // Another loopback address than 127.0.0.1: the setting moves the listener, and nothing listens where it was.
    const api = await spawnApi(h, { API_METRICS_HOST: '127.0.0.2', API_METRICS_PORT: String(port) });
    try {
      const asked = await fetch(`${api.url}/v1/me`, { headers: admin.headers });
      expect(asked.status).toBe(200);
      // Like any route that is not there: 401 without a key (every route but the public ones needs one), 404 with one.
      for (const [headers, status] of [[{}, 401], [admin.headers, 404]] as const) {
        const res = await fetch(`${api.url}/metrics`, { headers });
        expect(res.status).toBe(status);
        expect(await res.text()).not.toContain('propeller_http_requests_total');
      }
      expect(api.metricsUrl).toBe(`http://127.0.0.2:${port}/metrics`);
      const metrics = await (await fetch(api.metricsUrl)).text();
      expect(metrics).toMatch(/^propeller_http_requests_total\{.*route="\/v1\/me".*status="200".*\} 1$/m);
      expect(metrics).toContain('propeller_build_info');
      await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
    } finally {
      await api.kill();
    }
  });

  it('When /openapi.json is read, then /metrics is not among its routes and the health and documentation routes are the only public ones', async () => {
    const doc = (await call(h, 'GET', '/openapi.json')).body as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    expect(doc.paths['/metrics']).toBeUndefined();
    const open = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([, op]) => Array.isArray(op.security) && op.security.length === 0)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(open.sort()).toEqual(['GET /docs', 'GET /healthz', 'GET /openapi.json', 'GET /readyz']);
  });
});
