import { ERROR_CODES, ERROR_CODE_LIST, PROBLEM_TYPE_BASE, type ErrorCode, type ErrorScope } from '../error-codes';
import { COMMON_HEADERS, ERROR_HEADERS, ERROR_RESPONSES, type RouteSpec } from './route-spec';

type JsonObject = Record<string, unknown>;

/** The scopes a route is in: which of the catalogue's route-independent codes it answers. */
function scopesOf(route: RouteSpec): Set<ErrorScope> {
  const paged = route.query !== undefined && 'cursor' in route.query.shape;
  return new Set<ErrorScope>([
    'every',
    ...(route.public ? [] : (['authenticated'] as const)),
    ...(route.method === 'post' || route.idempotent ? (['post'] as const) : []),
    ...(route.ifMatch ? (['ifMatch'] as const) : []),
    ...(paged ? (['paged'] as const) : []),
    ...(route.temporal ? (['temporal'] as const) : []),
  ]);
}

/**
 * The codes an operation can answer, by status: those of its scopes (each
 * under its first status, the one the scope answers it with) and its own.
 */
export function operationErrors(route: RouteSpec): Map<number, ErrorCode[]> {
  const byStatus = new Map<number, Set<ErrorCode>>();
  const add = (status: number, code: ErrorCode) => {
    if (!ERROR_CODES[code].status.includes(status)) throw new Error(`${route.operationId}: ${code} is not answered with ${status}`);
    (byStatus.get(status) ?? byStatus.set(status, new Set()).get(status)!).add(code);
  };
  const scopes = scopesOf(route);
  for (const code of ERROR_CODE_LIST) if (scopes.has(ERROR_CODES[code].scope)) add(ERROR_CODES[code].status[0]!, code);
  for (const entry of route.codes ?? []) {
    if (typeof entry === 'object') add(entry.status, entry.code);
    else for (const status of ERROR_CODES[entry].status) add(status, entry);
  }
  return new Map([...byStatus].sort(([a], [b]) => a - b).map(([status, codes]) => [status, [...codes].sort()]));
}

const headerRefs = (names: readonly string[]) => Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]));

/** One error response of an operation: its codes named in the description and as the enum of `error.code`. */
function errorResponse(route: RouteSpec, status: number, codes: ErrorCode[]): JsonObject {
  const known = ERROR_RESPONSES[status];
  if (!known) throw new Error(`${route.method} ${route.path}: no description for status ${status}`);
  const schema = {
    allOf: [
      { $ref: '#/components/schemas/Error' },
      { type: 'object', properties: { error: { type: 'object', properties: { code: { type: 'string', enum: codes } } } } },
    ],
  };
  return {
    description: `${known.description} Codes: ${codes.join(', ')}.`,
    headers: headerRefs([...COMMON_HEADERS, ...(ERROR_HEADERS[status] ?? [])]),
    content: { 'application/json': { schema } },
  };
}

/** An operation's error responses by status, and its `x-error-codes` (the same codes, by status, for tools). */
export function errorResponses(route: RouteSpec): { responses: JsonObject; codes: Record<string, ErrorCode[]> } {
  const errors = operationErrors(route);
  return {
    responses: Object.fromEntries([...errors].map(([status, codes]) => [String(status), errorResponse(route, status, codes)])),
    codes: Object.fromEntries([...errors].map(([status, codes]) => [String(status), codes])),
  };
}

const SCOPE_NAMES: Record<ErrorScope, string> = {
  path: 'any path without the operation asked for (after the checks of every authenticated operation: without a key, 401 comes first; no route at all is 404 not_found)',
  every: 'every operation',
  authenticated: 'every operation behind an API key',
  post: 'every POST (Idempotency-Key)',
  ifMatch: 'every operation that reads If-Match',
  paged: 'every list read by cursor',
  temporal: 'every operation that waits on a pipeline instance',
  operation: 'the operations that list it',
};

/** The catalogue as the document's info.description tells it: every code, its statuses and meaning, grouped by where it applies. */
export function catalogueText(): string {
  const lines = (Object.keys(SCOPE_NAMES) as ErrorScope[]).map((scope) => {
    const codes = ERROR_CODE_LIST.filter((code) => ERROR_CODES[code].scope === scope);
    const listed = codes.map((code) => `- \`${code}\` (${ERROR_CODES[code].status.join(', ')}): ${ERROR_CODES[code].meaning}`);
    return `Answered by ${SCOPE_NAMES[scope]}:\n\n${listed.join('\n')}`;
  });
  return [
    `Every error is \`{ error: { code, message, details, requestId } }\`; send \`Accept: application/problem+json\` for RFC 9457 problem details, whose \`type\` is \`${PROBLEM_TYPE_BASE}<code>\` (with the same error member).`,
    "Act on `code`, never on `message`. Each operation lists, for each error status, the codes it can answer (the response's description, the enum of `error.code`, and the operation's `x-error-codes`). The catalogue:",
    ...lines,
  ].join('\n\n');
}
