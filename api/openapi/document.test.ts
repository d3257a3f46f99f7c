import { z } from 'zod';
import { openApiDocument, routeTable } from './document';
import { ERROR_CODES, ERROR_CODE_LIST, PROBLEM_TYPE_BASE } from '../error-codes';

type Doc = { info: { description: string }; paths: Record<string, Record<string, any>>; components: { schemas: Record<string, unknown>; headers: Record<string, unknown>; responses: Record<string, any> } };
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
        const found = response.content?.['application/json']?.schema;
        // An error answer is the shared Error narrowed to its codes: allOf [Error, { error.code enum }].
        const schema = found?.allOf ? found.allOf[0] : found;
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
    const refs = (status: string) => Object.keys(doc.paths['/v1/instances']!.post.responses[status].headers);
    expect(refs('429')).toEqual(expect.arrayContaining(['RateLimit', 'RateLimit-Policy', 'Retry-After']));
    expect(refs('503')).toContain('Retry-After');
    expect(refs('409')).toContain('Retry-After');
    const responses = [...Object.values(doc.components.responses), ...operations.flatMap(({ op }) => Object.values(op.responses as Record<string, any>))];
    for (const { $ref } of responses.flatMap((r) => Object.values((r.headers ?? {}) as Record<string, { $ref: string }>))) {
      expect(doc.components.headers).toHaveProperty([$ref.replace('#/components/headers/', '')]);
    }
  });
});

/** The codes an operation's error response of this status names in the enum of error.code. */
const enumOf = (response: any): string[] => response.content['application/json'].schema.allOf[1].properties.error.properties.code.enum;
const errorStatuses = (op: any) => Object.keys(op.responses as Record<string, unknown>).filter((s) => /^[45]\d\d$/.test(s));

describe('the error codes in the OpenAPI document', () => {
  it('When an operation is read, then each of its error statuses names its codes, each of the catalogue and answered with that status', () => {
    for (const { key, op } of operations) {
      const statuses = errorStatuses(op);
      expect([key, statuses]).toEqual([key, expect.arrayContaining(['500', '503'])]);
      for (const status of statuses) {
        const response = op.responses[status];
        const codes = enumOf(response);
        expect([key, status, codes.length > 0]).toEqual([key, status, true]);
        expect([key, status, codes.filter((c) => !(ERROR_CODES as Record<string, { status: readonly number[] }>)[c]?.status.includes(Number(status)))]).toEqual([key, status, []]);
        expect([key, status, codes.filter((c) => !response.description.includes(c))]).toEqual([key, status, []]);
        expect(response.content['application/json'].schema.allOf[0]).toEqual({ $ref: '#/components/schemas/Error' });
      }
      expect([key, op['x-error-codes']]).toEqual([key, Object.fromEntries(statuses.map((s) => [s, enumOf(op.responses[s])]))]);
    }
  });

  it('When the scopes are applied, then every authenticated operation, every POST and every If-Match lists the codes of its scope', () => {
    for (const route of routeTable) {
      const op = doc.paths[route.path.replace(/:(\w+)/g, '{$1}')]![route.method]!;
      const listed = Object.values(op['x-error-codes'] as Record<string, string[]>).flat();
      expect([route.operationId, listed]).toEqual([route.operationId, expect.arrayContaining(['internal', 'timeout'])]);
      if (!route.public) expect([route.operationId, listed]).toEqual([route.operationId, expect.arrayContaining(['unauthenticated', 'rate_limited', 'invalid_request', 'database_unavailable'])]);
      if (route.method === 'post') expect([route.operationId, listed]).toEqual([route.operationId, expect.arrayContaining(['idempotency_key_reused', 'idempotency_in_progress'])]);
      if (route.ifMatch) expect([route.operationId, op['x-error-codes']['412']]).toEqual([route.operationId, expect.arrayContaining(['stale_version'])]);
    }
    expect(doc.paths['/v1/instances/{id}/moves']!.post['x-error-codes']['409']).toEqual(expect.arrayContaining(['invalid_transition', 'missing_fields', 'missing_tasks']));
    expect(doc.paths['/v1/instances/{id}/moves']!.post['x-error-codes']['422']).toContain('unknown_stage');
  });

  it('When the catalogue is read, then every code is answered by some operation (or, method_not_allowed, by a path) and the description lists it with its problem type', () => {
    const reached = new Set(operations.flatMap(({ op }) => Object.values(op['x-error-codes'] as Record<string, string[]>).flat()));
    expect(ERROR_CODE_LIST.filter((code) => !reached.has(code) && ERROR_CODES[code].scope !== 'path')).toEqual([]);
    expect(doc.info.description).toContain(`${PROBLEM_TYPE_BASE}<code>`);
    expect(ERROR_CODE_LIST.filter((code) => !doc.info.description.includes(`\`${code}\``))).toEqual([]);
    expect((doc.components.schemas.Error as any).properties.error.properties.code.enum).toEqual(ERROR_CODE_LIST);
  });
});
