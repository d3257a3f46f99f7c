/**
 * The shape of the self-hosted Temporal cluster (`npm run cluster`, the cluster
 * tests and `npm run bench -- --cluster`), as data: which process runs which
 * service on which loopback address, and the server config file each one
 * reads. No I/O here; scripts/stack/cluster.ts writes the files and starts the
 * processes.
 */
import { DEV_SERVER_DYNAMIC_CONFIG } from './dynamic-config';

export type TemporalService = 'frontend' | 'history' | 'matching' | 'worker';

export interface ClusterNode {
  /** The process's name in logs and in the layout: frontend, history-1, history-2, matching, worker. */
  name: string;
  service: TemporalService;
  /** Each process binds an address of its own on the loopback range; ringpop finds the others through the database. */
  ip: string;
  grpcPort: number;
  membershipPort: number;
  /** The frontend's HTTP API. */
  httpPort?: number;
}

export interface ClusterLayout {
  nodes: ClusterNode[];
  uiIp: string;
  uiPort: number;
}

export interface PostgresTarget {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface ClusterDatabases {
  /** The default store: executions, shards, task queues, namespaces, cluster membership. */
  temporal: string;
  /** SQL visibility: what `temporal workflow list` and the Web UI search. */
  visibility: string;
}

/** Shards are fixed when the database is created; 4 is enough for two history processes to split and to take over. */
export const NUM_HISTORY_SHARDS = 4;

/**
 * What the dev server of `npm start` has on by default and Propeller uses:
 * workflow updates, update-with-start, search attributes usable as soon as
 * created; and what `npm start` turns on besides, DEV_SERVER_DYNAMIC_CONFIG.
 * docker-compose.yml's dynamic config says the same.
 */
export const DYNAMIC_CONFIG: Record<string, Array<{ value: unknown }>> = {
  'frontend.enableUpdateWorkflowExecution': [{ value: true }],
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted': [{ value: true }],
  'frontend.enableExecuteMultiOperation': [{ value: true }],
  'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true }],
  ...Object.fromEntries(Object.entries(DEV_SERVER_DYNAMIC_CONFIG).map(([key, value]) => [key, [{ value }]])),
};

export function parsePostgresUrl(url: string): PostgresTarget {
  const u = new URL(url);
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new Error(`TEMPORAL_POSTGRES_URL must be a postgres:// URL, not ${u.protocol}`);
  }
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 5432,
    user: decodeURIComponent(u.username || 'postgres'),
    password: decodeURIComponent(u.password),
  };
}

/** A URL of one database on the server (for FerretDB's PostgreSQL handler). */
export function postgresDatabaseUrl(pg: PostgresTarget, database: string): string {
  const auth = pg.password ? `${encodeURIComponent(pg.user)}:${encodeURIComponent(pg.password)}` : encodeURIComponent(pg.user);
  return `postgres://${auth}@${pg.host}:${pg.port}/${database}`;
}

/**
 * The layout `npm run cluster` uses: the frontend where the dev server would be
 * (so the `temporal` CLI's default address works), every other process on an
 * address of its own with the server's usual ports.
 */
export function defaultLayout(opts: { frontendPort: number; uiPort: number }): ClusterLayout {
  const node = (name: string, service: TemporalService, ip: string, grpcPort: number, membershipPort: number): ClusterNode => ({
    name,
    service,
    ip,
    grpcPort,
    membershipPort,
  });
  return {
    nodes: [
      { ...node('frontend', 'frontend', '127.0.0.1', opts.frontendPort, 6933), httpPort: 7243 },
      node('history-1', 'history', '127.0.0.2', 7234, 6934),
      node('history-2', 'history', '127.0.0.3', 7234, 6934),
      node('matching', 'matching', '127.0.0.4', 7235, 6935),
      node('worker', 'worker', '127.0.0.5', 7239, 6939),
    ],
    uiIp: '127.0.0.1',
    uiPort: opts.uiPort,
  };
}

export function frontendOf(layout: ClusterLayout): ClusterNode {
  const frontend = layout.nodes.find((n) => n.service === 'frontend');
  if (!frontend) throw new Error('a cluster layout needs a frontend');
  return frontend;
}

export const addressOf = (node: ClusterNode) => `${node.ip}:${node.grpcPort}`;

function sqlStore(pg: PostgresTarget, database: string, maxConns: number) {
  return {
    sql: {
      pluginName: 'postgres12',
      databaseName: database,
      connectAddr: `${pg.host}:${pg.port}`,
      connectProtocol: 'tcp',
      user: pg.user,
      password: pg.password,
      // Five processes share the server's connections (PostgreSQL allows 100 by default).
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  };
}

/**
 * The server config of one process (the server's YAML schema; JSON is YAML).
 * Every process gets the whole `services` map, since each one dials the
 * others; only its own entry is bound, on its own address.
 */
export function serverConfig(opts: {
  layout: ClusterLayout;
  node: ClusterNode;
  pg: PostgresTarget;
  databases: ClusterDatabases;
  dynamicConfigFile: string;
  logLevel: string;
}): Record<string, unknown> {
  const { layout, node, pg, databases } = opts;
  const frontend = frontendOf(layout);
  const services: Record<string, unknown> = {};
  for (const service of ['frontend', 'history', 'matching', 'worker'] as const) {
    const own = service === node.service ? node : layout.nodes.find((n) => n.service === service)!;
    services[service] = {
      rpc: {
        grpcPort: own.grpcPort,
        membershipPort: own.membershipPort,
        bindOnIP: own.ip,
        ...(own.httpPort ? { httpPort: own.httpPort } : {}),
      },
    };
  }
  return {
    log: { stdout: true, level: opts.logLevel },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: NUM_HISTORY_SHARDS,
      datastores: {
        'postgres-default': sqlStore(pg, databases.temporal, 8),
        'postgres-visibility': sqlStore(pg, databases.visibility, 3),
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: node.ip },
    },
    services,
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: addressOf(frontend) },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } },
    publicClient: { hostPort: addressOf(frontend) },
    dynamicConfigClient: { filepath: opts.dynamicConfigFile, pollInterval: '10s' },
  };
}
