import type { RecordView } from './domain/types';

/** A record as stored, with its timestamps (what a trigger writes). */
export interface StoredRecordInput extends RecordView {
  createdAt: string;
  updatedAt: string;
}

export interface TriggerOutcome {
  instanceId: string;
  outcome: 'started' | 'updated' | 'ignored' | 'closed';
}
