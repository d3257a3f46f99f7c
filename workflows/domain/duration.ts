const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION = /^(\d+)(ms|s|m|h|d|w)$/;

/** "500ms", "90s", "15m", "12h", "7d", "2w" → milliseconds; anything else → undefined. */
export function parseDuration(text: string): number | undefined {
  if (typeof text !== 'string') return undefined;
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = UNIT_MS[match[2] ?? ''];
  if (unit === undefined || !Number.isSafeInteger(amount * unit)) return undefined;
  return amount * unit;
}

/** The ISO instant `duration` after `iso`. Throws on a bad duration or date. */
export function addDuration(iso: string, duration: string): string {
  const ms = parseDuration(duration);
  if (ms === undefined) throw new Error(`"${duration}" is not a duration (e.g. "90s", "15m", "12h", "7d", "2w")`);
  const start = Date.parse(iso);
  if (Number.isNaN(start)) throw new Error(`"${iso}" is not an ISO date`);
  return new Date(start + ms).toISOString();
}
