import { useEffect } from 'preact/hooks';
import type { Guard } from './app';
import { Refused } from './session';

/** A page shows changes made elsewhere (a move, a deadline that fired, a lead assigned) within this. */
export const POLL_MS = 1_000;

/** Every item of a cursor-paged list. */
export async function allPages<T>(page: (cursor?: string) => Promise<{ items: T[]; nextCursor: string | null }>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const p = await page(cursor);
    out.push(...p.items);
    cursor = p.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/** What a failed call shows: the API's own message. */
export const messageOf = (err: unknown) => (err instanceof Refused || err instanceof Error ? err.message : String(err));

/**
 * Runs `round` now and again POLL_MS after each one ends, until `deps` change
 * or the page goes. `round` is told whether its answers are still wanted. A
 * failed round signs the tab out on a 401 (`guard`), or shows its message;
 * every round ends with `ended` (the pages' clocks tick with it).
 */
export function usePoll(
  round: (live: () => boolean) => Promise<void>,
  on: { guard: Guard; failed: (message: string) => void; ended: () => void },
  deps: unknown[],
): void {
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const loop = () => {
      round(() => live)
        .catch((err) => {
          if (!live) return;
          try {
            on.guard(err);
          } catch {
            on.failed(messageOf(err));
          }
        })
        .finally(() => {
          if (!live) return;
          on.ended();
          timer = setTimeout(loop, POLL_MS);
        });
    };
    loop();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, deps);
}
