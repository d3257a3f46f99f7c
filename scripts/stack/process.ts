import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

/** A child process the stack owns: its output goes to a log file, and stop() waits for it to exit. */
export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals, killAfterMs?: number): Promise<void>;
}

export function spawnService(
  name: string,
  command: string,
  args: string[],
  opts: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string; ownGroup?: boolean },
): ServiceProcess {
  const log = fs.openSync(opts.logFile, 'a');
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', log, log],
    // In a process group of its own, a terminal's Ctrl-C reaches only the parent,
    // which then stops the children in order (API, worker, then the servers).
    detached: opts.ownGroup ?? false,
  });
  fs.closeSync(log);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });

  return {
    name,
    child,
    logFile: opts.logFile,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `check` until it resolves true, the process dies, or the deadline passes. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; service?: ServiceProcess; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let died = false;
  void opts.service?.exited.then(() => {
    died = true;
  });
  for (;;) {
    if (await check().catch(() => false)) return;
    if (died) {
      const tail = opts.service ? readTail(opts.service.logFile) : '';
      throw new Error(`${what}: the process exited before it was ready\n${tail}`);
    }
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${opts.timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
  }
}

export function readTail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Starts two servers side by side; if either fails, stops the one that came up (nothing is left running) and throws its error. */
export async function startTogether<A extends { stop(): Promise<void> }, B extends { stop(): Promise<void> }>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [first, second] = await Promise.allSettled([a, b]);
  if (first.status === 'fulfilled' && second.status === 'fulfilled') return [first.value, second.value];
  await Promise.all([first, second].map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
  throw first.status === 'rejected' ? first.reason : (second as PromiseRejectedResult).reason;
}
