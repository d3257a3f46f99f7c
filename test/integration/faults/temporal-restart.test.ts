import { COLLECTIONS } from '../../../activities/store';
import { LEAD_STAGES } from '../../../scripts/templates/partner-lead';
import { seedDemo, type DemoWorld } from '../../support/demo';
import { eventually, startHarness, type Harness } from '../../support/harness';
import { instancePath } from '../../support/pipelines';
import { startPrivateStack, type PrivateStack } from '../../support/private-stack';
import { spawnWorker, stopWorkerProcess, type WorkerProcess } from '../../support/worker-process';
import {
  checkLeads,
  driveLeads,
  envInt,
  FAULT_CONCURRENCY,
  FAULT_LEADS,
  FAULT_SEED,
  LEAD_KEY,
  publishLeadPrograms,
  report,
  seededRandom,
} from './lead-lifecycles';
import { probe, type Probe } from './probes';

/**
 * Fault suite 2: the Temporal dev server is stopped (SIGTERM) in the middle of
 * a run of lead lifecycles and started again on the same port and SQLite file.
 * On a dev server of this file's own, so the other files keep theirs.
 */
const OUTAGE_MS = envInt('TEMPORAL_OUTAGE_MS', 5_000);
/** The longest the API may take to say 503 while Temporal is down. */
const ANSWER_WITHIN_MS = 15_000;
jest.setTimeout(240_000 + FAULT_LEADS * 600 + OUTAGE_MS);

describe('Fault: the Temporal server is stopped and restarted mid-run', () => {
  let stack: PrivateStack;
  let h: Harness;
  let demo: DemoWorld;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    stack = await startPrivateStack('temporal-restart', { ferretdb: false });
    h = await startHarness({ worker: false, servers: stack });
    demo = await seedDemo(h);
    await publishLeadPrograms(h, demo.users.admin);
  });

  afterAll(async () => {
    await stopWorkerProcess(worker);
    demo?.cleanup();
    await h?.stop();
    await stack?.stop();
  });

  it(`When the Temporal server stops for ${OUTAGE_MS} ms during ${FAULT_LEADS} lead lifecycles and restarts on the same database, then the API answers 503 meanwhile and every lead ends where its operations say, each step once`, async () => {
    const started = Date.now();
    const { sales, partnerA_user: partner } = demo.users;
    worker = await spawnWorker(h);

    // A lead of its own for the probes: the move tried while Temporal is down must not happen later.
    const created = await probe(h, 'POST', '/v1/records/lead', sales, { fields: { title: 'probe lead' }, partnerCompanyId: demo.companies.partnerA });
    expect(created.status).toBe(201);
    const probeLead = String((created.body as any).id);
    const probeInstance = `pipeline:${LEAD_KEY}:lead:${probeLead}`;

    const random = seededRandom(FAULT_SEED + 2);
    const moment = 0.2 + random() * 0.5;
    let progress = 0;
    let driving = true;
    const outage: Record<string, unknown> = { atProgress: 0 };
    let probes: Record<string, Probe> = {};
    let workerRestarts = 0;

    const chaos = (async () => {
      await eventually(async () => progress >= moment || !driving, 30 * 60_000);
      outage.atProgress = Math.round(progress * 1000) / 1000;
      const down = Date.now();
      await stack.stopTemporal();
      outage.stopMs = Date.now() - down;
      // While it is down: the API says so, at once, and changes nothing.
      const [ready, read, move] = await Promise.all([
        probe(h, 'GET', '/readyz'),
        probe(h, 'GET', instancePath(probeInstance), sales),
        probe(h, 'POST', `${instancePath(probeInstance)}/moves`, partner, { to: LEAD_STAGES.accepted }),
        // The deliberate outage: the server stays down at least this long.
        new Promise((r) => setTimeout(r, OUTAGE_MS)),
      ]);
      probes = { ready, read, move };
      const up = Date.now();
      await stack.startTemporal();
      outage.restartMs = Date.now() - up;
      outage.downMs = Date.now() - down;
      // The worker reconnects by itself; one that gave up is started again.
      if (worker!.child.exitCode !== null || worker!.child.signalCode !== null) {
        workerRestarts++;
        worker = await spawnWorker(h);
      }
    })();

    // However the drive ends, the fault schedule finishes (servers back up) before the checks or the teardown.
    let drive: Awaited<ReturnType<typeof driveLeads>>;
    try {
      drive = await driveLeads(h, demo, {
        leads: FAULT_LEADS,
        concurrency: FAULT_CONCURRENCY,
        seed: FAULT_SEED + 20,
        tag: `tr${FAULT_SEED}`,
        onProgress: (done, total) => (progress = done / total),
      });
    } finally {
      driving = false;
      await chaos;
    }
    const drivenMs = Date.now() - started;
    const check = await checkLeads(h, drive.runs, { tag: `tr${FAULT_SEED}`, settleTimeoutMs: 180_000 });

    // The probe lead: the refused move left nothing behind, and the lead can be accepted now.
    const probeTrail = (await h.stores.events.forRecord(probeLead)).map((e) => e.kind);
    const acceptedAfter = await probe(h, 'POST', `/v1/leads/${probeLead}/accept`, partner, {});

    report('temporal-restart', {
      leads: FAULT_LEADS,
      concurrency: FAULT_CONCURRENCY,
      seed: FAULT_SEED,
      outage,
      workerRestarts,
      whileDown: Object.fromEntries(Object.entries(probes).map(([k, p]) => [k, `${p.status} ${p.code ?? ''} in ${p.ms} ms`])),
      operations: drive.totalOps,
      requests: drive.stats.requests,
      retriedAfter503: drive.stats.retried,
      responses: drive.stats.byStatus,
      maxResponseMs: drive.stats.maxResponseMs,
      hung: drive.stats.hung,
      retriedAnswers: drive.stats.retries,
      transitionsChecked: check.transitionsChecked,
      duplicatesFound: check.duplicatesFound,
      lost: check.lost,
      deadlines: `${check.deadlinesFired}/${check.deadlinesExpected}`,
      opportunities: check.opportunities,
      duplicateOpportunities: check.duplicateOpportunities,
      ambiguousOps: check.ambiguousOps,
      refusedOps: check.refusedOps,
      drivenMs,
      elapsedMs: Date.now() - started,
      problems: check.problems.slice(0, 20),
    });

    expect(probes.ready).toMatchObject({ status: 503, code: 'not_ready', message: expect.stringContaining('Temporal unreachable') });
    for (const p of [probes.read!, probes.move!]) {
      expect(p).toMatchObject({ status: 503, code: 'temporal_unavailable' });
      expect(p.ms).toBeLessThan(ANSWER_WITHIN_MS);
    }
    expect(probeTrail).toEqual(['started']);
    expect(acceptedAfter.status).toBe(200);
    expect(await h.db.collection(COLLECTIONS.records).countDocuments({ _id: probeLead as never, 'fields.status': LEAD_STAGES.accepted })).toBe(1);

    expect(drive.stats.unexpected).toEqual([]);
    expect(drive.stats.hung).toBe(0);
    expect(check.problems).toEqual([]);
    expect(check).toMatchObject({ duplicatesFound: 0, lost: 0, duplicateOpportunities: 0, refusedOps: 0 });
    expect(check.deadlinesFired).toBe(check.deadlinesExpected);
    expect(check.leadRecords).toBe(FAULT_LEADS);
  });
});
