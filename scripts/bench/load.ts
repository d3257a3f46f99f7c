import { nowMs, rate } from './stats';

export type Say = (line: string) => void;

/** Progress lines on stderr (or wherever `say` writes), at most every `everyMs`, plus one at the end. */
export function progress(say: Say, label: string, total: number, everyMs = 2_000) {
  const start = nowMs();
  let done = 0;
  let last = start;
  const line = () => {
    const elapsed = nowMs() - start;
    return `${label}: ${done}/${total} (${rate(done, elapsed).toFixed(1)}/s, ${(elapsed / 1000).toFixed(0)} s)`;
  };
  return {
    tick(count = 1): void {
      done += count;
      const now = nowMs();
      if (now - last >= everyMs && done < total) {
        last = now;
        say(line());
      }
    },
    finish(): void {
      say(line());
    },
  };
}

/**
 * Runs `task(i)` for i in 0..n-1 with at most `concurrency` in flight, and
 * returns how long the whole batch took. The first failure stops new tasks and
 * is thrown once those in flight have settled.
 */
export async function runPool(
  n: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
  onDone?: () => void,
): Promise<{ elapsedMs: number }> {
  const start = nowMs();
  let next = 0;
  let failure: unknown;
  const lane = async () => {
    while (failure === undefined && next < n) {
      const i = next++;
      try {
        await task(i);
        onDone?.();
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, n)) }, lane));
  if (failure !== undefined) throw failure;
  return { elapsedMs: nowMs() - start };
}

/** Polls `check` every `intervalMs` until it returns true; throws after `timeoutMs`. */
export async function pollUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not done within ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Every side's n operations in `rounds` rounds, each round one batch per side,
 * the side that goes first rotating every round, so a machine that slows down
 * during the run slows every side alike. Answers each side's batches in order.
 */
export async function inTurns<T>(n: number, rounds: number, sides: Array<(count: number, round: number) => Promise<T>>): Promise<T[][]> {
  const batches = sides.map(() => [] as T[]);
  for (let r = 0; r < rounds; r++) {
    const count = Math.floor((n * (r + 1)) / rounds) - Math.floor((n * r) / rounds);
    for (let i = 0; i < sides.length; i++) {
      const side = (r + i) % sides.length;
      batches[side]!.push(await sides[side]!(count, r));
    }
  }
  return batches;
}

/** A batch's progress label, with its round when there are several. */
export const roundLabel = (label: string, round: number, rounds: number) => (rounds > 1 ? `${label} (round ${round + 1}/${rounds})` : label);
