import { keepsAnswer, seal, unseal } from './idempotency';

describe('idempotent answers', () => {
  it('keeps what the operation answered, not refusals before it ran nor 5xx', () => {
    for (const status of [200, 201, 204, 409, 412, 422]) expect(keepsAnswer(status)).toBe(true);
    for (const status of [400, 401, 403, 404, 405, 408, 413, 415, 429, 500, 503]) expect(keepsAnswer(status)).toBe(false);
  });

  it('seals an answer so that only the same Idempotency-Key and id open it', () => {
    const body = { id: 'rec_1', secret: 'whsec_abc', nested: [1, 'two', null] };
    const sealed = seal(body, 'key-1', 'id-1');
    expect(sealed).not.toContain('whsec_abc');
    expect(sealed.split('.')).toHaveLength(3);
    expect(unseal(sealed, 'key-1', 'id-1')).toEqual(body);
    expect(() => unseal(sealed, 'key-2', 'id-1')).toThrow();
    expect(() => unseal(sealed, 'key-1', 'id-2')).toThrow();
    // A fresh nonce each time: the same answer never seals to the same text.
    expect(seal(body, 'key-1', 'id-1')).not.toBe(sealed);
  });
});
