/**
 * What every Temporal server the stack starts runs with besides the dev
 * server's defaults: the dev server of `npm start`, the tests and the bench
 * (as `--dynamic-config-value` flags), and the cluster and docker-compose.yml
 * (in their dynamic config files, with the dev server's defaults Propeller
 * needs; see DYNAMIC_CONFIG in cluster-config.ts).
 *
 * An activity that a workflow task schedules on the worker's own task queue
 * is handed to that worker in the answer to the task's completion (eager
 * dispatch), instead of waiting for a poll of the task queue: the write of a
 * step an update asks for starts one round trip through matching sooner. The
 * completion is recorded before the answer is sent, so the update is durable
 * before the write starts, as with a polled task. Temporal does this only when
 * the server turns it on.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Readonly<Record<string, unknown>> = {
  'system.enableActivityEagerExecution': true,
};
