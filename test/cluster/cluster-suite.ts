import { seedDemo, type DemoWorld } from '../support/demo';
import { spawnApi, type ApiProcess } from '../support/api-process';
import { startClusterStack, type ClusterStack } from '../support/cluster-stack';
import { eventually, startHarness, type Harness } from '../support/harness';
import { spawnWorker, stopWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { checkLeads, driveLeads, FAULT_CONCURRENCY, FAULT_LEADS, FAULT_SEED, publishLeadPrograms } from '../integration/faults/lead-lifecycles';

/**
 * What every cluster suite starts before its test: a cluster of its own, a
 * harness on it (its in-process API publishes the lead programs), the demo
 * world, two worker processes and two API processes, as `npm run cluster`
 * runs them. Requests go round-robin to the API processes, as behind a load
 * balancer; a suite may replace a process in `workers` or `apis`.
 */
export interface ClusterSuite {
  stack: ClusterStack;
  h: Harness;
  demo: DemoWorld;
  workers: WorkerProcess[];
  apis: ApiProcess[];
  /** The next API process's URL, round-robin. */
  nextApi(): string;
}

export function useClusterSuite(name: string): ClusterSuite {
  let turn = 0;
  const suite = { workers: [], apis: [] } as unknown as ClusterSuite;
  suite.nextApi = () => suite.apis[turn++ % suite.apis.length]!.url;

  beforeAll(async () => {
    suite.stack = await startClusterStack(name);
    suite.h = await startHarness({ worker: false, servers: suite.stack });
    suite.demo = await seedDemo(suite.h);
    await publishLeadPrograms(suite.h, suite.demo.users.admin);
    suite.apis = await Promise.all([spawnApi(suite.h), spawnApi(suite.h)]);
    suite.workers = await Promise.all([spawnWorker(suite.h), spawnWorker(suite.h)]);
  }, 300_000);

  afterAll(async () => {
    await Promise.all(suite.workers.map((w) => stopWorkerProcess(w)));
    await Promise.all(suite.apis.map((a) => a.kill()));
    suite.demo?.cleanup();
    await suite.h?.stop();
    await suite.stack?.stop();
  }, 120_000);

  return suite;
}

/** Responses of a run with when they were sent, to measure what waited during a fault. */
export class ResponseLog {
  readonly entries: Array<{ method: string; path: string; status: number; sentAt: number; ms: number }> = [];
  readonly record = (r: ResponseLog['entries'][number]) => void this.entries.push(r);

  /** Moves (lead operations) sent in [from, to): how many, and how long the slowest waited. */
  moves(from: number, to: number) {
    const moves = this.entries.filter((e) => e.method === 'POST' && e.path.startsWith('/v1/leads/') && e.sentAt >= from && e.sentAt < to);
    const ms = moves.map((m) => m.ms).sort((a, b) => a - b);
    const at = (q: number) => (ms.length ? ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]! : 0);
    return { count: moves.length, ok: moves.filter((m) => m.status === 200).length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: ms.at(-1) ?? 0 };
  }
}

/**
 * Runs FAULT_LEADS lead lifecycles through both API processes while `fault`
 * runs beside them; `at(moment)` waits until that fraction of the operations is
 * done (or the drive is over) and answers the fraction reached. However the
 * drive ends, the fault finishes (servers back up) before the checks.
 */
export async function runLeadsUnderFault(
  suite: ClusterSuite,
  opts: { tag: string; seed: number; log: ResponseLog; fault: (at: (moment: number) => Promise<number>) => Promise<void> },
) {
  const started = Date.now();
  let progress = 0;
  let driving = true;
  const at = async (moment: number) => {
    await eventually(async () => progress >= moment || !driving, 30 * 60_000);
    return Math.round(progress * 1000) / 1000;
  };
  const fault = opts.fault(at);
  let drive: Awaited<ReturnType<typeof driveLeads>>;
  try {
    drive = await driveLeads(suite.h, suite.demo, {
      leads: FAULT_LEADS,
      concurrency: FAULT_CONCURRENCY,
      seed: opts.seed,
      tag: opts.tag,
      apiUrl: suite.nextApi,
      onResponse: opts.log.record,
      onProgress: (done, total) => (progress = done / total),
    });
  } finally {
    driving = false;
    await fault;
  }
  const drivenMs = Date.now() - started;
  const check = await checkLeads(suite.h, drive.runs, { tag: opts.tag, settleTimeoutMs: 180_000 });
  return { drive, check, drivenMs, started, figures: { leads: FAULT_LEADS, concurrency: FAULT_CONCURRENCY, seed: FAULT_SEED } };
}
