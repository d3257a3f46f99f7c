import path from 'node:path';
import { freePort } from '../../stack/ports';
import { startFerretdb, type FerretdbServer } from '../../stack/servers';
import { startBaseline } from '../baseline';
import { shortId } from '../env';
import { startPropeller } from '../propeller';
import { row, warmupCount, type Scenario, type ScenarioOutcome } from '../scenario';
import type { BenchStack } from '../stack';
import { ferretdbBinaryOf } from '../stack';
import { bareLifecycles, propellerLifecycles, type LifecycleRun } from './drivers';
import { LIFECYCLE_CONCURRENCY, stepFacts } from './lifecycle';
import { DEFAULT_POSTGRESQL_URL, preparePostgres } from './postgres';
import type { Say } from '../load';

async function lifecyclesOn(stack: BenchStack, server: FerretdbServer, n: number, say: Say, label: string): Promise<LifecycleRun> {
  const env = await startPropeller(stack, { name: `backend-${label.toLowerCase()}`, mongoUri: server.uri });
  try {
    await propellerLifecycles(env, warmupCount(n), LIFECYCLE_CONCURRENCY, say, `ferretdb-backend · ${label} warm-up`);
    return await propellerLifecycles(env, n, LIFECYCLE_CONCURRENCY, say, `ferretdb-backend · ${label}`);
  } finally {
    await env.stop();
  }
}

export const ferretdbBackend: Scenario = {
  name: 'ferretdb-backend',
  description: 'the lifecycle scenario on FerretDB over SQLite vs FerretDB over PostgreSQL (each against bare Temporal too)',
  defaultN: 30,
  fullN: 500,
  smokeN: 2,
  async run({ stack, n, say }): Promise<ScenarioOutcome> {
    const postgresqlUrl = stack.postgresqlUrl ?? DEFAULT_POSTGRESQL_URL;
    const postgres = preparePostgres(postgresqlUrl);
    if (!postgres.ok) return { n, settings: {}, rows: [], facts: {}, notes: [], skipped: postgres.reason };
    const binary = await ferretdbBinaryOf(stack, say);
    const id = shortId();
    const servers: FerretdbServer[] = [];
    const start = async (handler: 'sqlite' | 'postgresql') => {
      const server = await startFerretdb({
        binary,
        port: await freePort(),
        handler,
        sqliteDir: path.join(stack.dir, `ferretdb-backend-${id}`),
        postgresqlUrl: handler === 'postgresql' ? postgresqlUrl : undefined,
        logFile: path.join(stack.logDir, `ferretdb-${handler}-${id}.log`),
      });
      servers.push(server);
      return server;
    };
    let sqlite: LifecycleRun;
    let pg: LifecycleRun;
    let bare: LifecycleRun;
    try {
      sqlite = await lifecyclesOn(stack, await start('sqlite'), n, say, 'SQLite');
      pg = await lifecyclesOn(stack, await start('postgresql'), n, say, 'PostgreSQL');
      const baseline = await startBaseline(stack, { name: 'backend' });
      try {
        await bareLifecycles(baseline, warmupCount(n), LIFECYCLE_CONCURRENCY, 'bare', say, 'ferretdb-backend · baseline warm-up');
        bare = await bareLifecycles(baseline, n, LIFECYCLE_CONCURRENCY, 'bare', say, 'ferretdb-backend · baseline');
      } finally {
        await baseline.stop();
      }
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
    return {
      n,
      settings: { concurrency: LIFECYCLE_CONCURRENCY, postgresql: postgresqlUrl.replace(/\/\/[^@/]*@/, '//'), 'postgresql version': postgres.version },
      rows: [
        row('lifecycles/s, FerretDB on SQLite', '/s', n, sqlite.perSecond, bare.perSecond, { target: { op: '>=', value: 0.7 } }),
        row('lifecycles/s, FerretDB on PostgreSQL', '/s', n, pg.perSecond, bare.perSecond, { target: { op: '>=', value: 0.7 } }),
        row('lifecycles/s, PostgreSQL ÷ SQLite', '/s', n, pg.perSecond, sqlite.perSecond, { labels: ['PostgreSQL', 'SQLite'] }),
      ],
      facts: { ...stepFacts('SQLite', sqlite, ['create', 'accept', 'convert']), ...stepFacts('PostgreSQL', pg, ['create', 'accept', 'convert']) },
      notes: ['Each backend is a fresh FerretDB started for this scenario; the bench database is dropped afterwards.'],
    };
  },
};
