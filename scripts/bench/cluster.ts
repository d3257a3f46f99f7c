import path from 'node:path';
import type { Config } from '../../lib/config';
import { parsePostgresUrl } from '../stack/cluster-config';
import { dropDatabase, freeClusterLayout, startTemporalCluster } from '../stack/cluster';
import { ensureTemporalCluster, TEMPORAL_SERVER_VERSION } from '../stack/provision';
import { cpuMeter } from './cpu';
import { shortId } from './env';
import type { Say } from './load';
import { startPropeller } from './propeller';
import { row, warmupCount, type Row, type ScenarioOutcome, type ScenarioResult } from './scenario';
import { propellerLifecycles, type LifecycleRun } from './scenarios/drivers';
import { LIFECYCLE_CONCURRENCY, lifecycle, stepFacts } from './scenarios/lifecycle';
import { moveLatency } from './scenarios/move-latency';
import type { BenchStack } from './stack';
import { nowMs } from './stats';
import { propellerWorkerEnv, spawnWorker } from './worker-process';

/**
 * `npm run bench -- --cluster`: the same lifecycle and move-latency runs on a
 * self-hosted Temporal cluster (PostgreSQL, 4 shards, frontend, two history
 * processes, matching and worker as separate processes) and on the dev
 * server, in one run and on one FerretDB, so the ratios say what the cluster
 * costs; plus Propeller with one and with two worker processes on the
 * cluster. CPU per lifecycle is split by process, Temporal's services each
 * on their own line: that is where the time goes.
 */
export async function startClusterBenchStack(dev: BenchStack, config: Readonly<Config>, say: Say): Promise<BenchStack> {
  const binary = await ensureTemporalCluster({ cacheDir: config.local.cacheDir, say });
  const pg = parsePostgresUrl(config.local.temporalPostgresUrl);
  const id = shortId();
  const databases = { temporal: `bench_${id}_temporal`, visibility: `bench_${id}_visibility` };
  say('starting the Temporal cluster...');
  const cluster = await startTemporalCluster({
    binary,
    dir: path.join(dev.logDir, 'cluster'),
    layout: await freeClusterLayout(),
    pg,
    databases,
    namespace: 'default',
    logLevel: 'error',
  });
  const pids = Object.fromEntries(cluster.layout.nodes.map((n) => [n.name, cluster.process(n.name)?.child.pid]));
  return {
    ...dev,
    temporal: { address: cluster.address, namespace: 'default' },
    pids: { ...pids, ferretdb: dev.pids.ferretdb },
    versions: { temporalCluster: `server ${TEMPORAL_SERVER_VERSION}, PostgreSQL ${pg.host}:${pg.port}, 4 shards, 2 history processes` },
    async stop() {
      await cluster.stop();
      for (const db of Object.values(databases)) await dropDatabase(binary, pg, db).catch(() => undefined);
    },
  };
}

/** Propeller's lifecycles with its workers as `workers` processes of their own (npm run worker), on one task queue. */
async function workerProcessLifecycles(stack: BenchStack, n: number, workers: number, say: Say): Promise<{ run: LifecycleRun; cpu: string }> {
  const env = await startPropeller(stack, { name: `cluster_w${workers}`, worker: false });
  const procs: Array<Awaited<ReturnType<typeof spawnWorker>>> = [];
  try {
    for (let i = 0; i < workers; i++) {
      procs.push(await spawnWorker('workers/main.ts', [], await propellerWorkerEnv(stack, env), path.join(stack.logDir, `worker-cluster-${workers}-${i + 1}.log`)));
    }
    await propellerLifecycles(env, warmupCount(n), LIFECYCLE_CONCURRENCY, say, `cluster · ${workers} worker process(es) warm-up`);
    const meter = await cpuMeter({ ...stack.pids, ...Object.fromEntries(procs.map((p, i) => [`worker ${i + 1}`, p.pid])) });
    const run = await propellerLifecycles(env, n, LIFECYCLE_CONCURRENCY, say, `cluster · ${workers} worker process(es)`);
    return { run, cpu: await meter.per(n) };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await env.stop();
  }
}

const find = (outcome: ScenarioOutcome, metric: string) => {
  const r = outcome.rows.find((x) => x.metric === metric);
  if (!r) throw new Error(`no row ${metric}`);
  return r;
};

/** Runs both comparisons; each becomes one scenario of the result. */
export async function clusterScenarios(dev: BenchStack, cluster: BenchStack, sizes: { lifecycles: number; moves: number }, say: Say): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  const timedRun = async (name: string, run: () => Promise<ScenarioOutcome>) => {
    const start = nowMs();
    say(`${name}...`);
    try {
      results.push({ scenario: name, ...(await run()), elapsedS: (nowMs() - start) / 1000 });
    } catch (err) {
      say(`${name} failed: ${err instanceof Error ? err.message : String(err)}`);
      results.push({ scenario: name, n: 0, settings: {}, rows: [], facts: {}, notes: [], elapsedS: (nowMs() - start) / 1000, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
  };

  await timedRun('cluster-lifecycle', async () => {
    const n = sizes.lifecycles;
    const onDev = await lifecycle.run({ stack: dev, n, say });
    const onCluster = await lifecycle.run({ stack: cluster, n, say });
    const one = await workerProcessLifecycles(cluster, n, 1, say);
    const two = await workerProcessLifecycles(cluster, n, 2, say);
    const devP = find(onDev, 'lifecycles/s');
    const clusterP = find(onCluster, 'lifecycles/s');
    const rows: Row[] = [
      row('lifecycles/s on the cluster (in-process worker)', '/s', n, clusterP.propeller, clusterP.baseline),
      row('lifecycles/s on the cluster, 1 worker process', '/s', n, one.run.perSecond, clusterP.baseline),
      row('lifecycles/s on the cluster, 2 worker processes', '/s', n, two.run.perSecond, clusterP.baseline),
      row('lifecycles/s, 2 worker processes ÷ 1', '/s', n, two.run.perSecond, one.run.perSecond, { labels: ['2 workers', '1 worker'] }),
      row('Propeller lifecycles/s, cluster ÷ dev server', '/s', n, clusterP.propeller, devP.propeller, { labels: ['cluster', 'dev server'] }),
      row('bare Temporal lifecycles/s, cluster ÷ dev server', '/s', n, clusterP.baseline, devP.baseline, { labels: ['cluster', 'dev server'] }),
      row('lifecycles/s on the dev server (in-process worker)', '/s', n, devP.propeller, devP.baseline),
    ];
    const prefixed = (side: string, facts: ScenarioOutcome['facts']) => Object.fromEntries(Object.entries(facts).map(([k, v]) => [`${side}: ${k}`, v]));
    return {
      n,
      settings: { concurrency: LIFECYCLE_CONCURRENCY, warmup: warmupCount(n) },
      rows,
      facts: {
        ...prefixed('cluster', onCluster.facts),
        ...prefixed('dev server', onDev.facts),
        ...stepFacts('cluster, 1 worker process', one.run, ['create', 'accept', 'convert']),
        'cluster, 1 worker process: CPU per lifecycle': one.cpu,
        ...stepFacts('cluster, 2 worker processes', two.run, ['create', 'accept', 'convert']),
        'cluster, 2 worker processes: CPU per lifecycle': two.cpu,
      },
      notes: [
        'The same lifecycle scenario (create → accept → convert over HTTP at concurrency 32, and the bare start → update → update) on the dev server ' +
          'and on the cluster, one after the other, on the same FerretDB. "In-process worker" is the lifecycle scenario as `npm run bench` runs it; ' +
          'the worker-process rows run `npm run worker` as 1 or 2 processes of their own on one task queue. CPU per lifecycle names each ' +
          'Temporal process (frontend, history-1, history-2, matching, worker), FerretDB, the worker processes and the bench process (API, load driver).',
      ],
    };
  });

  await timedRun('cluster-move-latency', async () => {
    const n = sizes.moves;
    const onDev = await moveLatency.run({ stack: dev, n, say });
    const onCluster = await moveLatency.run({ stack: cluster, n, say });
    const rows: Row[] = [];
    for (const r of onCluster.rows) {
      const d = find(onDev, r.metric);
      rows.push(row(`${r.metric} on the cluster`, 'ms', n, r.propeller, r.baseline));
      rows.push(row(`Propeller ${r.metric}, cluster ÷ dev server`, 'ms', n, r.propeller, d.propeller, { labels: ['cluster', 'dev server'] }));
      rows.push(row(`bare ${r.metric}, cluster ÷ dev server`, 'ms', n, r.baseline, d.baseline, { labels: ['cluster', 'dev server'] }));
    }
    return {
      n,
      settings: onCluster.settings,
      rows,
      facts: { ...Object.fromEntries(Object.entries(onCluster.facts).map(([k, v]) => [`cluster: ${k}`, v])), ...Object.fromEntries(Object.entries(onDev.facts).map(([k, v]) => [`dev server: ${k}`, v])) },
      notes: ['The move-latency scenario on the dev server and on the cluster in one run; a move on the cluster crosses frontend → history (the shard owner) → matching → the worker and back.'],
    };
  });
  return results;
}
