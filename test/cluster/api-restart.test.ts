import { once } from 'node:events';
import { spawnApi } from '../support/api-process';
import { expectEveryLeadSound, FAULT_LEADS, FAULT_SEED, leadRunFigures, report, seededRandom } from '../integration/faults/lead-lifecycles';
import { ResponseLog, runLeadsUnderFault, useClusterSuite } from './cluster-suite';

/**
 * Both API processes are restarted, one after the other, while lead
 * lifecycles run through them: the first with SIGTERM (a rolling deploy: it
 * finishes what it has), the second with SIGKILL (what it was doing is cut
 * off). Clients retry on the other process; every change either process
 * acknowledged holds, and nothing is applied twice.
 */
jest.setTimeout(300_000 + FAULT_LEADS * 600);

describe('Cluster: both API processes are restarted one after the other under load', () => {
  const suite = useClusterSuite('api-restart');

  it(`When API 1 is stopped (SIGTERM) and API 2 killed (SIGKILL), each then started again, during ${FAULT_LEADS} lead lifecycles, then every acknowledged change holds, each step once`, async () => {
    const random = seededRandom(FAULT_SEED + 14);
    const moments = [0.1 + random() * 0.2, 0.45 + random() * 0.2];
    const log = new ResponseLog();
    const restarts: Array<Record<string, unknown>> = [];

    const { drive, check, drivenMs, started, figures } = await runLeadsUnderFault(suite, {
      tag: `car${FAULT_SEED}`,
      seed: FAULT_SEED + 14,
      log,
      fault: async (at) => {
        for (const [i, signal] of [[0, 'SIGTERM'], [1, 'SIGKILL']] as const) {
          const atProgress = await at(moments[i]!);
          const old = suite.apis[i]!;
          const down = Date.now();
          old.child.kill(signal);
          if (old.child.exitCode === null && old.child.signalCode === null) await once(old.child, 'exit');
          const exitedMs = Date.now() - down;
          suite.apis[i] = await spawnApi(suite.h);
          restarts.push({ api: i + 1, signal, atProgress, exitedMs, downMs: Date.now() - down, exitCode: old.child.exitCode, answersWhileDown: log.moves(down, Date.now()) });
        }
      },
    });
    const acknowledged = log.entries.filter((e) => e.status === 200 || e.status === 201).length;

    report('cluster-api-restart', {
      ...figures,
      restarts,
      acknowledged,
      ...leadRunFigures(drive, check),
      drivenMs,
      elapsedMs: Date.now() - started,
      problems: check.problems.slice(0, 20),
    });

    expect(restarts).toHaveLength(2);
    expectEveryLeadSound(drive, check, FAULT_LEADS);
  });
});
