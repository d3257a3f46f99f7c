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
