import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '../../lib/webhook-signature';

/** The network every receiver here listens on: what a test that delivers to them sets as WEBHOOK_ALLOW_NETWORKS. */
export const RECEIVER_NETWORKS = '127.0.0.1/32';

export interface ReceivedWebhook {
  eventId: string;
  timestamp: number;
  signature: string;
  contentType: string;
  /** The raw body, exactly as signed. */
  raw: string;
  body: any;
  /** What the receiver answered. */
  answered: number;
  /** When it arrived (ms since the epoch). */
  at: number;
  /** The Standard Webhooks headers, for a standard-v1 endpoint. */
  standard: { id?: string; timestamp?: string; signature?: string };
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Only the requests it answered 2xx to. */
  accepted(): ReceivedWebhook[];
  /** Answers the next `n` requests with `status` instead of 204, with a `Retry-After` when given. */
  failNext(n: number, status?: number, retryAfter?: string): void;
  /** Answers the next request with a 302 to `location`. */
  redirectNext(location: string): void;
  close(): Promise<void>;
}

/** A real HTTP endpoint on 127.0.0.1 (or another loopback address), port 0, that records every request made to it. */
export async function startWebhookReceiver(opts: { host?: string } = {}): Promise<WebhookReceiver> {
  const host = opts.host ?? '127.0.0.1';
  const received: ReceivedWebhook[] = [];
  let failures = 0;
  let failStatus = 503;
  let failRetryAfter: string | undefined;
  let redirect: string | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const location = redirect;
      redirect = undefined;
      const answered = location ? 302 : failures > 0 ? (failures--, failStatus) : 204;
      if (location) res.setHeader('Location', location);
      if (!location && answered === failStatus && failRetryAfter !== undefined) res.setHeader('Retry-After', failRetryAfter);
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
      received.push({
        eventId: String(req.headers['propeller-event-id'] ?? req.headers['webhook-id'] ?? ''),
        timestamp: Number(req.headers['propeller-timestamp']),
        signature: String(req.headers['propeller-signature'] ?? ''),
        contentType: String(req.headers['content-type'] ?? ''),
        raw,
        body,
        answered,
        at: Date.now(),
        standard: {
          ...(req.headers['webhook-id'] ? { id: String(req.headers['webhook-id']) } : {}),
          ...(req.headers['webhook-timestamp'] ? { timestamp: String(req.headers['webhook-timestamp']) } : {}),
          ...(req.headers['webhook-signature'] ? { signature: String(req.headers['webhook-signature']) } : {}),
        },
      });
      res.statusCode = answered;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${(server.address() as AddressInfo).port}/hooks`,
    received,
    accepted: () => received.filter((r) => r.answered < 300),
    failNext(n, status = 503, retryAfter) {
      failures = n;
      failStatus = status;
      failRetryAfter = retryAfter;
    },
    redirectNext(to) {
      redirect = to;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Signed with the secret over `${timestamp}.${raw}`, the id header equal to the body's, and sent within the last 5 minutes. */
export function isAuthentic(request: ReceivedWebhook, secret: string, nowMs = Date.now()): boolean {
  const fresh = Math.abs(nowMs / 1000 - request.timestamp) < 300;
  return fresh && request.eventId === request.body?.id && verifyWebhook(secret, request.timestamp, request.raw, request.signature);
}
