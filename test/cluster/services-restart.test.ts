import { LEAD_STAGES } from '../../workflows/domain/templates/partner-lead';
import { eventually, type Harness } from '../support/harness';
import { startedInstanceId } from '../support/instances';
import { instancePath } from '../support/pipelines';
import { envInt, expectEveryLeadSound, FAULT_LEADS, FAULT_SEED, leadRunFigures, report, seededRandom } from '../integration/faults/lead-lifecycles';
import { probe, type Probe } from '../integration/faults/probes';
import { ResponseLog, runLeadsUnderFault, useClusterSuite } from './cluster-suite';

/**
 * The matching service, and then the frontend, are SIGKILLed mid-run, kept
 * down a while and started again on the same addresses. While the frontend is
 * down both API processes answer at once: readiness and a move 503 (naming
 * Temporal, `temporal_unavailable`), a read 200 from MongoDB; afterwards they serve again with
 * no restart of their own, and every lead ends where its operations say.
 */
const OUTAGE_MS = envInt('TEMPORAL_OUTAGE_MS', 5_000);
const ANSWER_WITHIN_MS = 15_000;
jest.setTimeout(300_000 + FAULT_LEADS * 600 + 2 * OUTAGE_MS);

const show = (p: Probe) => `${p.status} ${p.code ?? ''} in ${p.ms} ms`;

describe('Cluster: matching and the frontend are killed and restarted mid-run', () => {
  const suite = useClusterSuite('services-restart');

  it(`When matching and then the frontend are each SIGKILLed for ${OUTAGE_MS} ms during ${FAULT_LEADS} lead lifecycles, then the API refuses changes with 503 and answers reads meanwhile, recovers without a restart, and every lead ends where its operations say`, async () => {
    const { stack, demo } = suite;
    const { sales, partnerA_user: partner } = demo.users;
    const apiPids = suite.apis.map((a) => a.child.pid);
    const via = (url: string): Harness => ({ ...suite.h, apiUrl: url });

    const created = await probe(suite.h, 'POST', '/v1/records/lead', sales, { fields: { title: 'probe lead' }, partnerCompanyId: demo.companies.partnerA });
    expect(created.status).toBe(201);
    const probeLead = String((created.body as { id: string }).id);
    const probeInstance = startedInstanceId(created.body)!;

    const random = seededRandom(FAULT_SEED + 13);
    const moments = [0.15 + random() * 0.2, 0.5 + random() * 0.2];
    const log = new ResponseLog();
    const outages: Record<string, Record<string, unknown>> = {};
    let frontendProbes: Probe[] = [];

    const outage = async (at: (moment: number) => Promise<number>, node: 'matching' | 'frontend', moment: number) => {
      const figures: Record<string, unknown> = { atProgress: await at(moment) };
      const down = Date.now();
      await stack.cluster.kill(node, 'SIGKILL');
      const probes = Promise.all(
        suite.apis.flatMap((api) => [
          probe(via(api.url), 'GET', '/readyz'),
          probe(via(api.url), 'GET', instancePath(probeInstance), sales),
          ...(node === 'frontend' ? [probe(via(api.url), 'POST', `${instancePath(probeInstance)}/moves`, partner, { to: LEAD_STAGES.accepted })] : []),
        ]),
      );
      const [answers] = await Promise.all([probes, new Promise((r) => setTimeout(r, OUTAGE_MS))]);
      const restart = Date.now();
      await stack.cluster.start(node);
      figures.restartMs = Date.now() - restart;
      figures.downMs = Date.now() - down;
      figures.whileDown = answers.map(show);
      figures.movesSentWhileDown = log.moves(down, Date.now());
      if (node === 'frontend') frontendProbes = answers;
      // Recovered: both API processes ready again, on the same connection they had.
      const recovered = Date.now();
      await Promise.all(suite.apis.map((api) => eventually(async () => (await probe(via(api.url), 'GET', '/readyz')).status === 200, 120_000)));
      figures.apisReadyAfterRestartMs = Date.now() - recovered;
      outages[node] = figures;
    };
    const { drive, check, drivenMs, started, figures } = await runLeadsUnderFault(suite, {
      tag: `csr${FAULT_SEED}`,
      seed: FAULT_SEED + 13,
      log,
      fault: async (at) => {
        await outage(at, 'matching', moments[0]!);
        await outage(at, 'frontend', moments[1]!);
      },
    });
    // The move refused while the frontend was down never happened; the lead can be accepted now, through either API.
    const probeTrail = (await suite.h.stores.events.forRecord(probeLead)).map((e) => e.kind);
    const acceptedAfter = await probe(via(suite.apis[1]!.url), 'POST', `/v1/leads/${probeLead}/accept`, partner, {});

    report('cluster-services-restart', {
      ...figures,
      ...outages,
      ...leadRunFigures(drive, check),
      drivenMs,
      elapsedMs: Date.now() - started,
      problems: check.problems.slice(0, 20),
    });

    expect(Object.keys(outages)).toEqual(['matching', 'frontend']);
    for (let i = 0; i < suite.apis.length; i++) {
      const [ready, read, move] = frontendProbes.slice(i * 3, i * 3 + 3);
      expect(ready).toMatchObject({ status: 503, code: 'not_ready', message: expect.stringContaining('Temporal') });
      // A read comes from MongoDB and still answers; a move needs the frontend.
      expect(move).toMatchObject({ status: 503, code: 'temporal_unavailable' });
      expect(read).toMatchObject({ status: 200 });
      for (const p of [read!, move!]) expect(p.ms).toBeLessThan(ANSWER_WITHIN_MS);
    }
    // No restart of their own: the same processes, still running.
    expect(suite.apis.map((a) => a.child.pid)).toEqual(apiPids);
    expect(suite.apis.map((a) => a.child.exitCode)).toEqual([null, null]);
    expect(probeTrail).toEqual(['started']);
    expect(acceptedAfter.status).toBe(200);
    expectEveryLeadSound(drive, check, FAULT_LEADS);
  });
});
