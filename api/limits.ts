import type { Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { actorOf } from './actor';
import { DEFAULT_ADMISSION, type AdmissionLimits } from './admission';
import { apiKeyIdOf } from './auth';

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

const errorBody = (code: string, message: string, details: Record<string, unknown> = {}) => ({ error: { code, message, details } });

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
    handler: (_req: Request, res: Response) => {
      res
        .status(429)
        .json(errorBody('rate_limited', `too many requests for this API key: at most ${perMinute} a minute; retry after the Retry-After seconds`, { limit: perMinute, windowSeconds: 60 }));
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
  return (_req, res, next) => {
    const timer = setTimeout(() => {
      if (res.headersSent || res.writableEnded) return;
      res.set('Connection', 'close');
      res.status(503).json(errorBody('timeout', `the request took longer than ${ms} ms; it may still complete: read before retrying`, { timeoutMs: ms }));
    }, ms);
    const clear = () => clearTimeout(timer);
    res.once('finish', clear);
    res.once('close', clear);
    next();
  };
}
