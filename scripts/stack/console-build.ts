import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const CONSOLE = path.join(ROOT, 'console');
const BUILT = path.join(CONSOLE, 'dist', 'index.html');
/** What the build reads: the console's sources and config, and the typed client it imports. */
const SOURCES = [path.join(CONSOLE, 'src'), path.join(CONSOLE, 'index.html'), path.join(CONSOLE, 'vite.config.mts'), path.join(ROOT, 'api', 'client')];

function newestMtime(p: string): number {
  const stat = fs.statSync(p, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...fs.readdirSync(p).map((name) => newestMtime(path.join(p, name))));
}

/** The build is missing, or older than a file it is built from. */
export function consoleBuildStale(): boolean {
  const built = fs.statSync(BUILT, { throwIfNoEntry: false });
  return !built || Math.max(...SOURCES.map(newestMtime)) > built.mtimeMs;
}

/**
 * Builds the console (`npm run console:build`: vite, from the npm packages, nothing fetched)
 * when its build is missing or stale, so `npm start`, `npm run cluster` and the tests serve
 * what the sources say. Quick when it is fresh.
 */
export function ensureConsoleBuilt(say: (line: string) => void): void {
  if (!consoleBuildStale()) return;
  say('building the console (npm run console:build)...');
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', CONSOLE, '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 300_000,
  });
}
