import { ConfigError } from '../../lib/config';

/**
 * Runs a bench or load command's `main` and exits with its code. A request
 * the API timed out may still be calling Temporal when a run closes its
 * connection; the gRPC client then throws from a timer. That call's answer no
 * longer matters: it is noted and the run goes on.
 */
export function runCommand(name: string, main: () => Promise<number>, say: (line: string) => void): void {
  process.on('uncaughtException', (err) => {
    if (/Channel has been shut down/.test(err.message)) return say(`ignored a Temporal call that outlived its run: ${err.message}`);
    process.stderr.write(`${name}: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${name}: ${err instanceof ConfigError || !(err instanceof Error) ? String(err) : (err.stack ?? err.message)}\n`);
      process.exit(1);
    },
  );
}
