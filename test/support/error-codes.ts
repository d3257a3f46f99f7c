import { ERROR_CODES, ERROR_CODE_LIST } from '../../api/error-codes';
import { openApiDocument, openApiPath, routeTable } from '../../api/openapi/document';
import { onAnswer, type Answer } from './auth';

type Operations = Record<string, Record<string, { 'x-error-codes'?: Record<string, string[]> }>>;

const routes = routeTable.map((route) => ({
  route,
  pattern: new RegExp(`^${route.path.replace(/[.]/g, '\\.').replace(/:\w+/g, '[^/]+')}/?$`, 'i'),
  params: (route.path.match(/:\w+/g) ?? []).length,
}));

/** The route a request reached: of the routes its method and path match, the one with the fewest parameters (search before :id). */
function routeOf(method: string, path: string) {
  const bare = path.split('?')[0]!;
  const matching = routes.filter((r) => r.route.method === method.toLowerCase() && r.pattern.test(bare));
  return matching.sort((a, b) => a.params - b.params)[0]?.route;
}

/**
 * What an answer with no operation behind it may be: no such route (404) or
 * not with this method (405), after the checks in front of every
 * authenticated operation (a path without a key is 401 before it is 404).
 */
const PATH_CODES: Record<string, string[]> = { '404': ['not_found'] };
for (const code of ERROR_CODE_LIST) {
  const { scope, status } = ERROR_CODES[code];
  if (scope === 'path' || scope === 'every' || scope === 'authenticated') (PATH_CODES[String(status[0])] ??= []).push(code);
}

/**
 * Why an error answer is not what the OpenAPI document says its operation
 * answers (its status, or its code under that status), or undefined when it is.
 */
export function undocumentedError({ method, path, status, body }: Answer): string | undefined {
  if (status < 400) return undefined;
  const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
  const route = routeOf(method, path);
  const listed = route
    ? (openApiDocument().paths as Operations)[openApiPath(route.path)]![route.method]!['x-error-codes']?.[String(status)]
    : PATH_CODES[String(status)];
  if (typeof code === 'string' && listed?.includes(code)) return undefined;
  const where = route ? route.operationId : 'no operation';
  return `${method} ${path} (${where}) answered ${status} ${String(code)}; the document lists ${listed ? listed.join(', ') : `no ${status}`}`;
}

/** Collects, from now until `stop`, every error answer `call` gets that the document does not list for its operation. */
export function watchErrorCodes(): { answered: () => number; undocumented: () => string[]; stop: () => void } {
  let answered = 0;
  const found: string[] = [];
  const stop = onAnswer((answer) => {
    if (answer.status >= 400) answered++;
    const problem = undocumentedError(answer);
    if (problem) found.push(problem);
  });
  return { answered: () => answered, undocumented: () => [...found], stop };
}
