import { createApp } from '../../api/app';
import { ErrorBody } from '../../api/openapi/route-spec';
import { createLogger } from '../../lib/logger';
import { call, seedUser } from '../support/auth';
import { startHarness, type Harness } from '../support/harness';
import { expressRoutes, validateOpenApi } from '../support/openapi';

let h: Harness;
let doc: any;

beforeAll(async () => {
  h = await startHarness({ worker: false });
  const res = await call(h, 'GET', '/openapi.json');
  expect(res.status).toBe(200);
  doc = res.body;
});
afterAll(async () => {
  await h?.stop();
});

const operations = () =>
  Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })),
  );

describe('GET /openapi.json', () => {
  it('When it is fetched without an API key, then it is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await validateOpenApi(doc);
    expect(result.version).toBe('3.1');
    // Both together, so a failure prints the validator's errors.
    expect({ valid: result.valid, errors: result.errors }).toEqual({ valid: true, errors: [] });
  });

  it('When the express routes are compared with the document, then each is in the other', () => {
    const app = createApp({ temporal: h.client, taskQueue: h.taskQueue, db: h.db, stores: h.stores, log: createLogger('silent', 'api') });
    const routed = expressRoutes(app).map((route) => route.replace(/:(\w+)/g, '{$1}'));
    expect(new Set(routed).size).toBe(routed.length);
    expect(routed.length).toBeGreaterThan(40);
    expect(operations().map((o) => o.key).sort()).toEqual(routed.sort());
  });

  it('When the start body is read from the document, then pipelineKey and recordId are required', () => {
    const body = doc.paths['/v1/instances'].post.requestBody;
    expect(body.required).toBe(true);
    const schema = body.content['application/json'].schema;
    expect(schema.required).toEqual(expect.arrayContaining(['pipelineKey', 'recordId']));
    expect(schema.additionalProperties).toBe(false);
  });

  it('When a filter path is read from the document, then its description names every kind of path with an example', () => {
    const text = JSON.stringify(doc);
    for (const kind of ['`record.<field>`', '`<link>.<field>`', '`owner.department`', '`user.id`', '`user.attributes.<name>`', 'account.industry', 'user.attributes.region']) {
      expect(text).toContain(kind);
    }
  });

  it('When an operation can fail, then each 4xx and 5xx answer is the shared error envelope, its code narrowed to those listed', () => {
    const envelope = { $ref: '#/components/schemas/Error' };
    type ErrorAnswer = { description: string; content: { 'application/json': { schema: { allOf: Array<{ $ref?: string; properties?: any }> } } } };
    for (const { key, op } of operations()) {
      const failures = Object.entries(op.responses as Record<string, ErrorAnswer>).filter(([status]) => Number(status) >= 400);
      if (op.security === undefined) expect([key, failures.map(([s]) => s)]).toEqual([key, expect.arrayContaining(['400', '401'])]);
      for (const [status, response] of failures) {
        const [shared, narrowed] = response.content['application/json'].schema.allOf;
        expect([key, status, shared]).toEqual([key, status, envelope]);
        const codes: string[] = narrowed?.properties.error.properties.code.enum ?? [];
        expect([key, status, codes.length > 0, response.description]).toEqual([key, status, true, expect.stringContaining(`Codes: ${codes.join(', ')}.`)]);
      }
    }
  });

  it('When a body breaks the documented schema, then the 400 has the documented error shape', async () => {
    const user = await seedUser(h);
    const res = await call(h, 'POST', '/v1/instances', { user, body: { pipelineKey: 'deals' } });
    expect(res.status).toBe(400);
    expect(ErrorBody.safeParse(res.body).success).toBe(true);
    expect(res.body.error.details.fieldErrors).toHaveProperty('recordId');
  });
});

describe('GET /docs', () => {
  it('When the page is fetched, then it loads only local assets and each answers 200', async () => {
    const res = await fetch(`${h.apiUrl}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain("url: '/openapi.json'");
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toEqual(expect.arrayContaining([expect.stringMatching(/\.js$/), expect.stringMatching(/\.css$/)]));
    for (const asset of assets) {
      expect(asset).toMatch(/^\/docs\/assets\//);
      const answer = await fetch(`${h.apiUrl}${asset}`);
      expect([asset, answer.status]).toEqual([asset, 200]);
      if (!asset.endsWith('.css')) continue;
      const urls = [...(await answer.text()).matchAll(/url\(\s*["']?([^"')\s]+)/g)].map((m) => m[1]!);
      expect(urls.filter((url) => !url.startsWith('data:'))).toEqual([]);
    }
  });

  it('When a file of the package the page does not use is asked for, then it is not served', async () => {
    const res = await call(h, 'GET', '/docs/assets/index.html');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});
