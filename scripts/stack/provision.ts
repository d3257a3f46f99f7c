import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Builds the pinned tools the local stack and the tests need, once, into a
 * cache outside the clone, and reuses them afterwards:
 *   - the `temporal` CLI (dev server with the Web UI), with `go install`;
 *   - FerretDB, from the small Go main in scripts/ferretdb that embeds its
 *     `ferretdb` package (FerretDB's own command panics at start when built
 *     from the published module);
 *   - for `npm run cluster`, the Temporal server and Web UI from scripts/temporal-cluster.
 */
export const TEMPORAL_CLI_VERSION = '1.5.1';
export const FERRETDB_VERSION = '1.24.2';
/** `go install` builds print "0.0.0-DEV", so the bundled server version identifies v1.5.1 too. */
const TEMPORAL_CLI_SIGNATURES = [`version ${TEMPORAL_CLI_VERSION}`, 'Server 1.29.1,'];

/** The server and Web UI versions the temporal CLI v1.5.1 embeds; the cluster runs the same. */
export const TEMPORAL_SERVER_VERSION = '1.29.1';
export const UI_SERVER_VERSION = '2.42.1';

const FERRETDB_SOURCE_DIR = path.resolve(__dirname, '..', 'ferretdb');
const TEMPORAL_CLUSTER_SOURCE_DIR = path.resolve(__dirname, '..', 'temporal-cluster');

export class ProvisionError extends Error {
  override name = 'ProvisionError';
}

export function cacheRoot(override?: string): string {
  if (override) return path.resolve(override);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'propeller');
}

type Say = (line: string) => void;

function versionOf(binary: string): string | undefined {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return out.status === 0 ? out.stdout.trim() : undefined;
}

function requireGo(): void {
  const out = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (out.error || out.status !== 0) {
    throw new ProvisionError(
      'Go is required to build the pinned Temporal CLI and FerretDB (install Go 1.24+ and make sure `go` is on PATH), ' +
        'or point Propeller at existing services with TEMPORAL_ADDRESS and MONGODB_URI.',
    );
  }
}

/** Runs a Go build, printing a progress line every 20 s; rejects with the tail of its output. */
function runGo(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; what: string; say: Say }): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    opts.say(`building ${opts.what} (first run only; this takes a few minutes)...`);
    const child = spawn('go', args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const ticker = setInterval(() => {
      opts.say(`  still building ${opts.what} (${Math.round((Date.now() - started) / 1000)} s)`);
    }, 20_000);
    child.on('error', (err) => {
      clearInterval(ticker);
      reject(new ProvisionError(`could not run go: ${err.message}`));
    });
    child.on('close', (code) => {
      clearInterval(ticker);
      if (code === 0) {
        opts.say(`built ${opts.what} in ${Math.round((Date.now() - started) / 1000)} s`);
        resolve();
        return;
      }
      const unreachable = /dial tcp|proxy|no such host|i\/o timeout|connection refused/i.test(output);
      reject(
        new ProvisionError(
          (unreachable
            ? `building ${opts.what} failed: the Go module proxy is not reachable (check GOPROXY and the network).`
            : `building ${opts.what} failed (go exited with ${code}).`) + `\n${output.trim().split('\n').slice(-15).join('\n')}`,
        ),
      );
    });
  });
}

/** Moves a finished build into place atomically, so a concurrent run never sees half a binary. */
function install(built: string, target: string): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.renameSync(built, target);
}

export async function ensureTemporalCli(opts: { cacheDir?: string; say: Say }): Promise<string> {
  const isPinned = (binary: string) => {
    const version = versionOf(binary);
    return version !== undefined && TEMPORAL_CLI_SIGNATURES.some((s) => version.includes(s));
  };
  if (isPinned('temporal')) return 'temporal';

  const target = path.join(cacheRoot(opts.cacheDir), `temporal-${TEMPORAL_CLI_VERSION}`, 'temporal');
  if (fs.existsSync(target) && isPinned(target)) return target;

  requireGo();
  const root = path.dirname(path.dirname(target));
  fs.mkdirSync(root, { recursive: true });
  const gobin = fs.mkdtempSync(path.join(root, '.build-'));
  try {
    await runGo(['install', `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`], {
      cwd: os.tmpdir(),
      env: { ...process.env, GOBIN: gobin, GOFLAGS: '-buildvcs=false' },
      what: `the Temporal CLI v${TEMPORAL_CLI_VERSION}`,
      say: opts.say,
    });
    install(path.join(gobin, 'temporal'), target);
  } finally {
    fs.rmSync(gobin, { recursive: true, force: true });
  }
  return target;
}

/** A binary built from a Go main of ours is keyed by version and by a hash of its sources, so editing them rebuilds. */
function sourceHash(sourceDir: string, files: string[]): string {
  const hash = crypto.createHash('sha256');
  for (const file of files) hash.update(fs.readFileSync(path.join(sourceDir, file)));
  return hash.digest('hex').slice(0, 12);
}

/** Builds one of our Go mains (`go build`) into the cache once; later calls return the cached binary. */
async function ensureGoMain(opts: {
  cacheDir?: string;
  say: Say;
  name: string;
  version: string;
  sourceDir: string;
  hashedFiles: string[];
  what: string;
}): Promise<string> {
  const dir = path.join(cacheRoot(opts.cacheDir), `${opts.name}-${opts.version}-${sourceHash(opts.sourceDir, opts.hashedFiles)}`);
  const target = path.join(dir, opts.name);
  if (fs.existsSync(target)) return target;

  requireGo();
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(path.dirname(dir), '.build-'));
  try {
    const built = path.join(tmp, opts.name);
    await runGo(['build', '-trimpath', '-o', built, '.'], {
      cwd: opts.sourceDir,
      env: { ...process.env, GOFLAGS: '-buildvcs=false -mod=readonly' },
      what: opts.what,
      say: opts.say,
    });
    install(built, target);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return target;
}

export function ensureFerretdb(opts: { cacheDir?: string; say: Say }): Promise<string> {
  return ensureGoMain({
    ...opts,
    name: 'ferretdb',
    version: FERRETDB_VERSION,
    sourceDir: FERRETDB_SOURCE_DIR,
    hashedFiles: ['main.go', 'go.mod', 'go.sum'],
    what: `FerretDB v${FERRETDB_VERSION}`,
  });
}

/**
 * The self-hosted Temporal cluster of `npm run cluster` and `npm run test:cluster`:
 * one binary (scripts/temporal-cluster) that runs any Temporal service, the Web UI
 * and temporal-sql-tool, on the server version the pinned CLI embeds.
 */
export function ensureTemporalCluster(opts: { cacheDir?: string; say: Say }): Promise<string> {
  return ensureGoMain({
    ...opts,
    name: 'temporal-cluster',
    version: TEMPORAL_SERVER_VERSION,
    sourceDir: TEMPORAL_CLUSTER_SOURCE_DIR,
    hashedFiles: ['main.go', 'server.go', 'ui.go', 'go.mod', 'go.sum'],
    what: `the Temporal server v${TEMPORAL_SERVER_VERSION} and UI server v${UI_SERVER_VERSION}`,
  });
}
