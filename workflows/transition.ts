import type { Actor, Deadline, InstanceState, InstanceStatus, StageType, TaskState } from './domain/types';
import type { WebhookDelivery } from './domain/webhooks';
import type { PlannedTriggers, StoredRecordInput } from './trigger-types';

/**
 * What one step of an instance writes to MongoDB, in a single idempotent
 * activity call: the record change, the audit event, new or completed tasks
 * and the instance projection. `eventId` (instance id + sequence) is the key
 * every write is made with, so a retried activity never writes twice.
 */
export type TransitionKind =
  | 'started'
  | 'moved'
  | 'deadline_fired'
  | 'deadline_approaching'
  | 'auto_advanced'
  | 'task_completed'
  | 'record_updated'
  | 'cancelled'
  | 'trigger_ignored';

export interface RecordChange {
  set: Record<string, unknown>;
  unset: string[];
  archived?: boolean;
  participants?: { users: string[]; companies: string[] };
  privateFields?: string[];
  /** A reassignment to another partner company. */
  partnerCompanyId?: string;
  /** The record's version after this change. */
  version: number;
}

export interface InstanceProjection {
  instanceId: string;
  pipelineKey: string;
  pipelineName: string;
  version: number;
  objectType: string;
  recordId: string;
  status: InstanceStatus;
  stage: string;
  stageType: StageType;
  stageEnteredAt: string;
  deadline?: Deadline;
  ownerId: string;
  companyId: string;
  partnerCompanyId?: string;
  contactId?: string;
  /** The record's `amount`, the stage's win rate, and their product: what the forecast sums. */
  amount?: number;
  winRate?: number;
  weightedAmount?: number;
  seq: number;
  updatedAt: string;
}

export interface AuditEvent {
  eventId: string;
  instanceId: string;
  recordId: string;
  pipelineKey: string;
  kind: TransitionKind;
  actor: Pick<Actor, 'kind' | 'userId' | 'companyId'>;
  at: string;
  from?: string;
  to?: string;
  reason?: string;
  idempotencyKey?: string;
  details?: Record<string, unknown>;
}

export interface TransitionInput {
  eventId: string;
  recordId: string;
  /** Absent when the step leaves the record alone. */
  record?: RecordChange;
  event: AuditEvent;
  tasksCreated: TaskState[];
  taskCompleted?: Pick<TaskState, 'id' | 'doneAt' | 'doneBy'>;
  /** Records created by this step (written first, keyed by their id). */
  recordsCreated?: StoredRecordInput[];
  /** Set when the workflow starts the pipelines of the records this step created itself: plan their triggers as this actor. */
  planTriggersAs?: Actor;
  instance: InstanceProjection;
}

export interface Transition {
  input: TransitionInput;
  /** Who made the step (the audit event keeps only ids); triggers the step fires act as them. */
  actor: Actor;
  next: InstanceState;
}

/** What writing a step answers: its audit event, and the webhook deliveries it raises. */
export interface StepWritten {
  /** Echoed by a local activity only. */
  event?: AuditEvent;
  deliveries: WebhookDelivery[];
  /** With `planTriggersAs`: the triggers of each record the step created, other than the instance's own. */
  linked?: PlannedTriggers[];
}
