import type { RunHeader } from '../bench/report';
import { round } from '../bench/stats';
import type { StepFigures } from './run';
import type { ChangeCheck } from './verify';

export interface LoadResult extends RunHeader {
  settings: Record<string, string | number>;
  /** The highest lifecycles/s each side held for a whole step with p99 ≤ 1 s and no error. */
  capacity: { propeller: number; bare: number; ratio: number; target: number };
  steps: StepFigures[];
  overload?: {
    rate: number;
    seconds: number;
    arrivals: number;
    requests: number;
    byStatus: Record<string, number>;
    p50: number;
    p99: number;
    maxMs: number;
    requestTimeoutMs: number;
    allAnsweredInTime: boolean;
    check: ChangeCheck | string;
  };
}

const statuses = (by: Record<string, number>) =>
  Object.entries(by)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([s, n]) => `${s === '0' ? 'no answer' : s}: ${n}`)
    .join(', ');

export function renderLoadMarkdown(r: LoadResult): string {
  const m = r.machine;
  const c = r.capacity;
  const lines = [
    `# Propeller load test, ${r.startedAt}`,
    '',
    `\`${r.command}\`, ${r.elapsedS} s.`,
    '',
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGB} GB; load average ${m.loadAverageAtStart} at start, ${m.loadAverageAtEnd ?? '?'} at end.`,
    `- Versions: ${Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    `- Settings: ${Object.entries(r.settings).map(([k, v]) => `${k}: ${v}`).join('; ')}.`,
    '- Capacity: the highest offered rate a side held for a whole step with p99 ≤ 1 s over every request and no error (5xx, 429, no answer).',
    '',
    '| | Propeller | bare Temporal | ratio | target | |',
    '| --- | --- | --- | --- | --- | --- |',
    `| capacity, lifecycles/s (+ as many moves/s × moves per lifecycle) | ${c.propeller}/s | ${c.bare}/s | ${round(c.ratio)}× | ≥ ${c.target}× | ${c.ratio >= c.target ? 'met' : '**missed**'} |`,
    '',
    '## Steps',
    '',
    '| side | offered lifecycles/s | requests | p50 ms | p90 ms | p99 ms | max ms | answers | loader lag ms | held |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.steps.map((s) => `| ${s.side} | ${s.rate} | ${s.requests} | ${s.p50} | ${s.p90} | ${s.p99} | ${s.maxMs} | ${statuses(s.byStatus)} | ${s.maxSendLagMs} | ${s.held ? 'yes' : 'no'} |`),
  ];
  const o = r.overload;
  if (o) {
    const check = typeof o.check === 'string' ? undefined : o.check;
    lines.push(
      '',
      `## Overload: Propeller at ${o.rate} lifecycles/s (2× capacity) for ${o.seconds} s`,
      '',
      '| offered (arrivals / requests) | answered by status | p50 / p99 ms | max latency | all answered within REQUEST_TIMEOUT_MS | changes checked | lost | duplicated | shed yet applied |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      `| ${o.arrivals} / ${o.requests} | ${statuses(o.byStatus)} | ${o.p50} / ${o.p99} | ${o.maxMs} ms | ${o.allAnsweredInTime ? 'yes' : '**no**'} (${o.requestTimeoutMs} ms) | ${check ? check.checked : o.check} | ${check?.lost ?? '–'} | ${check?.duplicated ?? '–'} | ${check?.shedButApplied ?? '–'} |`,
    );
    for (const p of check?.problems ?? []) lines.push(`- ${p}`);
  }
  lines.push('', 'The chart: latency.svg (p50 solid, p99 dashed, both sides).');
  return `${lines.join('\n')}\n`;
}
