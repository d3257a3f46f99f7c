import type { RollupStore } from '../activities/store/rollup';
import type { Logger } from '../lib/logger';

/**
 * Every worker folds the analytics inbox on a timer, so the first question
 * after a quiet spell reads days already folded instead of folding them
 * itself. Folds are one process at a time per pipeline (a lease), so several
 * workers doing this at once only take turns. A failed fold (the database
 * away) is logged and tried again at the next tick.
 */
export function startRollupFolder(rollup: Pick<RollupStore, 'foldWaiting'>, intervalMs: number, log: Pick<Logger, 'info' | 'warn'>): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    running = rollup
      .foldWaiting()
      .then((moved) => {
        if (moved > 0) log.info({ moved }, 'analytics rollup folded');
      })
      .catch((err: unknown) => log.warn({ err }, 'analytics rollup fold failed; trying again at the next tick'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  timer = setTimeout(tick, intervalMs);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
