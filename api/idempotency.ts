import crypto from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { IdempotencyStore } from '../activities/store/idempotency';
import { actorOf } from './actor';
import { AppError } from './errors';

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('base64url');

/** The Idempotency-Key header, if any (1–200 visible characters). */
export function idempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,200}$/.test(header)) {
    throw new AppError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1 to 200 visible ASCII characters');
  }
  return header;
}

/**
 * Honours Idempotency-Key on a POST: the same caller sending the same key to
 * the same route gets the first response again (and nothing runs twice); the
 * same key with a different body is refused.
 */
export function idempotent(store: IdempotencyStore): RequestHandler {
  return (req, res, next) => {
    (async () => {
      const key = idempotencyKey(req.get('idempotency-key'));
      if (!key) return next();
      const actor = actorOf(req);
      const id = sha256(`${actor.userId}\0${req.method}\0${req.originalUrl}\0${key}`);
      const requestHash = sha256(JSON.stringify(req.body ?? null));
      const previous = await store.get(id);
      if (previous) {
        if (previous.requestHash !== requestHash) {
          throw new AppError(422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request body');
        }
        res.set('Idempotent-Replayed', 'true').status(previous.status).json(previous.body);
        return;
      }
      const json = res.json.bind(res) as Response['json'];
      res.json = (body: unknown) => {
        if (res.statusCode < 500) {
          // A failed save must not fail the answer (nor reject unhandled): only a later replay is lost.
          void store
            .put(id, { requestHash, status: res.statusCode, body, createdAt: new Date().toISOString() })
            .catch(() => undefined)
            // The request may have timed out meanwhile: its 503 was the answer.
            .then(() => {
              if (!res.headersSent) json(body);
            });
          return res;
        }
        return json(body);
      };
      next();
    })().catch(next);
  };
}
