import { spawnWorker } from '../support/worker-process';
import { envInt, expectEveryLeadSound, FAULT_LEADS, FAULT_SEED, leadRunFigures, report, seededRandom } from '../integration/faults/lead-lifecycles';
import { ResponseLog, runLeadsUnderFault, useClusterSuite } from './cluster-suite';

/**
 * On the cluster, with two workers: one of them is SIGKILLed again and again
 * (and started again each time) while lead lifecycles run through both API
 * processes; the other never stops, and carries the work meanwhile.
 */
const KILLS = envInt('FAULT_KILLS', 2);
jest.setTimeout(300_000 + FAULT_LEADS * 600 + KILLS * 60_000);

describe('Cluster: one of two workers is SIGKILLed again and again while leads run', () => {
  const suite = useClusterSuite('worker-kill');

  it(`When worker 1 of 2 is SIGKILLed ${KILLS} times during ${FAULT_LEADS} lead lifecycles, then worker 2 carries on and every lead ends where its operations say, each step once, every deadline fired`, async () => {
    const random = seededRandom(FAULT_SEED + 11);
    const moments = Array.from({ length: KILLS }, () => 0.05 + random() * 0.6).sort((a, b) => a - b);
    const kills: Array<{ atProgress: number; downMs: number; from: number; to: number }> = [];
    const log = new ResponseLog();
    const survivor = suite.workers[1]!;

    const { drive, check, drivenMs, started, figures } = await runLeadsUnderFault(suite, {
      tag: `cwk${FAULT_SEED}`,
      seed: FAULT_SEED + 11,
      log,
      fault: async (at) => {
        for (const moment of moments) {
          const atProgress = await at(moment);
          const from = Date.now();
          suite.workers[0]!.child.kill('SIGKILL');
          await suite.workers[0]!.exited;
          suite.workers[0] = await spawnWorker(suite.h);
          kills.push({ atProgress, downMs: Date.now() - from, from, to: Date.now() });
        }
      },
    });

    report('cluster-worker-kill', {
      ...figures,
      kills: kills.length,
      killMoments: kills.map((k) => k.atProgress),
      workerDownMs: kills.map((k) => k.downMs),
      movesWhileWorker1Down: kills.map((k) => log.moves(k.from, k.to)).map((m) => `${m.ok}/${m.count} ok, max ${m.maxMs} ms`),
      ...leadRunFigures(drive, check),
      drivenMs,
      elapsedMs: Date.now() - started,
      problems: check.problems.slice(0, 20),
    });

    expect(kills).toHaveLength(KILLS);
    // The other worker never stopped: it is the same process, still running.
    expect(suite.workers[1]).toBe(survivor);
    expect({ exitCode: survivor.child.exitCode, signal: survivor.child.signalCode }).toEqual({ exitCode: null, signal: null });
    expectEveryLeadSound(drive, check, FAULT_LEADS);
  });
});
