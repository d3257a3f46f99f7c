import pidusage from 'pidusage';
import { round } from './stats';

/** The servers whose CPU time a scenario can split its work by (those the bench started: their pids are known). */
export interface ServerPids {
  [process: string]: number | undefined;
  temporal?: number;
  ferretdb?: number;
}

export type Times = Record<string, number>;

/** CPU seconds used so far by each known server, and by this process (API, worker and the load driver). */
async function cpuSeconds(pids: ServerPids): Promise<Times> {
  const times: Times = {};
  for (const [name, pid] of Object.entries(pids)) {
    if (pid === undefined) continue;
    try {
      times[name] = (await pidusage(pid)).ctime / 1_000;
    } catch {
      // Gone, or not readable on this platform: that column is left out.
    }
  }
  const self = process.cpuUsage();
  times['bench process'] = (self.user + self.system) / 1e6;
  return times;
}

/**
 * Where a batch's CPU time went, per unit of work: call `start` before the
 * batch and `per(n)` after it. Answers e.g. "Temporal 0.120 s, ferretdb
 * 0.071 s, bench process 0.107 s", the figures that say which side of the
 * stack a ratio's difference comes from.
 */
export async function cpuMeter(pids: ServerPids) {
  const before = await cpuSeconds(pids);
  return {
    async per(n: number): Promise<string> {
      return describeCpu(spent(before, await cpuSeconds(pids)), n);
    },
  };
}

/**
 * CPU time summed over several batches of one side (interleaved with the
 * other sides' batches, which are not counted): `measure` each batch, then
 * `per(n)` over them all.
 */
export function cpuAccount(pids: ServerPids) {
  const total: Times = {};
  return {
    async measure<T>(batch: () => Promise<T>): Promise<T> {
      const before = await cpuSeconds(pids);
      try {
        return await batch();
      } finally {
        for (const [name, seconds] of Object.entries(spent(before, await cpuSeconds(pids)))) total[name] = (total[name] ?? 0) + seconds;
      }
    },
    per: (n: number): string => describeCpu(total, n),
    /** CPU seconds per unit of work, by process. */
    seconds: (n: number): Times => Object.fromEntries(Object.entries(total).map(([name, s]) => [name, s / n])),
  };
}

function spent(before: Times, after: Times): Times {
  return Object.fromEntries(Object.keys(after).filter((name) => before[name] !== undefined).map((name) => [name, after[name]! - before[name]!]));
}

function describeCpu(times: Times, n: number): string {
  return Object.entries(times)
    .map(([name, seconds]) => `${name} ${round(seconds / n, 3)} s`)
    .join(', ');
}
