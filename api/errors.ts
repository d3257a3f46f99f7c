import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import {
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerClosedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import { ZodError } from 'zod';
import { badRequestDetails } from './schemas/common';
import { isErrorCode, PROBLEM_TYPE_BASE, type ErrorCode } from './error-codes';

/**
 * The one error type routes throw; the middleware turns it into `{ error: { code, message, details } }`.
 * Its code is one of the catalogue (api/error-codes.ts), which the OpenAPI document lists per operation.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what = 'resource') => new AppError(404, 'not_found', `${what} not found`);

/**
 * A pipeline rule's refusal as the API answers it, with its details (which
 * fields, which tasks, which stages). Most are 409: the request is sound but
 * the instance's state refuses it. A stage the pipeline does not have is 422
 * (the request names something that does not exist); a caller who may not see
 * the record gets 404, and fields the caller's company does not own 403. A
 * code the catalogue does not know (a worker newer than this API) is answered
 * as `refused`, so clients see only the codes the document lists.
 */
export function refusal(code: string, message: string, details?: Record<string, unknown>): AppError {
  if (code === 'not_found') return new AppError(404, 'not_found', 'instance not found');
  if (code === 'outside_fields') return new AppError(403, 'forbidden', message, details);
  if (code === 'unknown_stage') return new AppError(422, code, message, details);
  return new AppError(409, isErrorCode(code) ? code : 'refused', message, details);
}

/** Wraps an async route so a rejection reaches the error middleware. */
export const handle =
  (fn: (...args: Parameters<RequestHandler>) => Promise<unknown>): RequestHandler =>
  (req, res, next) => {
    fn(req, res, next).catch(next);
  };

/**
 * The end of the routes: a path the API serves with other methods answers
 * 405 with `Allow` (HEAD goes with GET), any other 404.
 */
export function unknownRoute(routes: ReadonlyArray<{ method: string; path: string }>): RequestHandler {
  const patterns = routes.map((r) => ({ method: r.method.toUpperCase(), path: new RegExp(`^${r.path.replace(/:\w+/g, '[^/]+')}/?$`, 'i') }));
  return (req, res, next) => {
    const methods = [...new Set(patterns.filter((p) => p.path.test(req.path)).map((p) => p.method))];
    if (methods.length > 0) {
      const allow = methods.includes('GET') ? [...methods, 'HEAD'] : methods;
      res.set('Allow', allow.join(', '));
      return next(new AppError(405, 'method_not_allowed', `${req.method} is not allowed on ${req.path}; allowed: ${allow.join(', ')}`, { allow }));
    }
    next(new AppError(404, 'not_found', `no route ${req.method} ${req.path}`));
  };
}

interface BodyParserError {
  type?: string;
  status?: number;
}

/** Server codes of a database that is shutting down or stepping down: the command did not run, a retry soon may. */
const GOING_AWAY_CODES = new Set([91, 189, 10107, 11600, 11602, 13435, 13436]);

/**
 * What FerretDB's InternalError (code 1) says when it is being stopped: its
 * in-flight commands are cancelled, and their SQL transactions and pool closed
 * under them. Seen by stopping it under load (the ferretdb-outage fault suite).
 */
const FERRETDB_STOPPING = /context canceled|sql: transaction has already been committed or rolled back|sql: database is closed|sql: connection is already closed|closed pool/i;

/**
 * The server answered, but only that it is going away: MongoDB's shutdown
 * and step-down codes (the driver labels them RetryableWriteError), and
 * FerretDB's internal errors of a server that is stopping.
 */
function isServerGoingAway(err: unknown): boolean {
  if (!(err instanceof MongoServerError)) return false;
  if (typeof err.code === 'number' && GOING_AWAY_CODES.has(err.code)) return true;
  if (err.hasErrorLabel('RetryableWriteError')) return true;
  return FERRETDB_STOPPING.test(err.message);
}

/**
 * MongoDB did not answer (server selection timed out, the connection dropped,
 * the pool was cleared): the request may work in a moment, so 503, not 500.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  return (
    isServerGoingAway(err) ||
    err instanceof MongoServerSelectionError ||
    err instanceof MongoNetworkError ||
    err instanceof MongoNotConnectedError ||
    err instanceof MongoTopologyClosedError ||
    err instanceof MongoServerClosedError
  );
}

/** Seconds a client is asked to wait before retrying a 503 or 429 the API raised itself. */
const RETRY_AFTER_SECONDS = '2';

export function errorMiddleware(log: { error: (obj: object, msg: string) => void; warn: (obj: object, msg: string) => void }): ErrorRequestHandler {
  return (err, req, res, _next) => {
    // An answer already went out (the request timed out first): one response per request, never a second.
    if (res.headersSent) {
      (req.log ?? log).warn({ err, method: req.method, path: req.path }, 'request ended after its answer was sent');
      return;
    }
    let error: AppError;
    const parserError = err as BodyParserError;
    if (err instanceof AppError) error = err;
    else if (err instanceof ZodError) {
      error = new AppError(400, 'invalid_request', 'the request is not valid', badRequestDetails(err));
    } else if (parserError.type === 'entity.too.large') {
      error = new AppError(413, 'payload_too_large', 'the request body is too large');
    } else if (parserError.type === 'charset.unsupported' || parserError.type === 'encoding.unsupported') {
      error = new AppError(415, 'unsupported_media_type', (err as Error).message);
    } else if (parserError.type === 'entity.parse.failed') {
      error = new AppError(400, 'malformed_json', 'the request body is not valid JSON');
    } else if (parserError.status && parserError.status >= 400 && parserError.status < 500) {
      error = new AppError(parserError.status, 'bad_request', (err as Error).message);
    } else if (isDatabaseUnavailable(err)) {
      (req.log ?? log).warn({ err, method: req.method, path: req.path }, 'database unavailable');
      error = new AppError(503, 'database_unavailable', 'the database is not reachable; try again shortly');
    } else {
      (req.log ?? log).error({ err, method: req.method, path: req.path }, 'request failed');
      error = new AppError(500, 'internal', 'internal error');
    }
    sendError(req, res, error);
  };
}

/** The error member every refusal carries, through v1: `{ error: { code, message, details, requestId } }`. */
export function errorBody(code: ErrorCode, message: string, details: unknown, requestId?: string) {
  return { error: { code, message, details: details ?? {}, ...(requestId ? { requestId } : {}) } };
}

/** Whether the caller asked for RFC 9457 problem details (`Accept: application/problem+json`) over plain JSON. */
export function wantsProblem(accept: string | undefined): boolean {
  if (!accept) return false;
  const q = (type: string) => {
    const part = accept.split(',').map((p) => p.trim().toLowerCase()).find((p) => p.split(';')[0]!.trim() === type);
    if (!part) return 0;
    const weight = /;\s*q=([\d.]+)/.exec(part)?.[1];
    return weight === undefined ? 1 : Number(weight);
  };
  return q('application/problem+json') > 0 && q('application/problem+json') >= q('application/json');
}

/**
 * Answers an error: `{ error }` as JSON, or, when the caller asks for it, an
 * RFC 9457 problem (`type`, `title`, `status`, `detail`, `instance`, with
 * `code`, `details` and `requestId` beside them) that keeps the same `error`
 * member, so one parser reads both for the rest of v1.
 */
export function sendError(req: Request, res: Response, error: AppError): void {
  const requestId = typeof req.id === 'string' || typeof req.id === 'number' ? String(req.id) : undefined;
  const body = errorBody(error.code, error.message, error.details, requestId);
  if ((error.status === 503 || error.status === 429) && !res.get('Retry-After')) res.set('Retry-After', RETRY_AFTER_SECONDS);
  if (!wantsProblem(req.get('accept'))) {
    res.status(error.status).json(body);
    return;
  }
  const problem = {
    type: `${PROBLEM_TYPE_BASE}${error.code}`,
    title: error.code.replace(/_/g, ' '),
    status: error.status,
    detail: error.message,
    instance: req.originalUrl,
    code: error.code,
    details: body.error.details,
    ...(requestId ? { requestId } : {}),
    ...body,
  };
  res.status(error.status).type('application/problem+json');
  res.json(problem);
}
