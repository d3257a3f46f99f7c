import type { Actor, Check, PipelineDefinition, RecordView } from './types';

export type IdRecord = Pick<RecordView, 'id' | 'type' | 'contactId' | 'companyId'>;
type IdPipeline = Pick<PipelineDefinition, 'key' | 'multipleRuns'>;

/**
 * The readable workflow id an SRE types into the Web UI: the owning company
 * and the pipeline, then one instance per record, or one per contact when the
 * pipeline's multiple runs are off.
 */
export function instanceIdFor(def: IdPipeline, record: IdRecord): string {
  if (!def.multipleRuns && record.contactId) return `pipeline:${record.companyId}:${def.key}:contact:${record.contactId}`;
  return `pipeline:${record.companyId}:${def.key}:${record.type}:${record.id}`;
}

/**
 * The id the same instance had when pipelines were global (before companies
 * owned them): instances started then keep it for good, as workflow ids never
 * change, so looking an instance up asks for both.
 */
export function globalInstanceIdFor(def: IdPipeline, record: IdRecord): string {
  if (!def.multipleRuns && record.contactId) return `pipeline:${def.key}:contact:${record.contactId}`;
  return `pipeline:${def.key}:${record.type}:${record.id}`;
}

/** Every id an instance of this pipeline for this record can have, the current form first. */
export const instanceIdsFor = (def: IdPipeline, record: IdRecord): [string, string] => [instanceIdFor(def, record), globalInstanceIdFor(def, record)];

/** The record inside an instance id keyed by its record (either form); undefined for a contact's. */
export function recordIdOf(instanceId: string): string | undefined {
  const parts = instanceId.split(':');
  const type = parts.at(-2);
  return parts.length >= 4 && type !== 'contact' ? parts.at(-1) : undefined;
}

/** The pipeline key inside an instance id of either form (`pipeline:<company>:<key>:…` or `pipeline:<key>:…`). */
export function pipelineKeyOf(instanceId: string): string {
  const parts = instanceId.split(':');
  return (parts.length >= 5 ? parts[2] : parts[1]) ?? 'unknown';
}

/** Who may start the pipeline by hand: anyone when no scope is set, else a listed user, department or role. */
export function checkScope(def: Pick<PipelineDefinition, 'scope' | 'name'>, actor: Actor): Check<true> {
  const scope = def.scope;
  const limited = !!(scope && (scope.users?.length || scope.departments?.length || scope.roles?.length));
  if (!limited || actor.kind === 'system') return { ok: true, value: true };
  if (scope?.users?.includes(actor.userId)) return { ok: true, value: true };
  if (actor.department && scope?.departments?.includes(actor.department)) return { ok: true, value: true };
  if (scope?.roles?.some((r) => actor.roles.includes(r))) return { ok: true, value: true };
  const parts = [
    scope?.users?.length ? `users ${scope.users.join(', ')}` : '',
    scope?.departments?.length ? `departments ${scope.departments.join(', ')}` : '',
    scope?.roles?.length ? `roles ${scope.roles.join(', ')}` : '',
  ].filter(Boolean);
  return { ok: false, code: 'not_allowed', message: `${def.name} may be started by hand only by ${parts.join(' or ')}` };
}
