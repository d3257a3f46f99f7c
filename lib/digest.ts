import crypto from 'node:crypto';

/** JSON with every object's keys in order: the same value always gives the same text, whatever order its keys were set in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * A short fingerprint of a value: what a local activity's marker keeps of the
 * step it wrote (its input is not in history), so a golden replay can tell
 * that the same history still plans the same step.
 */
export function digestOf(value: unknown): string {
  return crypto.createHash('sha256').update(canonicalJson(value)).digest('base64url').slice(0, 16);
}
