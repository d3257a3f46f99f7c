import { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import { PROPELLER_VERSION } from '../../lib/version';
import { errorBody, handle } from '../errors';

const CHECK_TIMEOUT_MS = 2_000;

async function probe(check: () => Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return 'up';
  } catch (err) {
    return `down: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    clearTimeout(timer);
  }
}

/** `/healthz`: the process answers, with the version it runs. `/readyz`: Temporal and MongoDB answer too (503 names which does not). */
export function healthRoutes(deps: { temporal: Client; db: Db }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', version: PROPELLER_VERSION });
  });
  router.get(
    '/readyz',
    handle(async (_req, res) => {
      const [temporal, mongodb] = await Promise.all([
        probe(() =>
          deps.temporal.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
            deps.temporal.workflowService.getSystemInfo({}),
          ),
        ),
        probe(() => deps.db.command({ ping: 1 })),
      ]);
      const checks = { temporal, mongodb };
      const down = [temporal !== 'up' && 'Temporal', mongodb !== 'up' && 'MongoDB'].filter(Boolean);
      if (down.length === 0) {
        res.json({ status: 'ready', checks });
        return;
      }
      res.status(503).json(errorBody('not_ready', `${down.join(' and ')} unreachable`, checks));
    }),
  );
  return router;
}
