import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { Stores } from '../activities/store';
import type { WebhookEgress } from '../activities/webhook-send';
import { webhookActivities } from '../activities/webhooks';
import type { Metrics } from '../lib/metrics';
import type { WebhookRetry } from '../workflows/domain/webhook-retry';
import { WORKFLOW_BUNDLER_OPTIONS, WORKFLOWS_PATH } from './bundle';

export interface WorkerDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  stores: Stores;
  metrics?: Metrics;
  /** Where webhook deliveries may go (WEBHOOK_ALLOW_NETWORKS); without it, no internal address. */
  webhookEgress?: WebhookEgress;
  /** When failed deliveries are tried again (WEBHOOK_RETRY_SCHEDULE, WEBHOOK_DISABLE_AFTER); without it, the published schedule. */
  webhookRetry?: WebhookRetry;
  maxCachedWorkflows: number;
  shutdownGraceMs: number;
  /** A prebuilt bundle (tests build one per run); otherwise the worker bundles workflows/ at start. */
  workflowBundlePath?: string;
}

/** The worker that runs pipeline instances: the workflows bundle plus activities bound to MongoDB. */
export async function createWorker(deps: WorkerDeps): Promise<Worker> {
  // The worker's one connection also starts the workflows a step raises and reaches shared records' writers.
  const client = new Client({ connection: deps.connection, namespace: deps.namespace });
  const options: WorkerOptions = {
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    activities: createActivities({ stores: deps.stores, metrics: deps.metrics, temporal: { client, taskQueue: deps.taskQueue } }),
    maxCachedWorkflows: deps.maxCachedWorkflows,
    shutdownGraceTime: deps.shutdownGraceMs,
    ...workflowCode(deps.workflowBundlePath),
  };
  // Deliveries are sent under the deployment's egress policy (WEBHOOK_ALLOW_NETWORKS) rather than the default of no internal address.
  options.activities = { ...options.activities, ...webhookActivities(deps.stores, deps.metrics, deps.webhookEgress, deps.webhookRetry) };
  return Worker.create(options);
}

/** A prebuilt bundle, or `workflows/` bundled at start with the options every prebuilt bundle is built with. */
export function workflowCode(bundlePath: string | undefined): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'bundlerOptions'> {
  return bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath: WORKFLOWS_PATH, bundlerOptions: WORKFLOW_BUNDLER_OPTIONS };
}
