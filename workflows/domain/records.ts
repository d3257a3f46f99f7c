import type { RecordView } from './types';

export interface NewRecord {
  id: string;
  type: string;
  ownerId: string;
  creatorId: string;
  companyId: string;
  partnerCompanyId?: string;
  contactId?: string;
  fields: Record<string, unknown>;
}

/** A record as first written: version 1, not archived, no participants, nothing private yet. */
export function newRecord(spec: NewRecord, nowIso: string): RecordView & { createdAt: string; updatedAt: string } {
  return {
    ...spec,
    archived: false,
    version: 1,
    participants: { users: [], companies: [] },
    privateFields: [],
    createdAt: nowIso,
    updatedAt: nowIso,
  };
}

/** Participants only grow: the users and companies of both, each once. */
export function unionParticipants(a: RecordView['participants'], b: RecordView['participants']): RecordView['participants'] {
  return { users: [...new Set([...a.users, ...b.users])], companies: [...new Set([...a.companies, ...b.companies])] };
}
