import crypto from 'node:crypto';

/** The header names a receiver reads; the signature covers the timestamp so an old request cannot be replayed later. */
export const WEBHOOK_HEADERS = {
  eventId: 'Propeller-Event-Id',
  timestamp: 'Propeller-Timestamp',
  signature: 'Propeller-Signature',
} as const;

/** 256 random bits; shown once when the webhook is created, kept to sign every delivery. */
export const newWebhookSecret = () => `whsec_${crypto.randomBytes(32).toString('base64url')}`;

/** `v1=` + hex HMAC-SHA256 over `${timestamp}.${body}`, keyed with the whole secret string. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * What a receiver does: recompute and compare in constant time. The header may
 * hold several signatures, space-separated (after a secret rotation, one per
 * secret, for a day): any one of them matching is enough.
 */
export function verifyWebhook(secret: string, timestamp: number, body: string, signature: string): boolean {
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  return signature.split(' ').some((one) => {
    const given = Buffer.from(one);
    return expected.length === given.length && crypto.timingSafeEqual(expected, given);
  });
}

/** Standard Webhooks (standardwebhooks.com): the headers of an endpoint whose scheme is `standard-v1`. */
export const STANDARD_WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

/** How far a `webhook-timestamp` may be from the receiver's clock, either way. */
export const STANDARD_TOLERANCE_SECONDS = 5 * 60;

/** A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes (the HMAC key). */
export const newStandardWebhookSecret = () => `whsec_${crypto.randomBytes(32).toString('base64')}`;

/** The HMAC key of a Standard Webhooks secret: the base64 after `whsec_`. */
const standardKey = (secret: string) => Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');

/** `v1,` + base64 HMAC-SHA256 over `${id}.${timestamp}.${body}`. */
export function signStandardWebhook(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${crypto.createHmac('sha256', standardKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

export type StandardVerdict = { ok: true } | { ok: false; reason: 'missing_headers' | 'timestamp_out_of_tolerance' | 'bad_signature' };

/**
 * What a receiver of a `standard-v1` endpoint does: all three headers, a
 * timestamp within 5 minutes of `nowSeconds`, and one of the header's
 * space-separated `v1,` signatures equal, compared in constant time.
 */
export function verifyStandardWebhook(
  secret: string,
  headers: { id?: string; timestamp?: string; signature?: string },
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): StandardVerdict {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) return { ok: false, reason: 'missing_headers' };
  const ts = Number(timestamp);
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - ts) > STANDARD_TOLERANCE_SECONDS) return { ok: false, reason: 'timestamp_out_of_tolerance' };
  const expected = Buffer.from(signStandardWebhook(secret, id, ts, body));
  const match = signature.split(' ').some((one) => {
    const given = Buffer.from(one);
    return given.length === expected.length && crypto.timingSafeEqual(given, expected);
  });
  return match ? { ok: true } : { ok: false, reason: 'bad_signature' };
}
