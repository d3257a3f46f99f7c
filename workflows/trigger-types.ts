import type { TriggerAction } from '../activities/triggers';
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

/** The triggers of a record a step created, planned by the step's own activity once it wrote the record. */
export interface PlannedTriggers {
  record: RecordView;
  actions: TriggerAction[];
}
