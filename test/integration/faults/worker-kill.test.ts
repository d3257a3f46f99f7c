import { seedDemo, type DemoWorld } from '../../support/demo';
import { eventually, startHarness, type Harness } from '../../support/harness';
import { spawnWorker, stopWorkerProcess, type WorkerProcess } from '../../support/worker-process';
import {
  checkLeads,
  driveLeads,
  expectEveryLeadSound,
  envInt,
  FAULT_CONCURRENCY,
  FAULT_LEADS,
  FAULT_SEED,
  leadRunFigures,
  publishLeadPrograms,
  report,
  seededRandom,
  serverErrors,
} from './lead-lifecycles';

/**
 * Fault suite 1: the worker process is killed with SIGKILL at random moments
 * while lead lifecycles run through the API. Short in `npm test`
 * (FAULT_LEADS=40, FAULT_KILLS=2); long in `npm run test:faults`.
 * Killing a worker is local to this file's task queue, so it runs on the shared stack.
 */
const KILLS = envInt('FAULT_KILLS', 2);
jest.setTimeout(180_000 + FAULT_LEADS * 600 + KILLS * 60_000);

describe('Fault: the worker is killed with SIGKILL while leads run', () => {
  let h: Harness;
  let demo: DemoWorld;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    h = await startHarness({ worker: false });
    demo = await seedDemo(h);
    await publishLeadPrograms(h, demo.users.admin);
  });

  afterAll(async () => {
    await stopWorkerProcess(worker);
    demo?.cleanup();
    await h?.stop();
  });

  it(`When the worker is SIGKILLed ${KILLS} times at random moments during ${FAULT_LEADS} lead lifecycles, then every lead ends where its operations say, each step once, every deadline fired, no duplicate opportunity`, async () => {
    const started = Date.now();
    const random = seededRandom(FAULT_SEED + 1);
    // The moments: fractions of the run's operations done, drawn from the seed (in its first 60%, so that the
    // last kill's stalled steps, which wait out their activity's 30 s timeout, overlap the rest of the run).
    const moments = Array.from({ length: KILLS }, () => 0.05 + random() * 0.55).sort((a, b) => a - b);
    let progress = 0;
    let driving = true;
    const kills: Array<{ atProgress: number; downMs: number }> = [];

    worker = await spawnWorker(h);
    const chaos = (async () => {
      for (const moment of moments) {
        await eventually(async () => progress >= moment || !driving, 30 * 60_000);
        const at = progress;
        const downAt = Date.now();
        worker!.child.kill('SIGKILL');
        await worker!.exited;
        worker = await spawnWorker(h);
        kills.push({ atProgress: Math.round(at * 1000) / 1000, downMs: Date.now() - downAt });
      }
    })();

    // However the drive ends, the fault schedule finishes (servers back up) before the checks or the teardown.
    let drive: Awaited<ReturnType<typeof driveLeads>>;
    try {
      drive = await driveLeads(h, demo, {
        leads: FAULT_LEADS,
        concurrency: FAULT_CONCURRENCY,
        seed: FAULT_SEED,
        tag: `wk${FAULT_SEED}`,
        onProgress: (done, total) => (progress = done / total),
      });
    } finally {
      driving = false;
      await chaos;
    }
    const drivenMs = Date.now() - started;
    const check = await checkLeads(h, drive.runs, { tag: `wk${FAULT_SEED}`, settleTimeoutMs: 180_000 });

    report('worker-kill', {
      leads: FAULT_LEADS,
      concurrency: FAULT_CONCURRENCY,
      seed: FAULT_SEED,
      kills: kills.length,
      killMoments: kills.map((k) => k.atProgress),
      workerDownMs: kills.map((k) => k.downMs),
      ...leadRunFigures(drive, check),
      drivenMs,
      elapsedMs: Date.now() - started,
      problems: check.problems.slice(0, 20),
      serverErrors: serverErrors(h).slice(-10),
    });

    expect(kills).toHaveLength(KILLS);
    expectEveryLeadSound(drive, check, FAULT_LEADS);
  });
});
