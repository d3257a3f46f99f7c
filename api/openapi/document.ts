import { z } from 'zod';
import { AUTHENTICATED_ERRORS, ERROR_RESPONSES, ErrorBody, Responses, type RouteSpec } from './route-spec';
import { setupRoutes } from './table-setup';
import { workRoutes } from './table-work';

/** Every route of the API, in the order the document lists them. */
export const routeTable: readonly RouteSpec[] = [...setupRoutes, ...workRoutes];

type JsonObject = Record<string, unknown>;

/** What a client sends: `io: 'input'` describes a schema before its defaults and transforms apply. */
function jsonSchema(schema: z.ZodType): JsonObject {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
  return rest;
}

/** `/v1/instances/:id` → `/v1/instances/{id}` */
export const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

const pathNames = (path: string) => [...path.matchAll(/:(\w+)/g)].map((m) => m[1]!);

function queryParameters(query: z.ZodObject): JsonObject[] {
  const { properties = {}, required = [] } = jsonSchema(query) as { properties?: Record<string, JsonObject>; required?: string[] };
  return Object.entries(properties).map(([name, schema]) => ({ name, in: 'query', required: required.includes(name), schema }));
}

function parameters(route: RouteSpec): JsonObject[] {
  for (const name of Object.keys(route.params ?? {})) {
    if (!pathNames(route.path).includes(name)) throw new Error(`${route.method} ${route.path}: no path parameter "${name}"`);
  }
  const inPath = pathNames(route.path).map((name) => {
    const schema = route.params?.[name];
    return { name, in: 'path', required: true, schema: schema ? jsonSchema(schema) : { type: 'string' } };
  });
  const headers = [
    (route.idempotent || route.method === 'post') && { $ref: '#/components/parameters/IdempotencyKey' },
    route.ifMatch && { $ref: '#/components/parameters/IfMatch' },
  ].filter((p): p is { $ref: string } => p !== undefined);
  return [...inPath, ...(route.query ? queryParameters(route.query) : []), ...headers];
}

function responses(route: RouteSpec): JsonObject {
  const { status, description, schema = Responses.object, contentType = 'application/json', alternative } = route.ok;
  const content = Object.fromEntries(
    [contentType, ...(alternative ? [alternative] : [])].map((type) => [type, { schema: type === 'application/json' ? jsonSchema(schema) : { type: 'string' } }]),
  );
  const errors = new Set([...(route.public ? [] : AUTHENTICATED_ERRORS), ...(route.idempotent || route.method === 'post' ? [409, 422] : []), ...(route.errors ?? [])]);
  const refusals = [...errors].sort((a, b) => a - b).map((code) => {
    const known = ERROR_RESPONSES[code];
    if (!known) throw new Error(`${route.method} ${route.path}: no description for status ${code}`);
    return [String(code), { $ref: `#/components/responses/${known.name}` }];
  });
  return { [String(status)]: { description, content }, ...Object.fromEntries(refusals) };
}

const operationId = (route: RouteSpec) =>
  route.method + route.path.replace(/[^A-Za-z0-9]+(\w)?/g, (_m, next: string | undefined) => (next ?? '').toUpperCase());

function operation(route: RouteSpec): JsonObject {
  const params = parameters(route);
  return {
    operationId: operationId(route),
    summary: route.summary,
    tags: [route.tag],
    ...(route.public && { security: [] }),
    ...(params.length > 0 && { parameters: params }),
    ...(route.body && {
      requestBody: { required: !route.bodyOptional, content: { 'application/json': { schema: jsonSchema(route.body) } } },
    }),
    responses: responses(route),
  };
}

function components(): JsonObject {
  const error = { $ref: '#/components/schemas/Error' };
  return {
    schemas: { Error: jsonSchema(ErrorBody) },
    responses: Object.fromEntries(
      Object.values(ERROR_RESPONSES).map(({ name, description }) => [name, { description, content: { 'application/json': { schema: error } } }]),
    ),
    parameters: {
      IdempotencyKey: {
        name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$' },
        description:
          'Taken on every POST. The same caller sending the same key to the same route within 24 h gets the first answer again (Idempotent-Replayed: true), and nothing runs twice; another body with the key is 422 idempotency_key_reused; a retry while the first still runs is 409 idempotency_in_progress (Retry-After). Refusals before the operation ran (400, 401, 403, 404, 405, 408, 413, 415, 429) and 5xx are not kept.',
      },
      IfMatch: {
        name: 'If-Match', in: 'header', required: false, schema: { type: 'string', examples: ['"3"'] },
        description: 'The version (ETag) the caller last saw; when it is no longer the current one, 412 stale_version and nothing changes.',
      },
    },
    securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: Authorization: Bearer <key>' } },
  };
}

function build(): JsonObject {
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const route of routeTable) {
    const item = (paths[openApiPath(route.path)] ??= {});
    if (item[route.method]) throw new Error(`${route.method} ${route.path} is in the route table twice`);
    item[route.method] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Propeller API',
      version: '1', // the API's version, as in the /v1 paths; Propeller's own is in /healthz
      description: 'CRM stage pipelines on Temporal. Every error is { error: { code, message, details, requestId } }; send Accept: application/problem+json for RFC 9457 problem details (with the same error member).',
    },
    tags: [...new Set(routeTable.map((r) => r.tag))].map((name) => ({ name })),
    security: [{ apiKey: [] }],
    paths,
    components: components(),
  };
}

let built: JsonObject | undefined;

/** Built once, on first use: the schemas do not change while the process runs. */
export function openApiDocument(): JsonObject {
  return (built ??= build());
}
