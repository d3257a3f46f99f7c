import { keyTerms } from './key-policy';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const DAY = 86_400_000;

describe('keyTerms', () => {
  it.each([
    ['an ordinary key without expiry', {}, undefined, { ok: true }],
    ['an ordinary key with a future expiry', { expiresAt: '2026-04-01T00:00:00Z' }, undefined, { ok: true, expiresAt: '2026-04-01T00:00:00.000Z' }],
    ['an ordinary key expiring now', { expiresAt: '2026-03-01T12:00:00Z' }, undefined, { ok: false, code: 'invalid_expiry' }],
    ['a break-glass key without a reason', {}, DAY, { ok: false, code: 'reason_required' }],
    ['a break-glass key with a reason', { reason: 'lost key' }, DAY, { ok: true, expiresAt: '2026-03-02T12:00:00.000Z' }],
    ['a break-glass key asked to last 2 hours', { reason: 'x', expiresAt: '2026-03-01T14:00:00Z' }, DAY, { ok: true, expiresAt: '2026-03-01T14:00:00.000Z' }],
    ['a break-glass key asked to last past the TTL', { reason: 'x', expiresAt: '2026-03-03T00:00:00Z' }, DAY, { ok: false, code: 'invalid_expiry' }],
    ['a break-glass key under a 1-hour TTL', { reason: 'x' }, 3_600_000, { ok: true, expiresAt: '2026-03-01T13:00:00.000Z' }],
  ])('When %s is asked for, then the terms are as expected', (_case, request, ttl, expected) => {
    expect(keyTerms(NOW, request, ttl)).toMatchObject(expected);
  });
});
