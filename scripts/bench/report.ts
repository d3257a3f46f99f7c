import os from 'node:os';
import type { Row, ScenarioResult } from './scenario';
import { round } from './stats';

/** What every result file (the bench's, the load test's) opens with: when, how, on what. */
export interface RunHeader {
  startedAt: string;
  finishedAt: string;
  elapsedS: number;
  command: string;
  machine: Record<string, string | number>;
  versions: Record<string, string>;
}

export interface BenchResult extends RunHeader {
  scenarios: ScenarioResult[];
}

const pkgVersion = (name: string): string => {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
};

export function machineInfo(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGB: round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverageAtStart: os.loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}

export function clientVersions(): Record<string, string> {
  return {
    node: process.version,
    temporalSdk: pkgVersion('@temporalio/worker'),
    mongodbDriver: pkgVersion('mongodb'),
    express: pkgVersion('express'),
  };
}

const fmt = (v: number): string => (Number.isFinite(v) ? String(round(v)) : '–');
const cell = (v: number, unit: string) => `${fmt(v)}${unit === '/s' ? '/s' : ` ${unit}`}`;

function tableRow(scenario: string, r: Row): string {
  const sign = (t: { op: '>=' | '<=' }) => (t.op === '>=' ? '≥' : '≤');
  const target = [r.target ? `${sign(r.target)} ${r.target.value}×` : '', r.bound ? `${sign(r.bound)} ${cell(r.bound.value, r.unit)}` : ''].filter(Boolean).join(', ');
  const met = r.met === undefined ? '' : r.met ? 'met' : '**missed**';
  const [a, b] = r.labels ?? ['', ''];
  const value = (label: string, v: number) => `${label ? `${label}: ` : ''}${cell(v, r.unit)}`;
  return `| ${scenario} | ${r.metric} | ${r.n} | ${value(a, r.propeller)} | ${value(b, r.baseline)} | ${fmt(r.ratio)}× | ${target} | ${met} |`;
}

/** The Markdown report: the table of figures and ratios, then each scenario's settings, facts and notes. */
export function renderMarkdown(result: BenchResult): string {
  const m = result.machine;
  const lines = [
    `# Propeller benchmark, ${result.startedAt}`,
    '',
    `\`${result.command}\`, ${round(result.elapsedS)} s.`,
    '',
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGB} GB, ${m.os}; load average ${m.loadAverageAtStart} at start, ${m.loadAverageAtEnd ?? '?'} at end.`,
    `- Versions: ${Object.entries(result.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    '- Ratios are Propeller ÷ bare Temporal on the same servers in the same run. Figures from a shared or busy machine are noisy; compare ratios, not absolutes.',
    '',
    '| scenario | metric | N | Propeller | baseline | ratio | target | |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const s of result.scenarios) {
    if (s.error || s.skipped) lines.push(`| ${s.scenario} | ${s.error ? `**failed**: ${s.error.split('\n')[0]}` : `skipped: ${s.skipped}`} | ${s.n} | | | | | |`);
    for (const r of s.rows) lines.push(tableRow(s.scenario, r));
  }
  for (const s of result.scenarios) {
    lines.push('', `## ${s.scenario} (N = ${s.n}, ${round(s.elapsedS)} s)`, '');
    const settings = Object.entries(s.settings).map(([k, v]) => `${k} ${v}`).join(', ');
    if (settings) lines.push(`- Settings: ${settings}.`);
    for (const [k, v] of Object.entries(s.facts)) lines.push(`- ${k}: ${typeof v === 'number' ? fmt(v) : String(v)}`);
    for (const note of s.notes) lines.push(`- ${note}`);
    for (const table of s.tables ?? []) {
      lines.push('', `### ${table.title}`, '', `| ${table.columns.join(' | ')} |`, `| ${table.columns.map(() => '---').join(' | ')} |`);
      for (const r of table.rows) lines.push(`| ${r.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`);
    }
    if (s.error) lines.push('', '```', s.error, '```');
  }
  return `${lines.join('\n')}\n`;
}
