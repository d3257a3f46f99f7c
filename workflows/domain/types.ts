/**
 * The domain model shared by the API, the activities and the workflow.
 * Plain data only: no classes, no Dates (times are ISO-8601 strings or epoch
 * milliseconds), so every value crosses Temporal payloads and MongoDB as is.
 */

export type StageType = 'normal' | 'success' | 'failure' | 'invalid';

/** Who may do something. A user matches when any listed condition holds; an absent rule lets anyone who can see the record. */
export interface Who {
  roles?: string[];
  /** The record's owner. */
  owner?: boolean;
  /** Any user of the company that owns the record. */
  ownerCompany?: boolean;
  /** Any user of the partner company the record is assigned to. */
  partnerCompany?: boolean;
  /** Named users. */
  users?: string[];
}

/** A value an effect writes into a field. */
export type FieldValue =
  | { kind: 'value'; value: unknown }
  /** The moment of the move, plus an optional offset (e.g. "30d" for acceptance + 30 days). */
  | { kind: 'now'; offset?: string }
  /** The acting user's id. */
  | { kind: 'actor' }
  /** Clears the field. */
  | { kind: 'unset' };

export interface FieldEffect {
  field: string;
  value: FieldValue;
  /** Only when the field is empty (lets a caller-supplied value win over a default). */
  onlyIfEmpty?: boolean;
}

export type AssigneeDef =
  | { kind: 'owner' }
  | { kind: 'creator' }
  | { kind: 'role'; role: string }
  | { kind: 'user'; userId: string }
  | { kind: 'partner_company' };

export type TaskKindDef =
  /** Fill in the given fields of the record. */
  | { kind: 'edit_fields'; fields: string[] }
  /** Create a record of the given type linked to this one (its id lands in `linkField`). */
  | { kind: 'create_record'; recordType: string; linkField: string };

export type TaskDef = {
  key: string;
  name: string;
  description?: string;
  assignee: AssigneeDef;
  required: boolean;
} & TaskKindDef;

export interface DeadlineDef {
  /** A duration from entering the stage: "90s", "15m", "12h", "7d". */
  after?: string;
  /** Or the date held in this record field (a later change of the field moves the deadline). */
  atField?: string;
  /** Where the instance goes when the deadline passes. */
  to: string;
}

/** A `deadline.approaching` event raised `before` the stage's deadline, once per stage visit. */
export interface ReminderDef {
  before: string;
}

export interface StageDef {
  key: string;
  name: string;
  type: StageType;
  /** Exactly one stage of a pipeline is initial. */
  initial?: boolean;
  /** 0–100; weights the forecast. */
  winRate?: number;
  rules?: {
    /** The stages this one may be entered from (any, when absent). */
    from?: string[];
    /** Who may move the record into this stage. */
    enter?: Who;
    /** Who may move the record out of this stage. */
    exit?: Who;
    /** Who may move the record backwards from this stage. */
    back?: Who;
    /** Fields that must be filled (on the record or in the move) to enter. */
    requiredFields?: string[];
    /** Task keys (of any stage) that must be done to enter. */
    requiredTasks?: string[];
    /** A move into this stage needs a reason. */
    requireReason?: boolean;
  };
  effects?: {
    setFields?: FieldEffect[];
    /** true archives the record on entry; false restores an archived one. */
    archive?: boolean;
    /** Participants gain read access from this stage on. */
    invite?: { users?: string[]; companies?: string[]; partnerCompany?: boolean };
    /** Fields hidden from everyone outside the owner's company while the record is in this stage (replaces the previous list). */
    privateFields?: string[];
  };
  tasks?: TaskDef[];
  deadline?: DeadlineDef;
  /** Only on a stage with a deadline; see workflows/domain/reminders.ts. */
  reminders?: ReminderDef[];
  /** Move on to this stage by itself once every required task of this stage is done. */
  autoAdvance?: { to: string };
  /** An interconnection node: its tasks are handled by the downstream partner company. */
  interconnection?: boolean;
}

export interface PipelinePolicy {
  /** Stages may be moved backwards. */
  reversible: boolean;
  /** Stages may be skipped (a forward move past the next stage). */
  skippable: boolean;
  /** A stage already visited may be entered again by a forward move. */
  repeatable: boolean;
  /** A finished instance (success or failure stage) may be moved on or reopened. */
  reactivatable: boolean;
}

/** A filter over the trigger context (record fields, associated records, owner, acting user). */
export type FilterOp = 'eq' | 'ne' | 'in' | 'nin' | 'gt' | 'gte' | 'lt' | 'lte' | 'exists' | 'contains';
export type Filter =
  | { op: FilterOp; path: string; value?: unknown }
  | { and: Filter[] }
  | { or: Filter[] };

export interface PipelineDefinition {
  key: string;
  name: string;
  description?: string;
  /** lead, opportunity, account, contact, order, campaign, partner, or a custom type. */
  objectType: string;
  /** The single-select record field that mirrors the current stage. */
  stageField: string;
  scope?: { users?: string[]; departments?: string[]; roles?: string[] };
  trigger: { onCreate: boolean; manual: boolean; reinitiate: boolean };
  filter?: Filter;
  /** On: one instance per record. Off: one per contact, bound to its first record. */
  multipleRuns: boolean;
  stages: StageDef[];
  policy: PipelinePolicy;
  interconnection?: { enabled: boolean; partnerCompanyField?: string };
}

/** A published, immutable version of a definition. */
export interface PipelineVersion extends PipelineDefinition {
  version: number;
  publishedAt: string;
}

export interface Actor {
  kind: 'user' | 'system';
  userId: string;
  companyId?: string;
  roles: string[];
  department?: string;
  attributes?: Record<string, unknown>;
}

export const SYSTEM_ACTOR: Actor = { kind: 'system', userId: 'system', roles: [] };

/** The part of a record the rules look at. */
export interface RecordView {
  id: string;
  type: string;
  ownerId: string;
  creatorId?: string;
  /** The owning (sourcing) company. */
  companyId: string;
  partnerCompanyId?: string;
  contactId?: string;
  fields: Record<string, unknown>;
  archived: boolean;
  version: number;
  participants: { users: string[]; companies: string[] };
  privateFields: string[];
}

export interface StageVisit {
  stage: string;
  enteredAt: string;
  leftAt?: string;
  by: string;
  reason?: string;
  eventId: string;
}

export interface TaskState {
  id: string;
  key: string;
  stage: string;
  name: string;
  description?: string;
  kind: TaskKindDef;
  assignee: AssigneeDef;
  required: boolean;
  status: 'open' | 'done';
  createdAt: string;
  doneAt?: string;
  doneBy?: string;
}

export interface Deadline {
  at: string;
  to: string;
  source: 'after' | 'field';
}

/** Which reminders of one stage visit have fired, and which are still to fire before the deadline they were armed for. */
export interface ReminderState {
  /** The event id of the stage visit they belong to. */
  visit: string;
  deadlineAt: string;
  fired: string[];
  armed: string[];
}

export type InstanceStatus = 'running' | 'finished' | 'cancelled';

export interface InstanceState {
  instanceId: string;
  /** Identifies this instance's run chain (continue-as-new keeps it; a re-initiation gets a new one). */
  chainId: string;
  pipelineKey: string;
  pipelineName: string;
  version: number;
  objectType: string;
  recordId: string;
  status: InstanceStatus;
  stage: string;
  stageEnteredAt: string;
  history: StageVisit[];
  tasks: TaskState[];
  record: RecordView;
  deadline?: Deadline;
  /** The reminders of the current stage visit, armed for `deadline` (absent until a stage with reminders is entered). */
  reminders?: ReminderState;
  /** Sequence of events written by this instance; the idempotency key of each write. */
  seq: number;
  /**
   * Where the instance's record changes go: SELF_WRITER when it writes the
   * record itself, the record's writer workflow id when the record is shared
   * with other instances, absent until its first write of the record (which
   * then joins the record: see workflows/record-writer.ts).
   */
  recordWriter?: string;
}

/** InstanceState.recordWriter of an instance that writes its record itself. */
export const SELF_WRITER = 'self';

export interface MoveRequest {
  to: string;
  fields?: Record<string, unknown>;
  reason?: string;
}

export type RefusalCode =
  | 'not_allowed'
  | 'missing_fields'
  | 'missing_tasks'
  | 'reason_required'
  | 'unknown_stage'
  | 'same_stage'
  | 'final_stage'
  | 'not_reversible'
  | 'not_skippable'
  | 'not_repeatable'
  | 'invalid_transition'
  | 'not_running'
  | 'unknown_task'
  | 'task_done'
  | 'unexpected_fields'
  | 'outside_fields'
  | 'not_found'
  | 'not_finished'
  | 'not_reactivatable'
  | 'not_a_create_record_task'
  | 'wrong_record_type'
  | 'stale_version'
  | 'stage_field';

export type Check<T> = { ok: true; value: T } | { ok: false; code: RefusalCode; message: string; details?: Record<string, unknown> };
