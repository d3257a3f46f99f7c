import { LEAD_STAGES } from '../../../scripts/templates/partner-lead';
import { seedDemo, type DemoWorld } from '../../support/demo';
import { eventually, startHarness, type Harness } from '../../support/harness';
import { startPrivateStack, type PrivateStack } from '../../support/private-stack';
import { spawnWorker, stopWorkerProcess, type WorkerProcess } from '../../support/worker-process';
import {
  checkLeads,
  driveLeads,
  envInt,
  FAULT_CONCURRENCY,
  FAULT_LEADS,
  FAULT_SEED,
  publishLeadPrograms,
  report,
  seededRandom,
} from './lead-lifecycles';
import { probe, type Probe } from './probes';

/**
 * Fault suite 3: FerretDB (the MongoDB the API and the activities use) is
 * stopped for FERRETDB_OUTAGE_MS in the middle of a run of lead lifecycles and
 * started again on the same port and files. A FerretDB of this file's own; the
 * Temporal server is the run's shared one.
 */
const OUTAGE_MS = envInt('FERRETDB_OUTAGE_MS', 5_000);
/** The longest the API may take to say 503 while MongoDB is down. */
const ANSWER_WITHIN_MS = 15_000;
jest.setTimeout(240_000 + FAULT_LEADS * 600 + OUTAGE_MS);

describe('Fault: FerretDB is down for a while mid-run', () => {
  let stack: PrivateStack;
  let h: Harness;
  let demo: DemoWorld;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    stack = await startPrivateStack('ferretdb-outage', { temporal: false });
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

  it(`When FerretDB is stopped for ${OUTAGE_MS} ms during ${FAULT_LEADS} lead lifecycles, then the API answers 503 (not 500) meanwhile, the activities retry and complete after it returns, and nothing is lost or doubled`, async () => {
    const started = Date.now();
    const { sales, partnerA_user: partner } = demo.users;
    worker = await spawnWorker(h);

    const created = await probe(h, 'POST', '/v1/records/lead', sales, { fields: { title: 'probe lead' }, partnerCompanyId: demo.companies.partnerA });
    expect(created.status).toBe(201);
    const probeLead = String((created.body as any).id);

    const random = seededRandom(FAULT_SEED + 3);
    const moment = 0.2 + random() * 0.5;
    let progress = 0;
    let driving = true;
    const outage: Record<string, unknown> = {};
    let probes: Record<string, Probe> = {};
    let workerRestarts = 0;

    const chaos = (async () => {
      await eventually(async () => progress >= moment || !driving, 30 * 60_000);
      outage.atProgress = Math.round(progress * 1000) / 1000;
      const down = Date.now();
      await stack.stopFerretdb();
      const [ready, read, move] = await Promise.all([
        probe(h, 'GET', '/readyz'),
        probe(h, 'GET', `/v1/records/lead/${probeLead}`, sales),
        probe(h, 'POST', `/v1/leads/${probeLead}/accept`, partner, {}),
        // The deliberate outage.
        new Promise((r) => setTimeout(r, OUTAGE_MS)),
      ]);
      probes = { ready, read, move };
      await stack.startFerretdb();
      outage.downMs = Date.now() - down;
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
        seed: FAULT_SEED + 30,
        tag: `fo${FAULT_SEED}`,
        onProgress: (done, total) => (progress = done / total),
      });
    } finally {
      driving = false;
      await chaos;
    }
    const drivenMs = Date.now() - started;
    const check = await checkLeads(h, drive.runs, { tag: `fo${FAULT_SEED}`, settleTimeoutMs: 180_000 });
    const probeTrail = (await h.stores.events.forRecord(probeLead)).map((e) => e.kind);
    const acceptedAfter = await probe(h, 'POST', `/v1/leads/${probeLead}/accept`, partner, {});

    report('ferretdb-outage', {
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

    expect(probes.ready).toMatchObject({ status: 503, code: 'not_ready', message: expect.stringContaining('MongoDB unreachable') });
    for (const p of [probes.read!, probes.move!]) {
      expect(p).toMatchObject({ status: 503, code: 'database_unavailable' });
      expect(p.ms).toBeLessThan(ANSWER_WITHIN_MS);
    }
    expect(probeTrail).toEqual(['started']);
    expect(acceptedAfter.status).toBe(200);
    expect((await h.stores.records.get(probeLead))?.fields.status).toBe(LEAD_STAGES.accepted);

    expect(drive.stats.unexpected).toEqual([]);
    expect(drive.stats.hung).toBe(0);
    expect(check.problems).toEqual([]);
    expect(check).toMatchObject({ duplicatesFound: 0, lost: 0, duplicateOpportunities: 0, refusedOps: 0 });
    expect(check.deadlinesFired).toBe(check.deadlinesExpected);
    expect(check.leadRecords).toBe(FAULT_LEADS);
  });
});
