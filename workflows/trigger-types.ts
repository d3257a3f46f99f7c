import type { PipelineVersion, RecordView } from './domain/types';

/** What a trigger does for one pipeline: start an instance, hand the new values to a running one, or nothing. */
export type TriggerAction =
  | { action: 'start'; instanceId: string; definition: PipelineVersion; allowReinitiation: boolean }
  | { action: 'signal'; instanceId: string; pipelineKey: string }
  | { action: 'ignored'; instanceId: string; pipelineKey: string; reason: string };

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
