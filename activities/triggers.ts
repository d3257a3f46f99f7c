import type { Stores, StoredRecord } from './store';
import { evaluateFilter, filterRoots, instanceIdFor } from '../workflows/domain';
import type { Actor, Filter } from '../workflows/domain/types';
import type { TriggerAction } from '../workflows/trigger-types';

export type { TriggerAction };

const MAX_ASSOCIATIONS = 10;

/**
 * The context `filters` are evaluated over: the record's own fields, each
 * associated record (a `<name>Id` field, or the contact) under its name, the
 * owner (department, roles, attributes) and the acting user. Only the
 * associated records and the owner the filters name are read.
 */
export async function filterContext(
  stores: Stores,
  record: StoredRecord,
  actor: Actor,
  filters: ReadonlyArray<Filter | undefined>,
): Promise<Record<string, unknown>> {
  const named = filterRoots(filters);
  const links = Object.entries(record.fields)
    .filter(([name, value]) => name.length > 2 && name.endsWith('Id') && typeof value === 'string')
    .map(([name, value]) => [name.slice(0, -2), value as string] as const);
  if (record.contactId) links.push(['contact', record.contactId]);
  const associated = await Promise.all(
    // The first MAX_ASSOCIATIONS links count, read or not: which of them a filter sees does not depend on the others.
    links.slice(0, MAX_ASSOCIATIONS).filter(([name]) => named.has(name)).map(async ([name, id]) => {
      const linked = await stores.records.get(id);
      return linked && linked.companyId === record.companyId ? [[name, { ...linked.fields, id: linked.id, type: linked.type }]] : [];
    }),
  );
  const owner = named.has('owner') ? await stores.people.getUser(record.ownerId) : undefined;
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

export interface PlanOptions {
  /**
   * The record's id was made by the caller for this record, and nothing has
   * started on it yet (a create before its first write, a step that creates a
   * record): no instance keyed by it can exist, so none is looked for. A start
   * that finds its id taken after all falls back to the record's durable trigger.
   */
  fresh?: boolean;
}

/** Decides, for every published pipeline of the record's company and type, what its trigger does now. */
export async function planTriggers(stores: Stores, record: StoredRecord, actor: Actor, opts: PlanOptions = {}): Promise<TriggerAction[]> {
  const pipelines = (await stores.pipelines.publishedFor(record.companyId, record.type)).filter((p) => p.trigger.onCreate);
  if (pipelines.length === 0) return [];
  const context = await filterContext(stores, record, actor, pipelines.map((p) => p.filter));
  const actions: TriggerAction[] = [];
  for (const definition of pipelines) {
    if (!evaluateFilter(definition.filter, context)) continue;
    // A contact's instance may run already, whatever the record.
    const keyedByRecord = definition.multipleRuns || !record.contactId;
    const { instanceId, existing } =
      opts.fresh && keyedByRecord ? { instanceId: instanceIdFor(definition, record), existing: undefined } : await stores.instanceSlot(definition, record);
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
