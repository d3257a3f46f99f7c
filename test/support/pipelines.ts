import type { PipelineDefinition, PipelineVersion, StageDef } from '../../workflows/domain/types';
import { call, type TestUser } from './auth';
import { uid } from './factories';
import type { Harness } from './harness';

/**
 * A pipeline for a test: started by hand, one instance per record, every move
 * allowed by policy, stage field `stage`, a key of its own. The test gives the
 * object type and the stages; anything else goes in `overrides`.
 */
export function testPipeline(name: string, objectType: string, stages: StageDef[], overrides: Partial<PipelineDefinition> = {}): PipelineDefinition {
  return {
    key: uid('pipe'),
    name,
    objectType,
    stageField: 'stage',
    trigger: { onCreate: false, manual: true, reinitiate: false },
    multipleRuns: true,
    policy: { reversible: true, skippable: true, repeatable: true, reactivatable: false },
    stages,
    ...overrides,
  };
}

/** Creates (or replaces) a pipeline draft through the API and publishes it; returns the published version. */
export async function publishPipeline(h: Harness, admin: TestUser, def: PipelineDefinition): Promise<PipelineVersion> {
  const exists = (await call(h, 'GET', `/v1/pipelines/${def.key}`, { user: admin })).status === 200;
  const saved = exists
    ? await call(h, 'PUT', `/v1/pipelines/${def.key}`, { user: admin, body: def })
    : await call(h, 'POST', '/v1/pipelines', { user: admin, body: def });
  if (saved.status >= 300) throw new Error(`saving pipeline ${def.key}: ${saved.status} ${JSON.stringify(saved.body)}`);
  const published = await call(h, 'POST', `/v1/pipelines/${def.key}/publish`, { user: admin });
  if (published.status !== 201) throw new Error(`publishing ${def.key}: ${published.status} ${JSON.stringify(published.body)}`);
  return published.body as PipelineVersion;
}

/** Creates a record through the API as `user`. */
export async function createRecord(h: Harness, user: TestUser, type: string, body: Record<string, unknown>) {
  const res = await call(h, 'POST', `/v1/records/${type}`, { user, body });
  if (res.status !== 201) throw new Error(`creating ${type}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; type: string; version: number; fields: Record<string, unknown> };
}

/** Starts an instance through the API; returns the response. */
export function startInstance(h: Harness, user: TestUser, pipelineKey: string, recordId: string, headers?: Record<string, string>) {
  return call(h, 'POST', '/v1/instances', { user, body: { pipelineKey, recordId }, headers });
}

export const instancePath = (instanceId: string) => `/v1/instances/${encodeURIComponent(instanceId)}`;

/** The workflow id of a pipeline's instance for one record, as an SRE reads it: `pipeline:<company>:<key>:<type>:<record>`. */
export const recordInstanceId = (companyId: string, pipelineKey: string, type: string, recordId: string) =>
  `pipeline:${companyId}:${pipelineKey}:${type}:${recordId}`;

/** The workflow id of a pipeline's instance for a contact (multiple runs off). */
export const contactInstanceId = (companyId: string, pipelineKey: string, contactId: string) => `pipeline:${companyId}:${pipelineKey}:contact:${contactId}`;

/**
 * Stores a definition as version 1 of a company's pipeline, straight into the
 * harness's database (no API, no tenant): for tests that start workflows
 * themselves, since a run loads its pinned version by reference.
 */
export async function storeVersion(h: Pick<Harness, 'stores'>, companyId: string, def: PipelineDefinition): Promise<PipelineVersion> {
  const now = new Date().toISOString();
  await h.stores.pipelines.createDraft(companyId, def, 'usr_test', now);
  const version = await h.stores.pipelines.publish(companyId, def.key, 'usr_test', now);
  if (!version) throw new Error(`publishing ${def.key} for ${companyId}`);
  return version;
}
