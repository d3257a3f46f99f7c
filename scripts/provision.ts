import { ConfigError, loadConfig } from '../lib/config';
import { ensureFerretdb, ensureTemporalCli, ProvisionError } from './stack/provision';

/** `npm run provision`: builds (or finds) the pinned Temporal CLI and FerretDB and prints where they are. */
async function main(): Promise<void> {
  const config = loadConfig();
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const [temporal, ferretdb] = await Promise.all([
    ensureTemporalCli({ cacheDir: config.local.cacheDir, say }),
    ensureFerretdb({ cacheDir: config.local.cacheDir, say }),
  ]);
  say(`temporal  ${temporal}`);
  say(`ferretdb  ${ferretdb}`);
}

main().catch((err) => {
  const known = err instanceof ProvisionError || err instanceof ConfigError;
  process.stderr.write(`provision: ${known ? err.message : (err?.stack ?? String(err))}\n`);
  process.exit(1);
});
