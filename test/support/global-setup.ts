import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureConsoleBuilt } from '../../scripts/stack/console-build';
import { ensureFerretdb, ensureTemporalCli } from '../../scripts/stack/provision';
import { freePort } from '../../scripts/stack/ports';
import { startFerretdb, startTemporalDevServer } from '../../scripts/stack/servers';
import { bundleWorkflows } from '../../workers/bundle';
import { STACK_ENV, type TestStack } from './stack';

/**
 * Starts one Temporal dev server and one FerretDB for the whole run, on free
 * ports and in a temporary directory, so a test run never touches the data of
 * `npm start`. Builds the workflow bundle once for every test worker.
 */
export default async function globalSetup(): Promise<void> {
  const say = (line: string) => process.stderr.write(`[test stack] ${line}\n`);
  const [temporalBinary, ferretdbBinary] = await Promise.all([ensureTemporalCli({ say }), ensureFerretdb({ say })]);
  // Every harness's API serves the console (test/integration/console.test.ts drives it).
  ensureConsoleBuilt(say);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'propeller-test-'));
  const [temporalPort, uiPort, metricsPort, ferretdbPort] = [await freePort(), await freePort(), await freePort(), await freePort()];

  const [temporal, ferretdb, bundle] = await Promise.all([
    startTemporalDevServer({
      binary: temporalBinary,
      port: temporalPort,
      uiPort,
      metricsPort,
      namespace: 'default',
      dbFile: path.join(dir, 'temporal.db'),
      logFile: path.join(dir, 'temporal.log'),
    }),
    startFerretdb({
      binary: ferretdbBinary,
      port: ferretdbPort,
      handler: 'sqlite',
      sqliteDir: path.join(dir, 'ferretdb'),
      logFile: path.join(dir, 'ferretdb.log'),
    }),
    bundleWorkflows(),
  ]);
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, bundle);

  const stack: TestStack = {
    dir,
    temporalAddress: temporal.address,
    temporalUiUrl: temporal.uiUrl,
    temporalMetricsUrl: temporal.metricsUrl!,
    mongoUri: ferretdb.uri,
    workflowBundlePath: bundlePath,
    temporalBinary,
    ferretdbBinary,
  };
  const stackFile = path.join(dir, 'stack.json');
  fs.writeFileSync(stackFile, JSON.stringify(stack, null, 2));
  process.env[STACK_ENV] = stackFile;
  (globalThis as Record<string, unknown>).__propellerStack = { temporal, ferretdb, dir };
}
