import { z } from 'zod';
import { openApiDocument, routeTable } from './document';

type Doc = { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, unknown>; headers: Record<string, unknown>; responses: Record<string, any> } };
const doc = openApiDocument() as Doc;
const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ key: `${method} ${path}`, op })));
const named = (schema: z.ZodType) => z.globalRegistry.get(schema)?.id;

describe('the OpenAPI document', () => {
  it('When every route is read, then each has its own hand-named operationId and a summary of at most 80 characters', () => {
    const ids = routeTable.map((r) => r.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const route of routeTable) expect([route.path, route.operationId]).toEqual([route.path, expect.stringMatching(/^[a-z][A-Za-z]+$/)]);
    expect(routeTable.filter((r) => r.summary.length > 80).map((r) => r.path)).toEqual([]);
    expect(ids).toEqual(expect.arrayContaining(['listRecords', 'createRecord', 'getRecord', 'updateRecord', 'searchRecords', 'moveInstance', 'acceptLead', 'completeTask', 'startInstance', 'listInstances']));
  });

  it('When a JSON answer is described, then it is a $ref to a named output schema with an example that parses', () => {
    for (const route of routeTable) {
      const { schema } = route.ok;
      if (!schema) continue;
      const example = (z.globalRegistry.get(schema)?.examples as unknown[] | undefined)?.[0];
      const parsed = schema.safeParse(example);
      expect([route.operationId, parsed.success ? 'ok' : z.prettifyError(parsed.error)]).toEqual([route.operationId, 'ok']);
      // Parsing strips what the schema does not know: an example with a field the schema lacks would differ.
      expect([route.operationId, parsed.data]).toEqual([route.operationId, example]);
      const content = doc.paths[route.path.replace(/:(\w+)/g, '{$1}')]![route.method]!.responses[String(route.ok.status)].content['application/json'];
      expect(content.schema).toEqual({ $ref: `#/components/schemas/${named(schema)}` });
      expect(content.example).toEqual(example);
    }
  });

  it('When the components are listed, then the named shapes the client needs are there and no answer is an untyped object', () => {
    const wanted = ['Record', 'Instance', 'InstanceListItem', 'Pipeline', 'PipelineVersion', 'AuditEvent', 'AuditEntry', 'Webhook', 'Company', 'User', 'ApiKey', 'Forecast', 'Funnel', 'Scorecard', 'RecordPage', 'InstancePage', 'AuditEventList'];
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(wanted));
    for (const { key, op } of operations) {
      for (const [status, response] of Object.entries(op.responses as Record<string, any>)) {
        const schema = response.content?.['application/json']?.schema;
        if (schema) expect([key, status, schema]).toEqual([key, status, { $ref: expect.stringMatching(/^#\/components\/schemas\//) }]);
      }
    }
  });

  it('When an operation answers, then its headers and a default error are documented', () => {
    for (const { key, op } of operations) {
      const [status, ok] = Object.entries(op.responses as Record<string, any>).find(([s]) => s.startsWith('2'))!;
      const headers = Object.keys(ok.headers);
      expect([key, headers]).toEqual([key, expect.arrayContaining(['X-Request-Id'])]);
      if (status === '201') expect([key, headers]).toEqual([key, expect.arrayContaining(['Location'])]);
      if (key.startsWith('post ')) expect([key, headers]).toEqual([key, expect.arrayContaining(['Idempotent-Replayed'])]);
      expect([key, op.responses.default]).toEqual([key, { $ref: '#/components/responses/Error' }]);
    }
    const ok = (path: string, method: string) => Object.keys(doc.paths[path]![method].responses['200'].headers);
    expect(ok('/v1/records/{type}/{id}', 'get')).toContain('ETag');
    expect(ok('/v1/instances', 'get')).toEqual(expect.arrayContaining(['Link', 'Deprecation']));
    expect(ok('/v1/records/{type}/search', 'post')).not.toContain('Link');
    const refs = (name: string) => Object.keys(doc.components.responses[name].headers);
    expect(refs('RateLimited')).toEqual(expect.arrayContaining(['RateLimit', 'RateLimit-Policy', 'Retry-After']));
    expect(refs('Unavailable')).toContain('Retry-After');
    expect(refs('Conflict')).toContain('Retry-After');
    for (const { $ref } of Object.values(doc.components.responses).flatMap((r) => Object.values(r.headers as Record<string, { $ref: string }>))) {
      expect(doc.components.headers).toHaveProperty([$ref.replace('#/components/headers/', '')]);
    }
  });
});
