import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parsePostgresUrl, postgresDatabaseUrl } from '../../scripts/stack/cluster-config';
import { dropDatabase, ensureDatabase, freeClusterLayout, startTemporalCluster, type TemporalCluster } from '../../scripts/stack/cluster';
import { freePort } from '../../scripts/stack/ports';
import { startTogether } from '../../scripts/stack/process';
import { startFerretdb, type FerretdbServer } from '../../scripts/stack/servers';
import type { HarnessServers } from './harness';
import { testStack, type TestStack } from './stack';

/**
 * A Temporal cluster of one test file's own (frontend, two history processes,
 * matching and worker, each on a loopback address of its own, on PostgreSQL
 * databases of its own) and a FerretDB on PostgreSQL, for the cluster suites
 * (`npm run test:cluster`). One file's cluster at a time: five server
 * processes' connection pools fit PostgreSQL's default 100 connections once.
 */
export interface ClusterTestStack extends TestStack {
  clusterBinary: string;
  postgresUrl: string;
}

export function clusterTestStack(): ClusterTestStack {
  const stack = testStack() as Partial<ClusterTestStack>;
  if (!stack.clusterBinary || !stack.postgresUrl) throw new Error('not a cluster test run: run the cluster suites through `npm run test:cluster`');
  return stack as ClusterTestStack;
}

export interface ClusterStack extends HarnessServers {
  cluster: TemporalCluster;
  ferretdb: FerretdbServer;
  dir: string;
  /** Who owns each history shard now, from the shards table: shard id → the owning history's address. */
  shardOwners(): Record<number, string>;
  /** Stops every process and drops the file's databases. */
  stop(): Promise<void>;
}

function psql(postgresUrl: string, sql: string): string {
  const out = spawnSync('psql', [postgresUrl, '-tAc', sql], { encoding: 'utf8', timeout: 30_000 });
  if (out.status !== 0) throw new Error(`psql: ${out.stderr || out.error?.message}`);
  return out.stdout;
}

export async function startClusterStack(name: string): Promise<ClusterStack> {
  const shared = clusterTestStack();
  const id = `${name.replace(/\W/g, '_')}_${crypto.randomBytes(3).toString('hex')}`;
  const dir = fs.mkdtempSync(path.join(shared.dir, `${name}-`));
  const pg = parsePostgresUrl(shared.postgresUrl);
  const databases = { temporal: `ptest_${id}_temporal`, visibility: `ptest_${id}_visibility` };
  const ferretdbDatabase = `ptest_${id}_ferretdb`;
  const layout = await freeClusterLayout();
  await ensureDatabase(shared.clusterBinary, pg, ferretdbDatabase);
  const [cluster, ferretdb] = await startTogether(
    startTemporalCluster({ binary: shared.clusterBinary, dir, layout, pg, databases, namespace: 'default', logLevel: 'error' }),
    freePort().then((port) =>
      startFerretdb({
        binary: shared.ferretdbBinary,
        port,
        handler: 'postgresql',
        sqliteDir: dir,
        postgresqlUrl: postgresDatabaseUrl(pg, ferretdbDatabase),
        logFile: path.join(dir, 'ferretdb.log'),
      }),
    ),
  );
  const temporalUrl = postgresDatabaseUrl(pg, databases.temporal);
  return {
    temporalAddress: cluster.address,
    mongoUri: ferretdb.uri,
    cluster,
    ferretdb,
    dir,
    shardOwners() {
      // ShardInfo is a protobuf blob; its owner field is the history's "ip:port" in plain bytes.
      const rows = psql(temporalUrl, "select shard_id, encode(data, 'hex') from shards order by shard_id").trim().split('\n');
      const owners: Record<number, string> = {};
      for (const row of rows.filter(Boolean)) {
        const [shard, hex] = row.split('|');
        owners[Number(shard)] = /127\.0\.0\.\d+:\d+/.exec(Buffer.from(hex ?? '', 'hex').toString('latin1'))?.[0] ?? 'unknown';
      }
      return owners;
    },
    async stop() {
      await Promise.all([cluster.stop(), ferretdb.stop()]);
      if (process.env.KEEP_TEST_STACK) return;
      // A database left behind (ptest_…) is only disk: the next run uses new names.
      for (const db of [databases.temporal, databases.visibility, ferretdbDatabase]) await dropDatabase(shared.clusterBinary, pg, db).catch(() => undefined);
    },
  };
}
