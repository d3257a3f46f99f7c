/**
 * When an API key stops working. Pure: the clock is passed in. Any key may
 * carry an expiry its issuer chooses; a key the platform operator issues for
 * a tenant's user (break-glass) always expires, within OPERATOR_KEY_TTL, and
 * says why it was issued.
 */

export type KeyTerms =
  | { ok: true; expiresAt?: string }
  | { ok: false; code: 'invalid_expiry' | 'reason_required'; message: string; details: Record<string, unknown> };

export interface KeyRequest {
  expiresAt?: string;
  reason?: string;
}

export function keyTerms(nowMs: number, request: KeyRequest, breakGlassTtlMs: number | undefined): KeyTerms {
  const requested = request.expiresAt === undefined ? undefined : Date.parse(request.expiresAt);
  if (requested !== undefined && requested <= nowMs) {
    return { ok: false, code: 'invalid_expiry', message: 'expiresAt must be in the future', details: { expiresAt: request.expiresAt } };
  }
  if (breakGlassTtlMs === undefined) return { ok: true, ...(requested !== undefined ? { expiresAt: new Date(requested).toISOString() } : {}) };
  if (!request.reason) {
    return {
      ok: false,
      code: 'reason_required',
      message: "a key the platform operator issues for another company's user is break-glass access: say why in `reason`",
      details: {},
    };
  }
  const latest = nowMs + breakGlassTtlMs;
  if (requested !== undefined && requested > latest) {
    const until = new Date(latest).toISOString();
    return { ok: false, code: 'invalid_expiry', message: `a break-glass key expires within OPERATOR_KEY_TTL: expiresAt at ${until} at the latest`, details: { latest: until } };
  }
  return { ok: true, expiresAt: new Date(requested ?? latest).toISOString() };
}
