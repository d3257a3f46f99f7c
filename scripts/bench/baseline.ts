import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { baselineActivities } from './baseline-activities';
import { connectClient, connectWorker, DEFAULT_MAX_CACHED_WORKFLOWS, shortId, terminateOpen } from './env';
import type { BenchStack } from './stack';

/** Bare Temporal as a scenario drives it: a client and an in-process worker on a task queue of its own. */
export interface BaselineEnv {
  taskQueue: string;
  client: Client;
  stop(): Promise<void>;
}

export async function startBaseline(stack: BenchStack, opts: { name: string; worker?: boolean }): Promise<BaselineEnv> {
  const taskQueue = `bench-baseline-${opts.name}-${shortId()}`;
  const { connection, client } = await connectClient(stack);
  let stopWorker = async () => undefined as void;
  if (opts.worker !== false) {
    const workerConnection = await connectWorker(stack);
    const worker = await Worker.create({
      connection: workerConnection,
      namespace: stack.temporal.namespace,
      taskQueue,
      activities: baselineActivities,
      maxCachedWorkflows: DEFAULT_MAX_CACHED_WORKFLOWS,
      shutdownGraceTime: 2_000,
      workflowBundle: { codePath: stack.baselineBundlePath },
    });
    const running = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await running;
      await workerConnection.close();
    };
  }
  return {
    taskQueue,
    client,
    async stop() {
      await stopWorker();
      await terminateOpen(stack, client, taskQueue);
      await connection.close();
    },
  };
}
