import crypto from 'node:crypto';
import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogEntry } from '@temporalio/worker';
import type { temporalConnectionOptions } from '../../lib/temporal';

/** The product's default workflow cache (WORKER_MAX_CACHED_WORKFLOWS); the baseline worker gets the same. */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 2_000;

let runtimeInstalled = false;
/**
 * The SDK's own logs (the core's included) at WARN and above only, to `logFile`
 * when given (a loaded worker's warnings would drown the progress lines). Once
 * per process; a test harness may have done it already.
 */
export function quietRuntime(logFile?: string): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const write = (entry: LogEntry) => {
    const meta = entry.meta ? ` ${JSON.stringify(entry.meta, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}` : '';
    fs.appendFileSync(logFile!, `${new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString()} ${entry.level} ${entry.message}${meta}\n`);
  };
  try {
    Runtime.install({
      logger: logFile ? new DefaultLogger('WARN', write) : new DefaultLogger('WARN'),
      telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
    });
  } catch {
    // Installed already.
  }
}

/** The Temporal server a bench run talks to. */
export interface TemporalTarget {
  address: string;
  namespace: string;
  apiKey?: string;
  tls?: ReturnType<typeof temporalConnectionOptions>['tls'];
}

/** What the helpers below need of the bench's stack (its own module imports them). */
interface Target {
  temporal: TemporalTarget;
  /** Set when the servers are not the bench's own. */
  external?: boolean;
}

/** A short random suffix, so every scenario has a task queue and a database of its own. */
export const shortId = () => crypto.randomBytes(4).toString('hex');

export async function connectClient(stack: Target): Promise<{ connection: Connection; client: Client }> {
  const connection = await Connection.connect(stack.temporal);
  return { connection, client: new Client({ connection, namespace: stack.temporal.namespace }) };
}

export function connectWorker(stack: Target): Promise<NativeConnection> {
  return NativeConnection.connect(stack.temporal);
}

/**
 * On a server the bench did not start, ends whatever the scenario left running
 * on its task queue (idle instances, opportunities started by conversions).
 */
export async function terminateOpen(stack: Target, client: Client, taskQueue: string): Promise<void> {
  if (!stack.external) return;
  const query = `TaskQueue='${taskQueue}' AND ExecutionStatus='Running'`;
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
  for (let i = 0; i < ids.length; i += 50) {
    await Promise.all(
      ids.slice(i, i + 50).map((id) => client.workflow.getHandle(id).terminate('benchmark finished').catch(() => undefined)),
    );
  }
}

/** How many workflows on the task queue match `filter` (a visibility query), e.g. ExecutionStatus='Completed'. */
export async function countWorkflows(client: Client, taskQueue: string, filter: string): Promise<number> {
  const { count } = await client.workflow.count(`TaskQueue='${taskQueue}' AND ${filter}`);
  return count;
}
