import type { Actor, RecordView } from './types';

/** Users of the owning company (and the system) see every field; everyone else never sees the private ones. */
export function seesPrivateFields(actor: Actor, record: Pick<RecordView, 'companyId'>): boolean {
  return actor.kind === 'system' || (actor.companyId !== undefined && actor.companyId === record.companyId);
}

/** The record as this caller may see it: the fields private at its current stage removed. */
export function redactRecord<R extends RecordView>(record: R, actor: Actor): R {
  if (seesPrivateFields(actor, record) || record.privateFields.length === 0) return record;
  const fields = { ...record.fields };
  for (const name of record.privateFields) delete fields[name];
  return { ...record, fields };
}
