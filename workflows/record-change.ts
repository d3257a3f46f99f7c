import { unionParticipants } from './domain/records';
import type { RecordView } from './domain/types';
import type { RecordChange } from './transition';

/**
 * A step's record change applied to the record as stored, at `version`: how
 * a shared record's writer, or a step that joins a record, rebases a change
 * that was planned on an older copy. Every value the change sets is absolute;
 * participants only grow, so the union keeps what another writer invited.
 */
export function applyRecordChange(record: RecordView, change: RecordChange, version: number): RecordView {
  const fields = { ...record.fields, ...change.set };
  for (const field of change.unset) delete fields[field];
  const participants = change.participants ? unionParticipants(record.participants, change.participants) : record.participants;
  return {
    ...record,
    fields,
    archived: change.archived ?? record.archived,
    participants,
    privateFields: change.privateFields ?? record.privateFields,
    partnerCompanyId: change.partnerCompanyId ?? record.partnerCompanyId,
    version,
  };
}

/** The change that turns `from` into `to` field by field: what a writer stores when it applies a rebased change. */
export function changeBetween(from: RecordView, to: RecordView): RecordChange {
  const set = Object.fromEntries(Object.entries(to.fields).filter(([k, v]) => JSON.stringify(from.fields[k]) !== JSON.stringify(v)));
  const unset = Object.keys(from.fields).filter((k) => !(k in to.fields));
  return {
    set,
    unset,
    ...(to.archived !== from.archived ? { archived: to.archived } : {}),
    ...(JSON.stringify(to.participants) !== JSON.stringify(from.participants) ? { participants: to.participants } : {}),
    ...(JSON.stringify(to.privateFields) !== JSON.stringify(from.privateFields) ? { privateFields: to.privateFields } : {}),
    ...(to.partnerCompanyId !== from.partnerCompanyId && to.partnerCompanyId ? { partnerCompanyId: to.partnerCompanyId } : {}),
    version: to.version,
  };
}

/** Whether the change writes nothing (a last step that only gives the record up). */
export function isEmptyChange(change: RecordChange): boolean {
  return (
    Object.keys(change.set).length === 0 &&
    change.unset.length === 0 &&
    change.archived === undefined &&
    !change.participants &&
    !change.privateFields &&
    !change.partnerCompanyId
  );
}
