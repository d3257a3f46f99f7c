import type { Actor, Check, PipelineDefinition, RecordView } from './types';

/**
 * The readable workflow id an SRE types into the Web UI: one instance per
 * record, or one per contact when the pipeline's multiple runs are off.
 */
export function instanceIdFor(def: Pick<PipelineDefinition, 'key' | 'multipleRuns'>, record: Pick<RecordView, 'id' | 'type' | 'contactId'>): string {
  if (!def.multipleRuns && record.contactId) return `pipeline:${def.key}:contact:${record.contactId}`;
  return `pipeline:${def.key}:${record.type}:${record.id}`;
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
