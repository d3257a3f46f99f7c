import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config';
import { PROPELLER_VERSION as version } from '../lib/version';
import { startPropeller } from './bench/propeller';
import { startBenchStack } from './bench/stack';
import { INSTANCE_SCENARIOS } from './histories/instance-scenarios';
import { LEAD_SCENARIOS } from './histories/lead-scenarios';
import { settledHistory, writeHistory } from './histories/recorder';
import type { HistoryScenario } from './histories/scenario';

const root = path.resolve(__dirname, '..');
const SCENARIOS: HistoryScenario[] = [...LEAD_SCENARIOS, ...INSTANCE_SCENARIOS];

const USAGE = `npm run record-histories [-- options]

Runs each scenario through the API on a Temporal dev server and a FerretDB of
its own, and writes each run's history as <name>-<version>.json (version from
package.json), for workflows/replay.test.ts.

  --out DIR              where to write (default workflows/histories)
  --only NAME[,NAME]     only these scenarios:
${SCENARIOS.map((s) => `                           ${s.name}: ${s.description}`).join('\n')}`;

const started = Date.now();
const say = (line: string) => process.stderr.write(`[record ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);

function scenariosNamed(only: string | undefined): HistoryScenario[] {
  if (!only) return SCENARIOS;
  return only.split(',').map((name) => {
    const found = SCENARIOS.find((s) => s.name === name.trim());
    if (!found) throw new Error(`no scenario ${name.trim()}; there are ${SCENARIOS.map((s) => s.name).join(', ')}`);
    return found;
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, only: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const scenarios = scenariosNamed(values.only);
  const outDir = path.resolve(values.out ?? path.join(root, 'workflows', 'histories'));

  // Always servers of its own: a recorded history must not depend on what else runs on a server.
  const config = loadConfig();
  const own = { ...config, temporal: { ...config.temporal, address: undefined }, mongo: { ...config.mongo, uri: undefined } };
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'propeller-record-logs-'));
  const stack = await startBenchStack(own, say, logDir);
  process.once('SIGINT', () => void stack.stop().finally(() => process.exit(130)));
  const written: string[] = [];
  try {
    for (const scenario of scenarios) {
      say(`${scenario.name}: ${scenario.description}`);
      const env = await startPropeller(stack, { name: scenario.name, pipelines: scenario.pipelines });
      try {
        for (const run of await scenario.run(env)) {
          const file = writeHistory(outDir, run.name, version, await settledHistory(env.client, run));
          written.push(path.relative(process.cwd(), file));
          say(`wrote ${written.at(-1)}`);
        }
      } finally {
        await env.stop();
      }
    }
  } catch (err) {
    say(`failed; the servers' and the API's logs are kept in ${logDir}`);
    throw err;
  } finally {
    await stack.stop();
  }
  fs.rmSync(logDir, { recursive: true, force: true });
  process.stdout.write(`${written.join('\n')}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
