import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { createStores, prepareDatabase } from '../../activities/store';
import type { Config } from '../../lib/config';
import { connectMongo } from '../../lib/mongo';
import { temporalConnectionOptions } from '../../lib/temporal';
import { runningLine } from '../../lib/version';
import { seedDemoWorld, seedTemplates } from '../seed';
import { readTail, spawnService, type ServiceProcess } from './process';

/**
 * What `npm start` and `npm run cluster` share: the processes they own and
 * stop on Ctrl-C (last started, first stopped), the Propeller worker and API
 * processes, the demo seed, and the lines they print.
 */
const root = path.resolve(__dirname, '..', '..');
export const say = (line: string) => process.stdout.write(`${line}\n`);

/** The banner's head, with the version package.json holds: `Propeller 1.0.0 is running.` */
export function sayRunning(where?: string): void {
  say('');
  say(runningLine(where));
}

export class ServiceGroup {
  readonly services: ServiceProcess[] = [];
  private stopping = false;

  /** Ctrl-C (SIGINT) or SIGTERM stops every process in reverse order; an unexpected exit stops the rest. */
  constructor() {
    // `on`, not `once`: a terminal's Ctrl-C reaches npm, tsx and this process, and tsx relays it once more;
    // a second SIGINT without a handler would kill this process before it stops the servers.
    process.on('SIGINT', () => void this.stopAll(0));
    process.on('SIGTERM', () => void this.stopAll(0));
    process.once('exit', () => this.services.forEach((s) => s.child.exitCode === null && s.child.kill('SIGKILL')));
  }

  add(service: ServiceProcess): ServiceProcess {
    this.services.push(service);
    void service.exited.then((code) => {
      if (this.stopping) return;
      say(`${service.name} exited unexpectedly (code ${code}); its log ends with:\n${readTail(service.logFile)}`);
      void this.stopAll(1);
    });
    return service;
  }

  async stopAll(code: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    say('\nstopping...');
    for (const s of [...this.services].reverse()) await s.stop('SIGTERM');
    say('stopped');
    process.exit(code);
  }
}

/** A Propeller process (`workers/main.ts`, `api/main.ts`) as `npm run worker` / `npm run api` runs it, in its own process group. */
export function spawnPropeller(name: string, entry: string, env: NodeJS.ProcessEnv, logDir: string): ServiceProcess {
  return spawnService(name, process.execPath, ['--import', 'tsx', entry], {
    cwd: root,
    env,
    logFile: path.join(logDir, `${name}.log`),
    ownGroup: true,
  });
}

export async function workerPolling(config: Config, address?: string, minimum = 1): Promise<boolean> {
  const connection = await Connection.connect({ ...temporalConnectionOptions(config), ...(address ? { address } : {}) });
  try {
    const { pollers } = await connection.workflowService.describeTaskQueue({
      namespace: config.temporal.namespace,
      taskQueue: { name: config.temporal.taskQueue },
      taskQueueType: proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    return new Set((pollers ?? []).map((p) => p.identity)).size >= minimum;
  } finally {
    await connection.close();
  }
}

/** Indexes and the upgrades of older data, then the demo world and the built-in templates once; later starts reuse them. */
export async function seedStack(config: Config, uri: string, dataDir: string) {
  const mongo = await connectMongo(uri, config.mongo.db);
  try {
    const stores = createStores(mongo.db);
    // Before the seed: a pipeline of an older .data/ must belong to its company before the templates are looked up.
    const upgraded = await prepareDatabase(mongo.db, stores);
    const credentialsFile = path.join(dataDir, 'demo-credentials.json');
    fs.mkdirSync(dataDir, { recursive: true });
    const { credentials, created } = await seedDemoWorld(stores, credentialsFile);
    const templates = await seedTemplates(stores);
    return { credentials, created, templates, credentialsFile, upgraded };
  } finally {
    await mongo.client.close();
  }
}

export function printSeed(seed: Awaited<ReturnType<typeof seedStack>>, apiUrl: string): void {
  const { upgraded } = seed;
  if (upgraded.adoptedBy) {
    say(`  Upgraded       ${upgraded.pipelines} pipelines (${upgraded.versions} versions) and ${upgraded.partners} partner companies now belong to ${upgraded.adoptedBy}`);
  }
  say(`  Templates      ${seed.templates.length > 0 ? `published ${seed.templates.join(', ')}` : 'already published'}`);
  say(`  Demo users     ${seed.created ? 'created' : 'reused'}; keys in ${seed.credentialsFile}`);
  for (const [login, c] of Object.entries(seed.credentials)) {
    say(`    ${login.padEnd(16)} ${c.apiKey}  (${c.roles.join(', ')}, ${c.company ?? c.companyId})`);
  }
  say(`  Try: curl -H "Authorization: Bearer ${seed.credentials.admin?.apiKey}" ${apiUrl}/v1/me`);
  say('Press Ctrl-C to stop.');
}
