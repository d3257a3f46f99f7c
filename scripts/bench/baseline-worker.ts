/**
 * The baseline's worker as a process of its own (the memory scenario measures
 * its RSS beside Propeller's worker process): `node --import tsx
 * scripts/bench/baseline-worker.ts '<json options>'`. Prints "worker started".
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { baselineActivities } from './baseline-activities';
import { quietRuntime } from './env';

export interface BaselineWorkerOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  bundlePath: string;
  maxCachedWorkflows: number;
}

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '{}') as BaselineWorkerOptions;
  quietRuntime();
  const connection = await NativeConnection.connect({ address: opts.address });
  const worker = await Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: baselineActivities,
    maxCachedWorkflows: opts.maxCachedWorkflows,
    shutdownGraceTime: 2_000,
    workflowBundle: { codePath: opts.bundlePath },
  });
  process.stdout.write('worker started\n');
  await worker.run();
  await connection.close();
}

main().catch((err) => {
  process.stderr.write(`baseline worker: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
