import type { Stores, StoredRecord } from './store';
import { evaluateFilter } from '../workflows/domain';
import type { Actor } from '../workflows/domain/types';
import type { TriggerAction } from '../workflows/trigger-types';

export type { TriggerAction };

const MAX_ASSOCIATIONS = 10;

/**
 * The context filters are evaluated over: the record's own fields, each
 * associated record (a `<name>Id` field, or the contact) under its name, the
 * owner (department, roles, attributes) and the acting user.
 */
export async function filterContext(stores: Stores, record: StoredRecord, actor: Actor): Promise<Record<string, unknown>> {
  const links = Object.entries(record.fields)
    .filter(([name, value]) => name.length > 2 && name.endsWith('Id') && typeof value === 'string')
    .map(([name, value]) => [name.slice(0, -2), value as string] as const);
  if (record.contactId) links.push(['contact', record.contactId]);
  const associated = await Promise.all(
    links.slice(0, MAX_ASSOCIATIONS).map(async ([name, id]) => {
      const linked = await stores.records.get(id);
      return linked && linked.companyId === record.companyId ? [[name, { ...linked.fields, id: linked.id, type: linked.type }]] : [];
    }),
  );
  const owner = await stores.people.getUser(record.ownerId);
  return {
    ...Object.fromEntries(associated.flat()),
    record: {
      ...record.fields,
      id: record.id,
      type: record.type,
      ownerId: record.ownerId,
      companyId: record.companyId,
      partnerCompanyId: record.partnerCompanyId,
      contactId: record.contactId,
    },
    owner: owner ? { id: owner.id, department: owner.department, roles: owner.roles, attributes: owner.attributes } : {},
    user: { id: actor.userId, department: actor.department, roles: actor.roles, attributes: actor.attributes ?? {} },
  };
}

/** Decides, for every published pipeline of the record's company and type, what its trigger does now. */
export async function planTriggers(stores: Stores, record: StoredRecord, actor: Actor): Promise<TriggerAction[]> {
  const pipelines = (await stores.pipelines.publishedFor(record.companyId, record.type)).filter((p) => p.trigger.onCreate);
  if (pipelines.length === 0) return [];
  const context = await filterContext(stores, record, actor);
  const actions: TriggerAction[] = [];
  for (const definition of pipelines) {
    if (!evaluateFilter(definition.filter, context)) continue;
    const { instanceId, existing } = await stores.instanceSlot(definition, record);
    if (existing && existing.recordId !== record.id) {
      // Multiple runs off: the contact's instance stays bound to its first record (seed 002).
      actions.push({ action: 'ignored', instanceId, pipelineKey: definition.key, reason: `contact instance is bound to record ${existing.recordId}` });
    } else if (existing?.status === 'running') {
      actions.push({ action: 'signal', instanceId, pipelineKey: definition.key });
    } else if (!existing) {
      actions.push({ action: 'start', instanceId, definition, allowReinitiation: definition.trigger.reinitiate });
    }
    // A finished or cancelled instance is never started over by a trigger: re-initiation is a
    // manual start (seed 000), and a re-fired trigger never restarts a workflow (seed 002).
  }
  return actions;
}
