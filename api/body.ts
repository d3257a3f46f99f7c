import { isUtf8 } from 'node:buffer';
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHandler } from 'express';
import { AppError } from './errors';

/** Chunked, or a length above zero: some clients send `Content-Length: 0` on a POST without a body. */
const hasBody = (headers: IncomingHttpHeaders) =>
  headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;

/**
 * Bodies are JSON. The JSON parser skips any other content type, so without this
 * a text/plain body would reach its route as "no body", and a route that reads
 * a missing body as `{}` (completing a task) would act on a request it never read.
 */
export const jsonBodiesOnly: RequestHandler = (req, _res, next) => {
  if (hasBody(req.headers) && !req.is('application/json')) {
    next(new AppError(415, 'unsupported_media_type', 'send the body as JSON, with Content-Type: application/json'));
    return;
  }
  next();
};

/** Far deeper than any request schema (a pipeline with filters nested 5 groups deep is about 15). */
const MAX_BODY_DEPTH = 64;

const refuse = (message: string) => new AppError(400, 'invalid_request', message, { formErrors: [message], fieldErrors: {} });

/**
 * Two things no schema should have to meet. `"__proto__"` as a key: JSON.parse
 * keeps it as an own key, zod drops it from records without a word (a body
 * would be half-applied), and code copying such an object by assignment would
 * swap a prototype. And nesting thousands deep: recursive code (JSON.stringify
 * of the body for Idempotency-Key) would overflow the stack. The walk itself is
 * iterative for that reason.
 */
export const checkBodyStructure: RequestHandler = (req, _res, next) => {
  const pending: Array<[unknown, number]> = [[req.body, 1]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_BODY_DEPTH) return next(refuse(`the body nests deeper than ${MAX_BODY_DEPTH} levels`));
    if (Object.hasOwn(value, '__proto__')) return next(refuse('"__proto__" is not allowed as a key'));
    for (const child of Object.values(value)) pending.push([child, depth + 1]);
  }
  next();
};

/**
 * JSON travels as UTF-8 (RFC 8259). Without this check the parser decodes
 * invalid bytes to U+FFFD and the request goes on as if the client had sent
 * that character: a record would store text nobody wrote. Passed to
 * express.json as `verify`; bodies declared in UTF-16 or UTF-32 are left to it.
 */
export function utf8Only(_req: unknown, _res: unknown, buf: Buffer, encoding: string): void {
  if ((encoding === 'utf-8' || encoding === 'utf8') && !isUtf8(buf)) {
    throw new AppError(400, 'malformed_json', 'the request body is not valid UTF-8', { formErrors: ['the request body is not valid UTF-8'], fieldErrors: {} });
  }
}

const EMPTY_BODY = 'this route takes no body (send none, or {})';

/**
 * Routes of the route table that take no body (publish, disable, revoke, a new
 * API key) would otherwise ignore one, and a caller who sent `{ "version": 9 }`
 * or `{ "userId": ... }` would get a 2xx as if the request had been understood.
 * A body other than `{}` is refused on them, before their handler runs.
 */
export function bodylessRoutes(routes: ReadonlyArray<{ method: string; path: string; body?: unknown }>): RequestHandler {
  const patterns = routes
    .filter((r) => r.method !== 'get' && r.body === undefined)
    .map((r) => ({ method: r.method.toUpperCase(), path: new RegExp(`^${r.path.replace(/:\w+/g, '[^/]+')}/?$`, 'i') }));
  return (req, _res, next) => {
    const body: unknown = req.body;
    const empty = body === undefined || (typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 0);
    if (empty || !patterns.some((p) => p.method === req.method && p.path.test(req.path))) return next();
    next(new AppError(400, 'invalid_request', EMPTY_BODY, { formErrors: [EMPTY_BODY], fieldErrors: {} }));
  };
}
