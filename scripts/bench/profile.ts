import path from 'node:path';
import { Session } from 'node:inspector/promises';
import type { Profiler } from 'node:inspector';
import { round } from './stats';

const ROOT = path.resolve(__dirname, '..', '..');

/** A function's place, short: the package and file below node_modules, or the path in the repository. */
function where(url: string, line: number): string {
  if (!url) return '(native)';
  const file = url.replace(/^file:\/\//, '');
  const inModules = file.lastIndexOf('node_modules/');
  const short = inModules >= 0 ? file.slice(inModules + 'node_modules/'.length) : path.relative(ROOT, file);
  return `${short}:${line + 1}`;
}

export interface ProfileRow {
  fn: string;
  location: string;
  selfMs: number;
  share: number;
}

/**
 * The V8 CPU profile of this process (the API, the worker and the load
 * driver, which the bench runs in one process) over the batches it measures,
 * summed by function: self time, the time spent in a function's own code. The
 * Temporal SDK's core and the servers run outside it (their own threads and
 * processes, counted by cpu.ts).
 */
export function cpuProfile() {
  const session = new Session();
  session.connect();
  const self = new Map<string, { fn: string; location: string; ms: number }>();
  let totalMs = 0;
  let enabled = false;
  return {
    async measure<T>(batch: () => Promise<T>): Promise<T> {
      if (!enabled) {
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: 500 });
        enabled = true;
      }
      await session.post('Profiler.start');
      try {
        return await batch();
      } finally {
        const { profile } = (await session.post('Profiler.stop')) as { profile: Profiler.Profile };
        const samples = profile.samples?.length ?? 0;
        const msPerSample = samples > 0 ? (profile.endTime - profile.startTime) / 1000 / samples : 0;
        for (const node of profile.nodes) {
          const { functionName, url, lineNumber } = node.callFrame;
          const fn = functionName || '(anonymous)';
          const location = where(url, lineNumber);
          const key = `${fn} ${location}`;
          const ms = (node.hitCount ?? 0) * msPerSample;
          const entry = self.get(key) ?? { fn, location, ms: 0 };
          entry.ms += ms;
          self.set(key, entry);
          if (functionName !== '(idle)') totalMs += ms;
        }
      }
    },

    /** The `n` functions with the most self time, idle left out; shares of the busy time. */
    top(n: number): ProfileRow[] {
      return [...self.values()]
        .filter((e) => e.fn !== '(idle)')
        .sort((a, b) => b.ms - a.ms)
        .slice(0, n)
        .map((e) => ({ fn: e.fn, location: e.location, selfMs: round(e.ms), share: totalMs > 0 ? round(e.ms / totalMs) : 0 }));
    },

    /** Self time summed by where the code comes from: a package below node_modules, a folder of the repository, Node, or native. */
    byOrigin(): ProfileRow[] {
      const origins = new Map<string, number>();
      for (const e of self.values()) {
        if (e.fn === '(idle)') continue;
        const loc = e.location;
        const origin = loc === '(native)' ? 'native (V8, GC, the SDK core bridge)' : loc.startsWith('node:') ? 'node' : loc.startsWith('@') ? loc.split('/').slice(0, 2).join('/') : loc.split('/')[0]!.replace(/:\d+$/, '');
        origins.set(origin, (origins.get(origin) ?? 0) + e.ms);
      }
      return [...origins.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([origin, ms]) => ({ fn: origin, location: '', selfMs: round(ms), share: totalMs > 0 ? round(ms / totalMs) : 0 }));
    },

    async stop(): Promise<void> {
      if (enabled) await session.post('Profiler.disable');
      session.disconnect();
    },
  };
}
