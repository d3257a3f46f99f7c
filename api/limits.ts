import type { Server } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { actorOf } from './actor';
import { DEFAULT_ADMISSION, type AdmissionLimits } from './admission';
import { apiKeyIdOf } from './auth';
import { AppError, sendError } from './errors';

/** What one API process allows each caller; api/main.ts reads them from the configuration. */
export interface Limits {
  /** Requests per API key per minute, counted in this process (default 600). */
  rateLimitPerMinute: number;
  /** How long a request may take, receiving its body included, before the answer is 503 timeout (default 30 s). */
  requestTimeoutMs: number;
  /** How many requests run at once and how long the excess waits before it is shed (api/admission.ts). */
  admission: AdmissionLimits;
}

export const DEFAULT_LIMITS: Limits = { rateLimitPerMinute: 600, requestTimeoutMs: 30_000, admission: DEFAULT_ADMISSION };

/**
 * A fixed one-minute window per API key (express-rate-limit's memory store:
 * each API process counts its own callers). Mounted right after authentication,
 * so it counts only callers it can name; an unknown key is refused before it.
 * Over the limit: 429 in the error format, with Retry-After (seconds) and the
 * standard RateLimit headers.
 */
export function rateLimitPerKey(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // Only authenticated requests reach it: the key is the caller's API key id, never an IP address.
    keyGenerator: (req: Request) => apiKeyIdOf(req) ?? `user:${actorOf(req).userId}`,
    handler: (req: Request, res: Response) => {
      sendError(req, res, new AppError(429, 'rate_limited', `too many requests for this API key: at most ${perMinute} a minute; retry after the Retry-After seconds`, { limit: perMinute, windowSeconds: 60 }));
    },
  });
}

/**
 * Answers 503 `timeout` when the response has not started within `ms`, and
 * closes the connection after it (the work may still finish on the server;
 * a retry with the same Idempotency-Key will not run it twice). Only one
 * answer is ever sent: once this one is out, the error middleware and the
 * idempotency replay see `headersSent` and write nothing more.
 */
export function requestTimeout(ms: number): RequestHandler {
  return (req, res, next) => {
    const timer = setTimeout(() => {
      if (res.headersSent || res.writableEnded) return;
      // The idempotency wrapper (api/idempotency.ts) keeps its claim for the route's own, later answer.
      res.locals.timedOut = true;
      res.set('Connection', 'close');
      sendError(req, res, new AppError(503, 'timeout', `the request took longer than ${ms} ms; it may still complete: read before retrying`, { timeoutMs: ms }));
    }, ms);
    const clear = () => clearTimeout(timer);
    res.once('finish', clear);
    res.once('close', clear);
    next();
  };
}

/**
 * Node's own guards on the HTTP server: the whole request, and its headers,
 * within the request timeout (the app answers 503 `timeout` itself when a
 * handler is what takes too long). An idle keep-alive connection stays open
 * for 65 s, longer than clients and proxies keep theirs (undici 4 s, most load
 * balancers 60 s): with Node's default of 5 s, a client that picks up a
 * connection the server is closing at that moment sees a reset, not an answer.
 */
export function applyServerTimeouts(server: Server, requestTimeoutMs: number): void {
  server.requestTimeout = requestTimeoutMs;
  server.headersTimeout = Math.min(requestTimeoutMs, 60_000);
  server.keepAliveTimeout = 65_000;
}
