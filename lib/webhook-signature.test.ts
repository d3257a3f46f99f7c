import crypto from 'node:crypto';
import { newWebhookSecret, signWebhook, verifyWebhook } from './webhook-signature';

describe('webhook signatures', () => {
  const secret = 'whsec_test-secret';
  const body = '{"id":"evt_1","type":"stage.entered"}';

  it('When a body is signed, then the signature is v1= and the HMAC-SHA256 of "timestamp.body"', () => {
    // The known vector: `printf '%s' '1700000000.{"id":"evt_1","type":"stage.entered"}' | openssl dgst -sha256 -hmac whsec_test-secret`
    expect(signWebhook(secret, 1_700_000_000, body)).toBe('v1=71a3e943925a0b3d49afbc94e60c0dbda43f49dde531b9488ad86f4fcb35403a');
    const independent = crypto.createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(signWebhook(secret, 1_700_000_000, body)).toBe(`v1=${independent}`);
  });

  it.each([
    ['another body', secret, 1_700_000_000, body.replace('evt_1', 'evt_2')],
    ['another timestamp', secret, 1_700_000_001, body],
    ['another secret', 'whsec_other', 1_700_000_000, body],
  ])('When %s is checked against the signature, then it does not verify', (_what, s, ts, b) => {
    const signature = signWebhook(secret, 1_700_000_000, body);
    expect(verifyWebhook(secret, 1_700_000_000, body, signature)).toBe(true);
    expect(verifyWebhook(s, ts, b, signature)).toBe(false);
  });

  it('When the header holds two signatures (a rotation), then either secret verifies it and a third does not', () => {
    const header = `${signWebhook('whsec_new', 1_700_000_000, body)} ${signWebhook(secret, 1_700_000_000, body)}`;
    expect(verifyWebhook('whsec_new', 1_700_000_000, body, header)).toBe(true);
    expect(verifyWebhook(secret, 1_700_000_000, body, header)).toBe(true);
    expect(verifyWebhook('whsec_other', 1_700_000_000, body, header)).toBe(false);
  });

  it('When secrets are made, then each is whsec_ and 32 random bytes in base64url', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(newWebhookSecret()).not.toBe(a);
  });
});
