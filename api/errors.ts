import type { ErrorRequestHandler, RequestHandler } from 'express';
import {
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerClosedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import { ZodError } from 'zod';
import { badRequestDetails } from './schemas/common';

/** The one error type routes throw; the middleware turns it into `{ error: { code, message, details } }`. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what = 'resource') => new AppError(404, 'not_found', `${what} not found`);

/** Wraps an async route so a rejection reaches the error middleware. */
export const handle =
  (fn: (...args: Parameters<RequestHandler>) => Promise<unknown>): RequestHandler =>
  (req, res, next) => {
    fn(req, res, next).catch(next);
  };

export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(new AppError(404, 'not_found', `no route ${req.method} ${req.path}`));
};

interface BodyParserError {
  type?: string;
  status?: number;
}

/**
 * MongoDB did not answer (server selection timed out, the connection dropped,
 * the pool was cleared): the request may work in a moment, so 503, not 500.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  return (
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
    if ((error.status === 503 || error.status === 429) && !res.get('Retry-After')) res.set('Retry-After', RETRY_AFTER_SECONDS);
    res.status(error.status).json({ error: { code: error.code, message: error.message, details: error.details ?? {} } });
  };
}
