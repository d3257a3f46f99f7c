import { runCommand } from './entry';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../lib/config';
import { clientVersions, machineInfo, renderMarkdown, type BenchResult } from './report';
import type { ScenarioResult } from './scenario';
import { runScenario, scenarioNamed, SCENARIOS } from './scenarios';
import { clusterScenarios, startClusterBenchStack } from './cluster';
import { lifecycle } from './scenarios/lifecycle';
import { moveLatency } from './scenarios/move-latency';
import { startBenchStack, type BenchStack } from './stack';

const USAGE = `npm run bench [-- options]

  --scenario NAME[,NAME]  run only these (${SCENARIOS.map((s) => s.name).join(', ')})
  --n N                   the size of each scenario run (default: each scenario's own, below)
  --full                  the issue's full sizes instead of the defaults
  --out DIR               where to write result.json and result.md (default bench-results/<timestamp>)
  --cluster               instead: lifecycle and move latency on a self-hosted Temporal cluster (PostgreSQL at
                          TEMPORAL_POSTGRES_URL, 4 shards, separate services) against the dev server, in one run

Defaults (--full): ${SCENARIOS.map((s) => `${s.name} ${s.defaultN} (${s.fullN})`).join(', ')}.
Uses TEMPORAL_ADDRESS / MONGODB_URI when set, else starts its own servers on free ports.`;

const started = Date.now();
const say = (line: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      n: { type: 'string' },
      full: { type: 'boolean', default: false },
      cluster: { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const scenarios = values.scenario ? values.scenario.split(',').map((s) => scenarioNamed(s.trim())) : SCENARIOS;
  const n = values.n === undefined ? undefined : Number(values.n);
  if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new Error(`--n must be a positive integer, not ${values.n}`);
  const stamp = new Date(started).toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const outDir = path.resolve(values.out ?? path.join(__dirname, '..', '..', 'bench-results', stamp));

  const config = loadConfig();
  const machine = machineInfo();
  const stack: BenchStack = await startBenchStack(config, say, path.join(outDir, 'logs'));
  process.once('SIGINT', () => void stack.stop().finally(() => process.exit(130)));
  const results: ScenarioResult[] = [];
  try {
    if (values.cluster) {
      const cluster = await startClusterBenchStack(stack, config, say);
      stack.versions = { ...stack.versions, ...cluster.versions };
      try {
        const sizeOf = (s: typeof lifecycle) => n ?? (values.full ? s.fullN : s.defaultN);
        results.push(...(await clusterScenarios(stack, cluster, { lifecycles: sizeOf(lifecycle), moves: sizeOf(moveLatency) }, say)));
      } finally {
        await cluster.stop();
      }
    }
    for (const scenario of values.cluster ? [] : scenarios) {
      const size = n ?? (values.full ? scenario.fullN : scenario.defaultN);
      try {
        results.push(await runScenario(scenario, { stack, n: size, say }));
      } catch (err) {
        say(`${scenario.name} failed: ${err instanceof Error ? err.message : String(err)}`);
        const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
        results.push({ scenario: scenario.name, n: size, settings: {}, rows: [], facts: {}, notes: [], elapsedS: 0, error });
      }
    }
  } finally {
    await stack.stop();
  }

  const result: BenchResult = {
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date().toISOString(),
    elapsedS: (Date.now() - started) / 1000,
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: { ...machine, loadAverageAtEnd: os.loadavg().map((l) => l.toFixed(2)).join(' ') },
    versions: { ...clientVersions(), ...stack.versions },
    scenarios: results,
  };
  const markdown = renderMarkdown(result);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(path.join(outDir, 'result.md'), markdown);
  process.stdout.write(`${markdown}\nWritten to ${path.relative(process.cwd(), outDir) || outDir}/result.{json,md}\n`);
  return results.some((r) => r.error) ? 1 : 0;
}

runCommand('bench', main, say);
