import { LEAD_STAGES } from '../../../workflows/domain/templates/partner-lead';
import type { TestUser } from '../../support/auth';
import { seedDemo, type DemoWorld } from '../../support/demo';
import { eventually, startHarness, type Harness } from '../../support/harness';
import { startedInstanceId } from '../../support/instances';
import { startPrivateStack, type PrivateStack } from '../../support/private-stack';
import { superviseWorker, type SupervisedWorker } from '../../support/worker-process';
import {
  checkLeads,
  driveLeads,
  expectEveryLeadSound,
  FAULT_CONCURRENCY,
  FAULT_LEADS,
  FAULT_SEED,
  leadRunFigures,
  publishLeadPrograms,
  report,
  seededRandom,
  serverErrors,
} from './lead-lifecycles';
import { probe, type Probe } from './probes';

/** The longest the API may take to say 503 while a server is down. */
const ANSWER_WITHIN_MS = 15_000;

export interface OutageSpec {
  /** The suite's name in its report and test-output file. */
  name: string;
  /** Which server of the file's own private stack goes down; the other is the run's shared one. */
  server: 'temporal' | 'ferretdb';
  outageMs: number;
  /** Added to FAULT_SEED, so each suite draws its own moment and lead plans. */
  seedOffset: number;
  describe: string;
  it: string;
  /** What `/readyz` names as down, and the code of the other answers meanwhile. */
  readyMessage: string;
  downCode: string;
  /** Whether a read of an instance still answers while the server is down: reads come from MongoDB, not from Temporal. */
  readsWhileDown: boolean;
  /** A read and a move of the probe lead, tried while the server is down: the move must not happen later. */
  probesWhileDown(h: Harness, lead: { id: string; instanceId: string; sales: TestUser; partner: TestUser }): [Promise<Probe>, Promise<Probe>];
}

/**
 * One server of a private stack is stopped in the middle of a run of lead
 * lifecycles, kept down `outageMs`, and started again on the same port and
 * files. While it is down the API answers 503 quickly and changes nothing;
 * afterwards every lead ends where its operations say, each step once.
 */
export function describeServerOutage(spec: OutageSpec): void {
  jest.setTimeout(240_000 + FAULT_LEADS * 600 + spec.outageMs);

  describe(spec.describe, () => {
    let stack: PrivateStack;
    let h: Harness;
    let demo: DemoWorld;
    let worker: SupervisedWorker | undefined;

    beforeAll(async () => {
      stack = await startPrivateStack(spec.name, spec.server === 'temporal' ? { ferretdb: false } : { temporal: false });
      h = await startHarness({ worker: false, servers: stack });
      demo = await seedDemo(h);
      await publishLeadPrograms(h, demo.users.admin);
    });

    afterAll(async () => {
      await worker?.stop();
      demo?.cleanup();
      await h?.stop();
      await stack?.stop();
    });

    it(spec.it, async () => {
      const started = Date.now();
      const { sales, partnerA_user: partner } = demo.users;
      // Supervised, as in any deployment: a worker that gives up while the server is down is started again.
      worker = await superviseWorker(h);

      const created = await probe(h, 'POST', '/v1/records/lead', sales, { fields: { title: 'probe lead' }, partnerCompanyId: demo.companies.partnerA });
      expect(created.status).toBe(201);
      const probeLead = String((created.body as any).id);
      const probeInstance = startedInstanceId(created.body)!;

      const random = seededRandom(FAULT_SEED + spec.seedOffset);
      const moment = 0.2 + random() * 0.5;
      let progress = 0;
      let driving = true;
      const outage: Record<string, unknown> = { atProgress: 0 };
      let probes: Record<string, Probe> = {};
      const tag = `${spec.name}-${FAULT_SEED}`;

      const chaos = (async () => {
        await eventually(async () => progress >= moment || !driving, 30 * 60_000);
        outage.atProgress = Math.round(progress * 1000) / 1000;
        const down = Date.now();
        await (spec.server === 'temporal' ? stack.stopTemporal() : stack.stopFerretdb());
        outage.stopMs = Date.now() - down;
        // While it is down: the API says so, at once, and changes nothing.
        const [ready, [read, move]] = await Promise.all([
          probe(h, 'GET', '/readyz'),
          Promise.all(spec.probesWhileDown(h, { id: probeLead, instanceId: probeInstance, sales, partner })),
          // The deliberate outage: the server stays down at least this long.
          new Promise((r) => setTimeout(r, spec.outageMs)),
        ]);
        probes = { ready, read, move };
        const up = Date.now();
        await (spec.server === 'temporal' ? stack.startTemporal() : stack.startFerretdb());
        outage.restartMs = Date.now() - up;
        outage.downMs = Date.now() - down;
      })();

      // However the drive ends, the fault schedule finishes (servers back up) before the checks or the teardown.
      let drive: Awaited<ReturnType<typeof driveLeads>>;
      try {
        drive = await driveLeads(h, demo, {
          leads: FAULT_LEADS,
          concurrency: FAULT_CONCURRENCY,
          seed: FAULT_SEED + spec.seedOffset * 10,
          tag,
          onProgress: (done, total) => (progress = done / total),
        });
      } finally {
        driving = false;
        await chaos;
      }
      const drivenMs = Date.now() - started;
      const check = await checkLeads(h, drive.runs, { tag, settleTimeoutMs: 180_000 });

      // The probe lead: the refused move left nothing behind, and the lead can be accepted now.
      const probeTrail = (await h.stores.events.forRecord(probeLead)).map((e) => e.kind);
      const acceptedAfter = await probe(h, 'POST', `/v1/leads/${probeLead}/accept`, partner, {});

      report(spec.name, {
        leads: FAULT_LEADS,
        concurrency: FAULT_CONCURRENCY,
        seed: FAULT_SEED,
        outage,
        workerExits: worker.exits,
        whileDown: Object.fromEntries(Object.entries(probes).map(([k, p]) => [k, `${p.status} ${p.code ?? ''} in ${p.ms} ms`])),
        ...leadRunFigures(drive, check),
        drivenMs,
        elapsedMs: Date.now() - started,
        problems: check.problems.slice(0, 20),
        serverErrors: serverErrors(h).slice(-10),
      });

      expect(probes.ready).toMatchObject({ status: 503, code: 'not_ready', message: expect.stringContaining(spec.readyMessage) });
      const refused = spec.readsWhileDown ? [probes.move!] : [probes.read!, probes.move!];
      for (const p of refused) {
        expect(p).toMatchObject({ status: 503, code: spec.downCode });
        expect(p.ms).toBeLessThan(ANSWER_WITHIN_MS);
      }
      if (spec.readsWhileDown) {
        expect(probes.read).toMatchObject({ status: 200 });
        expect((probes.read!.body as { stage: { key: string } }).stage.key).toBe(LEAD_STAGES.pending);
        expect(probes.read!.ms).toBeLessThan(ANSWER_WITHIN_MS);
      }
      expect(probeTrail).toEqual(['started']);
      expect(acceptedAfter.status).toBe(200);
      expect((await h.stores.records.get(probeLead))?.fields.status).toBe(LEAD_STAGES.accepted);
      expectEveryLeadSound(drive, check, FAULT_LEADS);
    });
  });
}
