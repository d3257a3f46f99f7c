import { z } from 'zod';
import { COMMON_HEADERS, ErrorBody, type RouteSpec } from './route-spec';
import { catalogueText, errorResponses } from './error-responses';
import { HEADERS } from './headers';
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
  ].filter((p): p is { $ref: string } => typeof p === 'object');
  return [...inPath, ...(route.query ? queryParameters(route.query) : []), ...headers];
}

/** The id an output schema is named by (`.meta({ id })`): the document refers to it, never inlines it. */
function schemaId(route: RouteSpec, schema: z.ZodType): string {
  const id = z.globalRegistry.get(schema)?.id;
  if (!id) throw new Error(`${route.method} ${route.path}: its JSON answer needs an output schema named with .meta({ id }) (api/schemas/responses)`);
  return id;
}

const headerRefs = (names: readonly string[]) => Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]));

/** What a success answer carries: the request id always, and the headers its route sets. */
function successHeaders(route: RouteSpec, id: string | undefined): JsonObject {
  // Only lists read with GET go through sendPage (Link rel="next", Deprecation for offset); a search answers its page as it is.
  // A route whose default answer is deprecated (deprecatedDefault) sends Deprecation and Link rel="deprecation" too.
  const isList = route.method === 'get' && id !== undefined && /(List|Page)$/.test(id);
  return headerRefs([
    ...COMMON_HEADERS,
    ...(route.ok.etag ? ['ETag'] : []),
    ...(route.ok.status === 201 ? ['Location'] : []),
    ...(route.method === 'post' ? ['Idempotent-Replayed'] : []),
    ...(isList || route.deprecatedDefault ? ['Link', 'Deprecation'] : []),
  ]);
}

function responses(route: RouteSpec): JsonObject {
  const { status, description, schema, contentType = 'application/json', alternative } = route.ok;
  const types = [contentType, ...(alternative ? [alternative] : [])];
  if (types.includes('application/json') && !schema) throw new Error(`${route.method} ${route.path}: a JSON answer needs an output schema`);
  const id = schema ? schemaId(route, schema) : undefined;
  const example = schema ? (z.globalRegistry.get(schema)?.examples as unknown[] | undefined)?.[0] : undefined;
  if (id && example === undefined) throw new Error(`${route.method} ${route.path}: ${id} has no example`);
  const content = Object.fromEntries(
    types.map((type) => [type, type === 'application/json' ? { schema: { $ref: `#/components/schemas/${id}` }, example } : { schema: { type: 'string' } }]),
  );
  return {
    [String(status)]: { description, headers: successHeaders(route, id), content },
    ...errorResponses(route).responses,
    default: { $ref: '#/components/responses/Error' },
  };
}

const MAX_SUMMARY = 80;

function operation(route: RouteSpec): JsonObject {
  if (route.summary.length > MAX_SUMMARY) throw new Error(`${route.method} ${route.path}: summary longer than ${MAX_SUMMARY} characters (move the rest to description)`);
  const params = parameters(route);
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description && { description: route.description }),
    tags: [route.tag],
    ...(route.public && { security: [] }),
    ...(params.length > 0 && { parameters: params }),
    ...(route.body && {
      requestBody: { required: !route.bodyOptional, content: { 'application/json': { schema: jsonSchema(route.body) } } },
    }),
    responses: responses(route),
    'x-error-codes': errorResponses(route).codes,
  };
}

/** Every output schema named with `.meta({ id })`, as OpenAPI components, referring to each other by `$ref`. */
function outputSchemas(): Record<string, JsonObject> {
  const { schemas } = z.toJSONSchema(z.globalRegistry, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` });
  return Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _dialect, $id: _id, ...schema }]) => [id, schema]));
}

function components(): JsonObject {
  const error = { $ref: '#/components/schemas/Error' };
  return {
    schemas: { Error: jsonSchema(ErrorBody), ...outputSchemas() },
    responses: {
      Error: { description: 'Any other error: the shared envelope, with a code of the catalogue to act on.', headers: headerRefs(COMMON_HEADERS), content: { 'application/json': { schema: error } } },
    },
    headers: HEADERS,
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
  const ids = new Set<string>();
  for (const route of routeTable) {
    if (ids.has(route.operationId)) throw new Error(`operationId ${route.operationId} is used twice`);
    ids.add(route.operationId);
    const item = (paths[openApiPath(route.path)] ??= {});
    if (item[route.method]) throw new Error(`${route.method} ${route.path} is in the route table twice`);
    item[route.method] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Propeller API',
      version: '1', // the API's version, as in the /v1 paths; Propeller's own is in /healthz
      description: `CRM stage pipelines on Temporal.\n\n## Errors\n\n${catalogueText()}`,
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
