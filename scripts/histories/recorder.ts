import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { waitUntil } from '../stack/process';

/** One run to keep: written as `<name>-<version>.json`, the name the replay test takes for its workflow id. */
export interface RunToRecord {
  name: string;
  workflowId: string;
  /** A run other than the latest (the run that continued as new, the one a reactivation closed). */
  runId?: string;
}

/** Polls `check` until it answers a value; fails with `what` after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  let found: T | undefined;
  await waitUntil(what, async () => (found = await check()) !== undefined, { timeoutMs, intervalMs: 100 });
  return found as T;
}

const { EventType } = temporal.api.enums.v1;
const MID_TASK = new Set([EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED]);

/**
 * The run's history once it has nothing in flight: closed, or waiting with no
 * workflow task and no activity pending. A history cut in the middle of a task
 * would replay as a run that never finished its step.
 */
export async function settledHistory(client: Client, run: RunToRecord): Promise<string> {
  const handle = client.workflow.getHandle(run.workflowId, run.runId);
  return until(`${run.name}: run of ${run.workflowId} settled`, async () => {
    const { status, raw } = await handle.describe();
    const idle = status.name !== 'RUNNING' || (!raw.pendingWorkflowTask && (raw.pendingActivities ?? []).length === 0);
    if (!idle) return undefined;
    const history = await handle.fetchHistory();
    const last = history.events?.at(-1)?.eventType;
    return last === undefined || last === null || MID_TASK.has(last) ? undefined : historyToJSON(history);
  });
}

/** Writes the history as `temporal workflow show -o json` would; answers the file's path. */
export function writeHistory(outDir: string, name: string, version: string, json: string): string {
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${name}-${version}.json`);
  fs.writeFileSync(file, `${json}\n`);
  return file;
}
