import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal as proto } from '@temporalio/proto';
import {
  addressOf,
  DYNAMIC_CONFIG,
  frontendOf,
  serverConfig,
  type ClusterDatabases,
  type ClusterLayout,
  type ClusterNode,
  type PostgresTarget,
  type TemporalService,
} from './cluster-config';
import { assertPortFree } from './ports';
import { readTail, spawnService, waitUntil, type ServiceProcess } from './process';
import { ensureSearchAttributes } from './search-attributes';

/**
 * A self-hosted Temporal cluster on PostgreSQL: frontend, two history
 * processes, matching and the worker service as separate processes (one
 * binary, scripts/temporal-cluster, started with `--service`), and the Web UI.
 * Each process can be killed and started again on its own config file.
 */
export interface TemporalClusterOptions {
  binary: string;
  /** Config files and logs. */
  dir: string;
  layout: ClusterLayout;
  pg: PostgresTarget;
  databases: ClusterDatabases;
  namespace: string;
  ui?: boolean;
  logLevel?: string;
  ownGroup?: boolean;
}

export interface TemporalCluster {
  address: string;
  uiUrl: string | undefined;
  layout: ClusterLayout;
  /** The process running now for each node name (and `ui`). */
  process(name: string): ServiceProcess | undefined;
  /** Signals one process (SIGKILL by default) and waits until it has exited. */
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a node again on the same config file and address; resolves once its port answers. */
  start(name: string): Promise<void>;
  /** Every process, the UI and frontend first. */
  stop(): Promise<void>;
}

const say0 = (_line: string) => undefined;

/** Runs `temporal-sql-tool` (our binary's `sql-tool`); resolves with its exit code and output. */
function sqlTool(binary: string, pg: PostgresTarget, database: string, args: string[]): Promise<{ code: number | null; output: string }> {
  const env = { ...process.env, SQL_PASSWORD: pg.password };
  const all = ['sql-tool', '--plugin', 'postgres12', '--ep', pg.host, '-p', String(pg.port), '-u', pg.user, '--db', database, ...args];
  return new Promise((resolve) => {
    const child = spawn(binary, all, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/**
 * Creates a database if it is missing (a second start finds it and carries on).
 * `temporal-sql-tool create-database` has no "if not exists", so its refusal of
 * an existing database counts as done.
 */
export async function ensureDatabase(binary: string, pg: PostgresTarget, database: string): Promise<void> {
  const created = await sqlTool(binary, pg, database, ['create-database', '--defaultdb', 'postgres']);
  if (created.code !== 0 && !/already exists/i.test(created.output)) {
    throw new Error(`creating database ${database} on ${pg.host}:${pg.port} failed:\n${created.output.trim().split('\n').slice(-10).join('\n')}`);
  }
}

/**
 * Creates (if missing) and migrates the default store and the visibility
 * database to the newest schema embedded in the server module, as the
 * server's own docs do with temporal-sql-tool: version tables at 0.0, then
 * every versioned step. Both steps are no-ops on an up-to-date database.
 */
export async function prepareClusterDatabases(binary: string, pg: PostgresTarget, databases: ClusterDatabases): Promise<void> {
  for (const [database, schema] of [
    [databases.temporal, 'postgresql/v12/temporal'],
    [databases.visibility, 'postgresql/v12/visibility'],
  ] as const) {
    await ensureDatabase(binary, pg, database);
    for (const step of [['setup-schema', '-v', '0.0'], ['update-schema', '--schema-name', schema]]) {
      const run = await sqlTool(binary, pg, database, step);
      if (run.code !== 0) throw new Error(`${step[0]} of ${database} failed:\n${run.output.trim().split('\n').slice(-10).join('\n')}`);
    }
  }
}

const NODES: Array<[string, TemporalService]> = [
  ['frontend', 'frontend'],
  ['history-1', 'history'],
  ['history-2', 'history'],
  ['matching', 'matching'],
  ['worker', 'worker'],
];

/**
 * A layout for tests and the bench: ports on 127.0.0.2–6 (the frontend on .2),
 * free now, so it never meets a running `npm run cluster`. Below 32768: the cluster_membership table keeps
 * ports in a smallint, so the OS's ephemeral ports (freePort) do not fit.
 */
export async function freeClusterLayout(): Promise<ClusterLayout> {
  const nodes: ClusterNode[] = [];
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const ports = { grpcPort: base, membershipPort: base + 1, httpPort: base + 2 };
    const free = await Promise.all(NODES.map((_, i) => Promise.all(Object.values(ports).map((p) => portFree(p, `127.0.0.${i + 2}`)))));
    if (!free.flat().every(Boolean)) continue;
    for (const [i, [name, service]] of NODES.entries()) {
      nodes.push({ name, service, ip: `127.0.0.${i + 2}`, grpcPort: ports.grpcPort, membershipPort: ports.membershipPort, ...(service === 'frontend' ? { httpPort: ports.httpPort } : {}) });
    }
    return { nodes, uiIp: '127.0.0.1', uiPort: 0 };
  }
}

const portFree = (port: number, host: string) => assertPortFree(port, 'cluster test port', host).then(() => true, () => false);

/** Drops a database (the test and bench clusters' own, when they are done). */
export async function dropDatabase(binary: string, pg: PostgresTarget, database: string): Promise<void> {
  const dropped = await sqlTool(binary, pg, database, ['drop-database', '--defaultdb', 'postgres', '-f']);
  if (dropped.code !== 0) throw new Error(`dropping ${database} failed: ${dropped.output.trim().split('\n').at(-1)}`);
}

export function portAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * Registers the namespace (a cluster has none until someone does; the dev
 * server makes its own), and the project's search attributes on it.
 */
async function ensureNamespace(connection: Connection, namespace: string): Promise<void> {
  try {
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('72h') });
  } catch (err) {
    if ((err as { code?: number }).code !== 6 /* ALREADY_EXISTS */) throw err;
  }
  await ensureSearchAttributes(connection, namespace);
}

/**
 * Every service has the namespace and the shards are owned: matching answers
 * for a task queue, and history starts (and then ends) a workflow. A new
 * namespace reaches the other services' caches a few seconds after it is
 * registered; a worker polling before that would be told it does not exist.
 */
async function clusterServes(connection: Connection, namespace: string): Promise<boolean> {
  await connection.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: 'cluster-readiness' },
    taskQueueType: proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  const workflowId = `cluster-readiness-${process.pid}-${Date.now()}`;
  const { runId } = await connection.workflowService.startWorkflowExecution({
    namespace,
    workflowId,
    workflowType: { name: 'cluster-readiness' },
    taskQueue: { name: 'cluster-readiness' },
    requestId: workflowId,
  });
  await connection.workflowService.terminateWorkflowExecution({ namespace, workflowExecution: { workflowId, runId }, reason: 'readiness probe' });
  return true;
}

export async function startTemporalCluster(opts: TemporalClusterOptions, say: (line: string) => void = say0): Promise<TemporalCluster> {
  const configDir = path.join(opts.dir, 'config');
  const logDir = path.join(opts.dir, 'logs');
  fs.mkdirSync(configDir, { recursive: true });
  fs.mkdirSync(logDir, { recursive: true });
  const dynamicConfigFile = path.join(configDir, 'dynamicconfig.yaml');
  fs.writeFileSync(dynamicConfigFile, JSON.stringify(DYNAMIC_CONFIG, null, 2));
  const configFile = (node: ClusterNode) => path.join(configDir, `${node.name}.yaml`);
  for (const node of opts.layout.nodes) {
    const config = serverConfig({ ...opts, node, dynamicConfigFile, logLevel: opts.logLevel ?? 'warn' });
    fs.writeFileSync(configFile(node), JSON.stringify(config, null, 2));
  }

  const running = new Map<string, ServiceProcess>();
  const spawnNode = async (node: ClusterNode): Promise<void> => {
    const proc = spawnService(node.name, opts.binary, ['server', '--config', configFile(node), '--service', node.service], {
      logFile: path.join(logDir, `${node.name}.log`),
      ownGroup: opts.ownGroup,
    });
    running.set(node.name, proc);
    // The worker service serves no gRPC: its membership (ringpop) port says it is up.
    const port = node.service === 'worker' ? node.membershipPort : node.grpcPort;
    await waitUntil(`Temporal ${node.name}`, () => portAnswers(node.ip, port), { timeoutMs: 90_000, service: proc });
  };
  const nodeNamed = (name: string) => {
    const node = opts.layout.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no cluster node ${name}`);
    return node;
  };
  const stop = async () => {
    const order = ['ui', 'frontend', 'worker', 'matching', ...opts.layout.nodes.filter((n) => n.service === 'history').map((n) => n.name)];
    for (const name of order) await running.get(name)?.stop('SIGTERM');
  };

  try {
    say('migrating the Temporal databases...');
    await prepareClusterDatabases(opts.binary, opts.pg, opts.databases);
    say(`starting Temporal: ${opts.layout.nodes.map((n) => `${n.name} ${addressOf(n)}`).join(', ')}`);
    // The first process writes the cluster's metadata to a new database; several at once race for it and all but one exit.
    const [first, ...rest] = opts.layout.nodes;
    await spawnNode(first!);
    await Promise.all(rest.map(spawnNode));

    const frontend = frontendOf(opts.layout);
    const address = addressOf(frontend);
    const connection = await Connection.connect({ address });
    try {
      await waitUntil('Temporal namespace', () => ensureNamespace(connection, opts.namespace).then(() => true), { timeoutMs: 60_000 });
      await waitUntil('Temporal cluster', () => clusterServes(connection, opts.namespace), { timeoutMs: 90_000 });
    } finally {
      await connection.close();
    }

    let uiUrl: string | undefined;
    if (opts.ui) {
      uiUrl = `http://${opts.layout.uiIp}:${opts.layout.uiPort}`;
      const ui = spawnService('ui', opts.binary, ['ui', '--ip', opts.layout.uiIp, '--port', String(opts.layout.uiPort), '--frontend', address], {
        logFile: path.join(logDir, 'ui.log'),
        ownGroup: opts.ownGroup,
      });
      running.set('ui', ui);
      await waitUntil('Temporal UI', async () => (await fetch(uiUrl!)).ok, { timeoutMs: 30_000, service: ui });
    }

    return {
      address,
      uiUrl,
      layout: opts.layout,
      process: (name) => running.get(name),
      async kill(name, signal = 'SIGKILL') {
        await running.get(name)?.stop(signal, 5_000);
      },
      async start(name) {
        const current = running.get(name);
        if (current && current.child.exitCode === null && current.child.signalCode === null) {
          throw new Error(`cluster node ${name} is still running`);
        }
        await spawnNode(nodeNamed(name));
      },
      stop,
    };
  } catch (err) {
    const tail = (p: ServiceProcess) => readTail(p.logFile, 3).split('\n').map((l) => l.slice(0, 400)).join('\n');
    const tails = [...running.values()].map((p) => `--- ${p.name} (${p.logFile})\n${tail(p)}`).join('\n');
    await stop();
    throw new Error(`${(err as Error).message}\n${tails}`, { cause: err });
  }
}
