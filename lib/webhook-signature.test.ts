import crypto from 'node:crypto';
import { newStandardWebhookSecret, newWebhookSecret, signStandardWebhook, signWebhook, verifyStandardWebhook, verifyWebhook } from './webhook-signature';

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

  describe('Standard Webhooks (standard-v1)', () => {
    // The test vector of the Standard Webhooks reference libraries.
    const vector = { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestamp: 1614265330, body: '{"test": 2432232314}' };
    const expected = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
    const headers = { id: vector.id, timestamp: String(vector.timestamp), signature: expected };

    it('When the known vector is signed, then the signature is the published one', () => {
      expect(signStandardWebhook(vector.secret, vector.id, vector.timestamp, vector.body)).toBe(expected);
    });

    it.each([
      ['the vector, at its own time', headers, vector.body, vector.timestamp, { ok: true }],
      ['4 min 59 s late', headers, vector.body, vector.timestamp + 299, { ok: true }],
      ['5 min 1 s late', headers, vector.body, vector.timestamp + 301, { ok: false, reason: 'timestamp_out_of_tolerance' }],
      ['5 min 1 s early', headers, vector.body, vector.timestamp - 301, { ok: false, reason: 'timestamp_out_of_tolerance' }],
      ['several signatures, one valid', { ...headers, signature: `v1,bm9wZQ== ${expected}` }, vector.body, vector.timestamp, { ok: true }],
      ['a tampered body', headers, '{"test": 2432232315}', vector.timestamp, { ok: false, reason: 'bad_signature' }],
      ['another id', { ...headers, id: 'msg_other' }, vector.body, vector.timestamp, { ok: false, reason: 'bad_signature' }],
      ['no signature header', { id: vector.id, timestamp: String(vector.timestamp) }, vector.body, vector.timestamp, { ok: false, reason: 'missing_headers' }],
      ['a timestamp that is no number', { ...headers, timestamp: 'soon' }, vector.body, vector.timestamp, { ok: false, reason: 'timestamp_out_of_tolerance' }],
    ])('When checked with %s, then %j', (_name, h, body, now, verdict) => {
      expect(verifyStandardWebhook(vector.secret, h, body, now)).toEqual(verdict);
    });

    it('When a standard secret is made, then it is whsec_ and 32 bytes of standard base64', () => {
      const secret = newStandardWebhookSecret();
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    });
  });
});
