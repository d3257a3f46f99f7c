import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../lib/config';
import { ensureFerretdb, ensureTemporalCli, ensureTemporalCluster } from '../../scripts/stack/provision';
import { bundleWorkflows } from '../../workers/bundle';
import type { ClusterTestStack } from '../support/cluster-stack';
import { STACK_ENV } from '../support/stack';

/**
 * `npm run test:cluster`: builds (or finds) the cluster binary, FerretDB and
 * the CLI, and the workflow bundle, once for the run. Each suite starts a
 * cluster of its own (test/support/cluster-stack.ts), on TEMPORAL_POSTGRES_URL.
 */
export default async function globalSetup(): Promise<void> {
  const say = (line: string) => process.stderr.write(`[cluster test stack] ${line}\n`);
  const config = loadConfig();
  const [clusterBinary, ferretdbBinary, temporalBinary] = await Promise.all([
    ensureTemporalCluster({ cacheDir: config.local.cacheDir, say }),
    ensureFerretdb({ cacheDir: config.local.cacheDir, say }),
    ensureTemporalCli({ cacheDir: config.local.cacheDir, say }),
  ]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'propeller-cluster-test-'));
  const bundle = await bundleWorkflows();
  const workflowBundlePath = path.join(dir, 'workflow-bundle.js');
  fs.writeFileSync(workflowBundlePath, bundle);

  const stack: ClusterTestStack = {
    dir,
    // Every suite runs on a cluster of its own: there is no shared server.
    temporalAddress: '',
    temporalUiUrl: '',
    temporalMetricsUrl: '',
    mongoUri: '',
    workflowBundlePath,
    temporalBinary,
    ferretdbBinary,
    clusterBinary,
    postgresUrl: config.local.temporalPostgresUrl,
  };
  const stackFile = path.join(dir, 'stack.json');
  fs.writeFileSync(stackFile, JSON.stringify(stack, null, 2));
  process.env[STACK_ENV] = stackFile;
}
