import { runCommand } from '../bench/entry';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../lib/config';
import { connectClient } from '../bench/env';
import { runPool } from '../bench/load';
import { clientVersions, machineInfo } from '../bench/report';
import { PING_PONG_KEY, pingPongPipeline } from '../bench/scenarios/pingpong';
import { startBenchStack } from '../bench/stack';
import { round } from '../bench/stats';
import { latencyChart } from './chart';
import { renderLoadMarkdown, type LoadResult } from './report';
import { P99_BOUND_MS, ramp, runStep } from './run';
import { apiCaller, bareSide, propellerSide, type Side } from './sides';
import { givenTarget, startBareWorker, startPropellerProcesses, type PropellerTarget } from './stack';
import { checkChanges, type OverloadLedger } from './verify';

const USAGE = `npm run load [-- options]

  --url URL[,URL]        drive this API (e.g. npm start's, or npm run cluster's two) instead of starting one
  --credentials FILE     its demo credentials (sales, partnerA_user, admin); default .data/demo-credentials.json
  --mongo-uri URI        with --url: its MongoDB, for the overload check (default: none, the check is skipped)
  --mongo-db DB          with --mongo-uri (default propeller)
  --start R              first step's lifecycles/s (default 2)
  --factor F             each step's rate is the last one's × F (default 1.5)
  --steps N              at most N steps (default 8)
  --step-seconds S       each step's length (default 60)
  --moves M              moves per lifecycle, on the same schedule (default 1)
  --overload-seconds S   the overload phase's length, at 2× Propeller's capacity (default 60; 0: none)
  --quick                smoke-test sizes: 2 steps of 3 s from 1/s, overload 3 s
  --out DIR              where result.json, result.md and latency.svg go (default load-results/<timestamp>)

Without --url it starts a Temporal dev server and FerretDB on free ports (or uses TEMPORAL_ADDRESS / MONGODB_URI),
and npm start's worker and API as processes of their own with RATE_LIMIT_PER_MINUTE raised. Bare Temporal runs on
the same Temporal server (TEMPORAL_ADDRESS with --url), its worker a process of its own, through the same scheduler.`;

const started = Date.now();
const say = (line: string) => process.stderr.write(`[load ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
const num = (v: string | undefined, fallback: number, what: string) => {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${what} must be a non-negative number, not ${v}`);
  return n;
};

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      credentials: { type: 'string' },
      'mongo-uri': { type: 'string' },
      'mongo-db': { type: 'string' },
      start: { type: 'string' },
      factor: { type: 'string' },
      steps: { type: 'string' },
      'step-seconds': { type: 'string' },
      moves: { type: 'string' },
      'overload-seconds': { type: 'string' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const quick = values.quick;
  const first = num(values.start, quick ? 1 : 2, '--start');
  const factor = num(values.factor, 1.5, '--factor');
  const maxSteps = num(values.steps, quick ? 2 : 8, '--steps');
  const seconds = num(values['step-seconds'], quick ? 3 : 60, '--step-seconds');
  const movesPerLifecycle = num(values.moves, 1, '--moves');
  const overloadSeconds = num(values['overload-seconds'], quick ? 3 : 60, '--overload-seconds');
  const rates = Array.from({ length: maxSteps }, (_, i) => round(first * factor ** i, 2));
  const stamp = new Date(started).toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const outDir = path.resolve(values.out ?? path.join(__dirname, '..', '..', 'load-results', stamp));

  const config = loadConfig();
  const machine = machineInfo();
  const stack = await startBenchStack(config, say, path.join(outDir, 'logs'));
  let target: PropellerTarget | undefined;
  let bare: Awaited<ReturnType<typeof startBareWorker>> | undefined;
  const { connection, client } = await connectClient(stack);
  try {
    target = values.url
      ? givenTarget(values.url.split(','), values.credentials ?? path.join(config.local.dataDir, 'demo-credentials.json'),
          values['mongo-uri'] ? { uri: values['mongo-uri'], db: values['mongo-db'] ?? 'propeller' } : undefined)
      : await startPropellerProcesses(stack, say);
    bare = await startBareWorker(stack);
    const requestTimeoutMs = config.api.requestTimeoutMs;
    const call = apiCaller(target.urls, requestTimeoutMs + 5_000);
    const keys = target.keys;

    say('setting up: the ping-pong pipeline, 64 instances to move on each side, a warm-up...');
    const def = pingPongPipeline();
    const drafted = await call(keys.admin, 'POST', '/v1/pipelines', def);
    if (drafted.status >= 300 && drafted.status !== 409) throw new Error(`POST /v1/pipelines: HTTP ${drafted.status}`);
    await call(keys.admin, 'POST', `/v1/pipelines/${PING_PONG_KEY}/publish`, {});
    const instances: string[] = [];
    const loops: string[] = [];
    await runPool(64, 8, async (i) => {
      const record = await call(keys.sales, 'POST', `/v1/records/${def.objectType}`, { fields: { title: `Load item ${i}` } });
      const startedInstance = await call(keys.sales, 'POST', '/v1/instances', { pipelineKey: PING_PONG_KEY, recordId: record.json.id });
      if (typeof startedInstance.json.instanceId !== 'string') throw new Error(`starting a ping-pong instance: HTTP ${startedInstance.status}`);
      instances[i] = startedInstance.json.instanceId;
      loops[i] = `bare-load-loop:${path.basename(outDir)}-${i}`;
      await client.workflow.start('bareUpdateLoop', { workflowId: loops[i]!, taskQueue: bare!.taskQueue, args: [{}] });
    });
    const moves: OverloadLedger['moves'] = new Map();
    const moveCounts = new Map<string, number>();
    const sides: Side[] = [
      propellerSide(call, keys, instances, `load-${stamp}`, moveCounts),
      bareSide(client, bare.taskQueue, loops, requestTimeoutMs + 5_000),
    ];
    for (const side of sides) await runStep(side, { rate: 1, seconds: 3, movesPerLifecycle }, undefined, side.name === 'Propeller' ? moves : undefined);

    const { steps, capacity } = await ramp(sides, rates, { seconds, movesPerLifecycle }, say, moves);
    const propellerCapacity = capacity('Propeller');
    const bareCapacity = capacity('bare Temporal');
    say(`capacity: Propeller ${propellerCapacity}/s, bare ${bareCapacity}/s`);

    let overload: LoadResult['overload'];
    if (overloadSeconds > 0) {
      const rate = round(2 * Math.max(propellerCapacity, first), 2);
      const ledger: OverloadLedger = { tag: `overload-${stamp}`, lifecycles: new Map(), moves };
      say(`overload: Propeller at ${rate} lifecycles/s (2× capacity) for ${overloadSeconds} s...`);
      const overloadSide = propellerSide(call, keys, instances, ledger.tag, moveCounts);
      const fig = await runStep(overloadSide, { rate, seconds: overloadSeconds, movesPerLifecycle }, ledger, moves);
      say(`  answered ${JSON.stringify(fig.byStatus)}, max ${fig.maxMs} ms; checking every acknowledged change...`);
      const check = target.mongo ? await checkChanges(target.mongo, ledger) : undefined;
      overload = {
        rate,
        seconds: overloadSeconds,
        arrivals: fig.arrivals,
        requests: fig.requests,
        byStatus: fig.byStatus,
        p50: fig.p50,
        p99: fig.p99,
        maxMs: fig.maxMs,
        requestTimeoutMs,
        allAnsweredInTime: fig.maxMs <= requestTimeoutMs && !fig.byStatus['0'],
        check: check ?? 'not checked: give --mongo-uri with --url',
      };
    }

    const result: LoadResult = {
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date().toISOString(),
      elapsedS: round((Date.now() - started) / 1000),
      command: `npm run load${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      machine: { ...machine, loadAverageAtEnd: os.loadavg().map((l) => l.toFixed(2)).join(' ') },
      versions: { ...clientVersions(), ...stack.versions },
      settings: {
        target: values.url ? `given: ${values.url}` : 'started: npm start\'s worker and API as processes, on the bench\'s servers',
        rateLimit: target.rateLimit,
        stepSeconds: seconds,
        rates: rates.join(', '),
        movesPerLifecycle,
        p99BoundMs: P99_BOUND_MS,
        requestTimeoutMs,
        loader: 'the bench drivers under an open-loop arrival scheduler (scripts/load/schedule.ts), latency from each arrival\'s due time, HDR histograms',
      },
      capacity: { propeller: propellerCapacity, bare: bareCapacity, ratio: bareCapacity > 0 ? round(propellerCapacity / bareCapacity) : NaN, target: 0.65 },
      steps,
      overload,
    };
    fs.mkdirSync(outDir, { recursive: true });
    const chart = latencyChart(
      [
        { side: 'Propeller', color: '#1f6fd1', points: steps.filter((s) => s.side === 'Propeller') },
        { side: 'bare Temporal', color: '#e07b00', points: steps.filter((s) => s.side === 'bare Temporal') },
      ],
      'Latency against offered rate (lifecycles + moves)',
    );
    fs.writeFileSync(path.join(outDir, 'latency.svg'), chart);
    fs.writeFileSync(path.join(outDir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
    const markdown = renderLoadMarkdown(result);
    fs.writeFileSync(path.join(outDir, 'result.md'), markdown);
    process.stdout.write(`${markdown}\nWritten to ${path.relative(process.cwd(), outDir) || outDir}/result.{json,md} and latency.svg\n`);
    const check = overload?.check;
    return typeof check === 'object' && (check.lost > 0 || check.duplicated > 0 || check.shedButApplied > 0) ? 1 : 0;
  } finally {
    await bare?.stop().catch(() => undefined);
    await target?.stop().catch(() => undefined);
    await connection.close();
    await stack.stop();
  }
}

runCommand('load', main, say);
