import type { Actor, Deadline, InstanceState, InstanceStatus, RecordView, ReminderState, StageVisit, TaskState } from './domain/types';
import type { WebhookDelivery } from './domain/webhooks';
import type { PipelineRef } from './pipeline-ref';
import type { PlannedTriggers, StoredRecordInput } from './trigger-types';

/**
 * What one step of an instance writes to MongoDB, in a single idempotent
 * activity call: the record change, the audit event, new or completed tasks
 * and the instance's view. `eventId` (instance id, chain id, sequence) is the
 * key every write is made with, so a retried activity never writes twice. The
 * input carries what changed, never what the activity can derive: the
 * pipeline's names, stage types and win rates come from the pinned version,
 * which every worker caches.
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
  /** The record's version after this change, as the instance's copy has it (a shared record's writer may store another). */
  version: number;
}

/** The instance's view (the `instances` collection, keyed by instance id) after a step: what changed, and the new scalars. */
export interface ViewChange {
  seq: number;
  status: InstanceStatus;
  stage: string;
  stageEnteredAt: string;
  deadline?: Deadline;
  reminders?: ReminderState;
  /** The step began a visit of `stage`: entered at `stageEnteredAt`, by the event's actor, for its reason. */
  entered?: true;
  /** The visit the state no longer keeps (it keeps the most recent ones), by its event id. */
  droppedVisit?: string;
  tasksCreated?: TaskState[];
  taskDone?: Pick<TaskState, 'id' | 'doneAt' | 'doneBy'>;
  /** Done tasks the state folded away (a later one of the same stage and key is done): the tasks collection keeps them. */
  tasksDropped?: string[];
  /** The record's `amount`, when it has a number: the forecast weights it by the stage's win rate. */
  amount?: number;
  /** Who the record belongs to after the step: the view lists by them, and webhooks go to the owner and the partner. */
  parties: { ownerId: string; partnerCompanyId?: string; contactId?: string };
  /** The first step of a chain (a start or a re-initiation): the view's visits and tasks start over. */
  chainStart?: boolean;
  /**
   * Runs started before the view existed (1.0) write their whole history and
   * tasks with every step, so a view that a 1.0 projection left behind is
   * complete after their first step on this version.
   */
  whole?: { history: StageVisit[]; tasks: TaskState[] };
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

/** The audit event as a step carries it: the ids it shares with the step are the step's. */
export type StepEvent = Omit<AuditEvent, 'eventId' | 'instanceId' | 'recordId' | 'pipelineKey'>;

/**
 * How the step's record change reaches the record (see record-writer.ts).
 * Absent: this instance is the record's writer and writes it itself.
 */
export type RecordRoute =
  /** The instance has not written the record yet: it takes the writer role, or joins the writer that holds it. */
  | { join: true }
  /** The record is shared: its writer workflow applies the change and stores the version. */
  | { via: string };

/**
 * One step, as the activity that writes it receives it. The instance and its
 * chain are in the event id (`<instance id>:<chain id>:<sequence>`): see stepIds.
 */
export interface TransitionInput {
  eventId: string;
  recordId: string;
  pipeline: PipelineRef;
  /** Absent when the step leaves the record alone. */
  record?: RecordChange;
  route?: RecordRoute;
  /** The instance's last step (an outcome stage, or cancelled): it gives up writing the record. */
  releasesRecord?: boolean;
  event: StepEvent;
  view: ViewChange;
  /** Records created by this step (written first, keyed by their id). */
  recordsCreated?: StoredRecordInput[];
  /** The pipelines of the records this step created, other than the instance's own, start as this actor. */
  startLinkedAs?: Actor;
}

export interface Transition {
  input: TransitionInput;
  /** Who made the step (the audit event keeps only ids); triggers the step fires act as them. */
  actor: Actor;
  next: InstanceState;
}

/**
 * What writing a step answers. The activity starts the step's webhook
 * deliveries and the pipelines of the records it created itself, so neither
 * passes through the instance's history.
 */
export interface StepWritten {
  /** The record as stored, when its writer chose the version (a shared record, or one joined by this step). */
  record?: RecordView;
  /** Where the instance's record changes go from now on: undefined leaves it, null makes it the writer, else the writer workflow's id. */
  writer?: string | null;
  /** A local activity's fingerprint of what it wrote (its input is not in history): see golden-replay.ts. */
  digest?: string;
  /** Answered by 1.0's activity only: deliveries and linked starts the workflow then started itself. */
  deliveries?: WebhookDelivery[];
  linked?: PlannedTriggers[];
}

/** The instance, chain and sequence an event id is made of. */
export function stepIds(eventId: string): { instanceId: string; chainId: string; seq: number } {
  const seqAt = eventId.lastIndexOf(':');
  const chainAt = eventId.lastIndexOf(':', seqAt - 1);
  return { instanceId: eventId.slice(0, chainAt), chainId: eventId.slice(chainAt + 1, seqAt), seq: Number(eventId.slice(seqAt + 1)) };
}

/** The visit a step began, as the state keeps it: all of it follows from the step. */
export function enteredVisit(input: Pick<TransitionInput, 'eventId' | 'event' | 'view'>): StageVisit {
  return {
    stage: input.view.stage,
    enteredAt: input.view.stageEnteredAt,
    by: input.event.actor.userId,
    ...(input.event.reason !== undefined ? { reason: input.event.reason } : {}),
    eventId: input.eventId,
  };
}
