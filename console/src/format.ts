/** How the console writes numbers, times and field values: pure, so they are tested without a browser. */

export const money = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

/** A field value as text, whatever its type: never markup. */
export const textOf = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));

/** "2d 3h", "4m 10s", "5s": a length of time in its largest whole unit and the one after it. */
export function span(ms: number): string {
  let s = Math.floor(Math.abs(ms) / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    if (s >= size || parts.length > 0 || unit === 's') {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  return parts.slice(0, 2).join(' ');
}

/** "in 2d 3h", "in 4m 10s", "overdue by 5s": the largest whole unit and the one after it. */
export function countdown(at: string, now: number): string {
  const ms = Date.parse(at) - now;
  return ms >= 0 ? `in ${span(ms)}` : `overdue by ${span(ms)}`;
}

/** A number when the text is one, else the text: required fields come as typed. */
export const valueOf = (s: string): string | number => (/^-?\d+(\.\d+)?$/.test(s.trim()) ? Number(s) : s);
