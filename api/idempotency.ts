import crypto from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { IdempotencyStore, StoredResponse } from '../activities/store/idempotency';
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
 * Answers kept for a replay. A refusal before the operation ran (the
 * request's shape, its caller, its size, its rate) is not kept, nor is a 5xx:
 * the same key may then be sent again, fixed or later, and runs.
 */
export function keepsAnswer(status: number): boolean {
  return status < 500 && ![400, 401, 403, 404, 405, 408, 413, 415, 429].includes(status);
}

/**
 * A kept answer is sealed with a key derived from the Idempotency-Key itself,
 * which is stored nowhere (the stored id is a hash of it): answers that carry
 * a secret (a new API key, a webhook's signing secret) are not readable in
 * the database, and only the caller who holds the key can have them replayed.
 */
function sealKey(idempotencyKey: string, id: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', idempotencyKey, id, 'propeller idempotent answer', 32));
}

export function seal(body: unknown, idempotencyKey: string, id: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', sealKey(idempotencyKey, id), iv);
  const text = Buffer.concat([cipher.update(JSON.stringify(body ?? null), 'utf8'), cipher.final()]);
  return [iv, text, cipher.getAuthTag()].map((b) => b.toString('base64url')).join('.');
}

export function unseal(sealed: string, idempotencyKey: string, id: string): unknown {
  const [iv = '', text = '', tag = ''] = sealed.split('.');
  const decipher = crypto.createDecipheriv('aes-256-gcm', sealKey(idempotencyKey, id), Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return JSON.parse(Buffer.concat([decipher.update(Buffer.from(text, 'base64url')), decipher.final()]).toString('utf8')) as unknown;
}

/**
 * Honours Idempotency-Key on every POST: the same caller sending the same key
 * to the same route within a day gets the first answer again, and nothing
 * runs twice; the same key with a different body is refused (422), and a
 * retry while the first request still runs is told to wait (409
 * `idempotency_in_progress`, with Retry-After). The key is claimed before the
 * route runs; a claim left by a process that died is taken over after
 * `staleAfterMs`, and the creating routes derive their ids from the key, so
 * even that retry writes nothing twice.
 */
export function idempotent(store: IdempotencyStore, opts: { staleAfterMs: number }): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'POST') return next();
    (async () => {
      const key = idempotencyKey(req.get('idempotency-key'));
      if (!key) return next();
      const actor = actorOf(req);
      const id = sha256(`${actor.userId}\0${req.method}\0${req.originalUrl}\0${key}`);
      const requestHash = sha256(JSON.stringify(req.body ?? null));
      const claim = await store.claim(id, requestHash, new Date(), opts.staleAfterMs);
      if (claim.kind === 'mismatch') {
        throw new AppError(422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request body');
      }
      if (claim.kind === 'pending') {
        res.set('Retry-After', '1');
        throw new AppError(409, 'idempotency_in_progress', 'a request with this Idempotency-Key is still running; send it again once that one has answered');
      }
      if (claim.kind === 'done') {
        replay(res, claim.response, key, id);
        return;
      }
      keepFirstAnswer(res, store, { id, claim: claim.claim, key });
      next();
    })().catch(next);
  };
}

function replay(res: Response, response: StoredResponse, key: string, id: string): void {
  res.set('Idempotent-Replayed', 'true').status(response.status).json(unseal(response.body, key, id));
}

/**
 * Wraps the answer: a kept one is stored before it is sent, anything else lets
 * the key go. The request's timeout answer (503 `timeout`, sent while the
 * route still runs) keeps the claim: the route's own answer, when it comes,
 * is the one stored, and the caller's retry gets it. Headers the late route
 * sets after that 503 are dropped, not thrown on, so its answer reaches the
 * store.
 */
function keepFirstAnswer(res: Response, store: IdempotencyStore, { id, claim, key }: { id: string; claim: string; key: string }): void {
  const json = res.json.bind(res) as Response['json'];
  const setHeader = res.setHeader.bind(res);
  let settled = false;
  res.setHeader = ((name: string, value: number | string | readonly string[]) => (res.headersSent ? res : setHeader(name, value))) as Response['setHeader'];
  res.json = (body: unknown) => {
    if (res.locals.timedOut === true && !settled && !res.headersSent) return json(body);
    if (settled) return res.headersSent ? res : json(body);
    settled = true;
    if (!keepsAnswer(res.statusCode)) {
      void store.release(id, claim).catch(() => undefined);
      return res.headersSent ? res : json(body);
    }
    // A failed save must not fail the answer (nor reject unhandled): only a later replay is lost.
    void store
      .complete(id, claim, { status: res.statusCode, body: seal(body, key, id) })
      .catch(() => undefined)
      .then(() => {
        if (!res.headersSent) json(body);
      });
    return res;
  };
  // An answer that is not JSON (a 204, say) ends the request without passing through res.json: the key is let go.
  res.once('finish', () => {
    if (settled || res.locals.timedOut === true) return;
    settled = true;
    void store.release(id, claim).catch(() => undefined);
  });
}
