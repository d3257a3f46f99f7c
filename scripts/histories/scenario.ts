import type { PipelineDefinition } from '../../workflows/domain/types';
import type { PropellerEnv } from '../bench/propeller';
import { instancePath } from '../bench/http';
import { until, type RunToRecord } from './recorder';

/** A flow driven as a user would, on a Propeller of its own (demo world seeded); answers the runs to record. */
export interface HistoryScenario {
  name: string;
  description: string;
  /** Published besides the built-in templates. */
  pipelines?: PipelineDefinition[];
  run(env: PropellerEnv): Promise<RunToRecord[]>;
}

export interface InstanceView {
  instanceId: string;
  status: string;
  stage: { key: string };
}

export interface CreatedRecord {
  id: string;
  instances: Array<{ instanceId: string; outcome: string }>;
}

/** The instance as sales sees it through the API. */
export const viewInstance = (env: PropellerEnv, instanceId: string) => env.call<InstanceView>(env.users.sales, 'GET', instancePath(instanceId));

/** Waits until the instance stands in `stage` (a deadline or a reminder does it on the server's clock). */
export const untilStage = (env: PropellerEnv, instanceId: string, stage: string, timeoutMs = 30_000) =>
  until(`${instanceId} in ${stage}`, async () => ((await viewInstance(env, instanceId)).stage.key === stage ? true : undefined), timeoutMs);

/** The one instance a record's creation started. */
export function onlyInstance(created: CreatedRecord): string {
  const [only, ...more] = created.instances;
  if (!only || more.length > 0) throw new Error(`record ${created.id} started ${created.instances.length} instances, not one`);
  return only.instanceId;
}

/** `ms` from now, as a field value. */
export const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
