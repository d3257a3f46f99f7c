import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Stores } from '../activities/store';
import { stateFromTrail } from '../activities/store/view-backfill';
import type { InstanceState } from '../workflows/domain/types';
import { stateQuery } from '../workflows/messages';

export interface ViewBackfillReport {
  /** Views completed from a running workflow's state. */
  running: number;
  /** Views completed from the audit trail and tasks, for runs that closed before the upgrade. */
  closed: number;
  /** Views left as they were: a newer step wrote them meanwhile, or their record or version is gone. */
  skipped: number;
}

const BATCH = 200;

/** The state of a run that is still running, by its query; undefined for a run that closed or is gone. */
async function runningState(client: Client, instanceId: string): Promise<InstanceState | undefined> {
  const run = client.workflow.getHandle(instanceId);
  try {
    if ((await run.describe()).status.name !== 'RUNNING') return undefined;
    return await run.query(stateQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/**
 * The upgrade of the instances 1.0 left: it wrote a projection (stage,
 * status) where this version keeps a whole view. Each is completed once, from
 * its workflow's state while the run is running (answered by this worker,
 * which is polling by then), or from what MongoDB holds of a run that closed.
 * Idempotent and safe beside steps and other workers: the write is guarded
 * like a step's, so a newer step's view is never overwritten, and a view
 * completed once is not read again.
 */
export async function backfillViews(client: Client, stores: Stores): Promise<ViewBackfillReport> {
  const report: ViewBackfillReport = { running: 0, closed: 0, skipped: 0 };
  const tried = new Set<string>();
  for (;;) {
    const batch = (await stores.instances.incomplete(BATCH + tried.size)).filter((p) => !tried.has(p.instanceId));
    if (batch.length === 0) return report;
    for (const projection of batch) {
      tried.add(projection.instanceId);
      const def = await stores.pipelines.getVersion(projection.companyId, projection.pipelineKey, projection.version);
      const running = await runningState(client, projection.instanceId);
      const state = running ?? (await stateFromTrail(stores, projection));
      const wrote = def && state ? await stores.instances.backfill(state, projection.companyId, def, new Date().toISOString()) : false;
      if (!wrote) report.skipped++;
      else if (running) report.running++;
      else report.closed++;
    }
  }
}
