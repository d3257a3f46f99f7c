import type { StageType } from '../workflows/domain/types';
import type { Analytics, StageFigures } from './analytics';

/**
 * The funnel of `GET /v1/pipelines/:key/analytics` as an SVG picture, pure:
 * one horizontal bar per stage in pipeline order, its length proportional to
 * the visits that began in the window (the widest is the largest `entered`).
 * Stage names come from users, so every text goes through `xmlText`; the
 * response also carries a CSP, but the picture must not depend on it.
 */

export type FunnelInput = Analytics & { pipelineKey: string; version: number | null };

/** Solid fills with no stroke or gradient, so a screenshot can measure a bar by its colour. */
export const FUNNEL_COLOURS: Readonly<Record<StageType, string>> = {
  normal: '#2f6fb3',
  success: '#1e8a4c',
  failure: '#c2362b',
  invalid: '#8a5a9e',
};

export const FUNNEL_LAYOUT = {
  width: 900,
  barX: 250,
  /** The widest bar, in px: the stage with the largest `entered`. */
  barMax: 600,
  barHeight: 22,
  rowHeight: 62,
  top: 84,
} as const;

export const NO_DATA = 'No instances in this window';

// XML 1.0 forbids these characters even as references; a name that has them still gets a picture.
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Safe as element text and as an attribute value in double quotes. */
export function xmlText(value: string): string {
  return value.replace(NOT_XML, '\uFFFD').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** Bar length in whole px, so its edge is crisp and a screenshot measures it exactly. */
export function barWidth(entered: number, maxEntered: number): number {
  return maxEntered > 0 ? Math.round((entered / maxEntered) * FUNNEL_LAYOUT.barMax) : 0;
}

/** 0.6667 → "66.7%", 0.5 → "50%". */
export function percent(rate: number): string {
  return `${Math.round(rate * 1000) / 10}%`;
}

const oneDecimal = (n: number) => String(Math.round(n * 10) / 10);

/** A duration as a person reads it: "850 ms", "4.2 s", "12.5 min", "3 h", "2.5 d"; null when no visit ended. */
export function humanDuration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${oneDecimal(ms / 1_000)} s`;
  if (ms < 3_600_000) return `${oneDecimal(ms / 60_000)} min`;
  if (ms < 172_800_000) return `${oneDecimal(ms / 3_600_000)} h`;
  return `${oneDecimal(ms / 86_400_000)} d`;
}

/** Long names are cut for the label column; the figures line keeps its own width. */
const label = (name: string, max = 22) => (name.length > max ? `${name.slice(0, max - 1)}…` : name);

const when = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;

function stageFigures(s: StageFigures, input: FunnelInput): string {
  const parts = [`entered ${s.entered}`, `now ${s.now}`];
  if (s.type !== 'normal') {
    const outcome = input.outcomes.find((o) => o.stage === s.stage);
    parts.push(`count ${outcome?.count ?? s.entered} · ${percent(outcome?.share ?? 0)} of outcomes`);
    return parts.join(' · ');
  }
  const nameOf = (key: string) => input.stages.find((t) => t.stage === key)?.name ?? key;
  if (s.next.length > 0) parts.push(`to ${s.next.slice(0, 3).map((n) => `${label(nameOf(n.stage), 18)} ${percent(n.rate)}`).join(', ')}`);
  parts.push(`median time in stage ${humanDuration(s.timeInStage.medianMs)}`);
  return parts.join(' · ');
}

function stageRow(s: StageFigures, index: number, maxEntered: number, input: FunnelInput): string {
  const { barX, barMax, barHeight, rowHeight, top } = FUNNEL_LAYOUT;
  const y = top + index * rowHeight;
  const width = barWidth(s.entered, maxEntered);
  const kind = s.type === 'normal' ? 'stage' : 'outcome';
  return [
    `<g data-stage="${xmlText(s.stage)}" data-type="${s.type}" data-kind="${kind}" data-entered="${s.entered}" data-now="${s.now}">`,
    `<text x="24" y="${y + 16}" class="name">${xmlText(label(s.name))}</text>`,
    `<rect x="${barX}" y="${y}" width="${barMax}" height="${barHeight}" fill="#eef1f5"/>`,
    `<rect data-bar="${xmlText(s.stage)}" x="${barX}" y="${y}" width="${width}" height="${barHeight}" fill="${FUNNEL_COLOURS[s.type]}"/>`,
    `<text x="${barX}" y="${y + barHeight + 20}" class="figures">${xmlText(stageFigures(s, input))}</text>`,
    '</g>',
  ].join('');
}

export function renderFunnelSvg(input: FunnelInput): string {
  const { width, top, rowHeight } = FUNNEL_LAYOUT;
  const maxEntered = Math.max(0, ...input.stages.map((s) => s.entered));
  const rowsEnd = top + input.stages.length * rowHeight;
  const height = rowsEnd + 60;
  const version = input.version === null ? 'draft' : `v${input.version}`;
  const title = `Funnel of ${input.pipelineKey} (${version})`;
  const window = `${when(input.window.from)} to ${when(input.window.to)} UTC`;
  const { count, medianMs } = input.timeToOutcome;
  const toOutcome = count > 0 ? `Time to outcome: median ${humanDuration(medianMs)} over ${count} ${count === 1 ? 'instance' : 'instances'}` : 'Time to outcome: no instance reached an outcome';
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${xmlText(title)}">`,
    '<style>text{font-family:sans-serif;fill:#1d2530}.title{font-size:20px;font-weight:bold}.name{font-size:15px;font-weight:bold}.figures,.sub{font-size:13px;fill:#4a5563}</style>',
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text id="title" x="24" y="34" class="title">${xmlText(title)}</text>`,
    `<text id="window" x="24" y="58" class="sub">${xmlText(window)}</text>`,
    ...(maxEntered === 0 ? [`<text id="no-data" x="${width - 24}" y="58" text-anchor="end" class="sub">${NO_DATA}</text>`] : []),
    ...input.stages.map((s, i) => stageRow(s, i, maxEntered, input)),
    `<text id="time-to-outcome" x="24" y="${rowsEnd + 30}" class="sub">${xmlText(toOutcome)}</text>`,
    '</svg>',
  ].join('\n');
}
