import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Actor, InstanceState, MoveRequest, PipelineVersion, RecordView } from './domain/types';
import type { PipelineRef } from './pipeline-ref';

/**
 * The pipeline-instance workflow's contract with its callers. The API imports
 * these definitions (never the workflow itself) to start, drive and read instances.
 */

export const PIPELINE_INSTANCE_WORKFLOW = 'pipelineInstance';
export const RECORD_TRIGGER_WORKFLOW = 'recordTrigger';

export interface PipelineInstanceInput {
  instanceId: string;
  /** The pinned version, by reference: a running instance never changes it. */
  pipeline?: PipelineRef;
  /**
   * The pinned version itself, as runs started by 1.0 carry it. Such a run
   * replays as it ran (its timers, its signals) until it continues as new,
   * which carries the reference instead.
   */
  definition?: PipelineVersion;
  record: RecordView;
  startedBy: Actor;
  idempotencyKey?: string;
  /**
   * Set when the record does not exist yet: the first step writes it, created at
   * `at`, together with its first stage. A record created through the API with
   * one pipeline to start needs no other durable step than the instance's own.
   */
  createsRecord?: { at: string };
  /**
   * The record was written for this instance with its writer set to it (a
   * record a step created, with this one pipeline to start): its first step
   * writes it directly instead of joining it (see record-writer.ts).
   */
  writesRecord?: boolean;
  /**
   * When the first stage is entered, set by a starter that knows it (the
   * start's own time): the starter then sets the search attributes of the
   * first state, deadline included, and the first step writes none.
   */
  entersAt?: string;
  /** Carried across continue-as-new; absent on the first run. */
  state?: InstanceState;
  /**
   * Set on a run started to reopen a finished instance (with `state`, its final
   * state): its first step is this move out of the outcome stage, checked as a
   * reactivation. Never carried across continue-as-new.
   */
  reopen?: MoveInput;
  /** Continue-as-new after this many updates (default 500; the server allows 2,000 per run). */
  maxUpdatesPerRun?: number;
}

export interface MoveInput {
  actor: Actor;
  move: MoveRequest;
  idempotencyKey?: string;
  /** Hands the record to another partner company with the move (a reassignment). */
  assignPartnerCompanyId?: string;
  /**
   * Creates a linked record in the same durable step as the move (a lead
   * converted into a new opportunity); its own pipelines then start.
   */
  createRecord?: { id: string; type: string; fields: Record<string, unknown> };
}

export interface CompleteTaskInput {
  actor: Actor;
  taskId: string;
  fields?: Record<string, unknown>;
  idempotencyKey?: string;
  /**
   * Creates the record of a create_record task in the same durable step that
   * completes it, as a move's `createRecord` does; its id becomes the task's
   * link. The caller picks the id (the same for every retry), and the instance
   * adds the back link to its record.
   */
  createRecord?: MoveInput['createRecord'];
}

export interface UpdateRecordInput {
  actor: Actor;
  fields: Record<string, unknown>;
  /** Optimistic concurrency: refused when the record has moved past this version. */
  expectedVersion?: number;
}

export interface CancelInput {
  actor: Actor;
  reason: string;
}

/**
 * What every mutating update returns: the step's event id and sequence. The
 * step wrote the instance's view and the record before answering, so the
 * caller reads them from MongoDB instead of carrying the state through history.
 */
export interface MutationResult {
  eventId: string;
  seq: number;
}

/** Sent by a shared record's writer workflow: from now on the instance's record changes go through `writer`. */
export interface ShareRecordInput {
  writer: string;
}

export const moveUpdate = defineUpdate<MutationResult, [MoveInput]>('move');
export const completeTaskUpdate = defineUpdate<MutationResult, [CompleteTaskInput]>('completeTask');
export const updateRecordUpdate = defineUpdate<MutationResult, [UpdateRecordInput]>('updateRecord');
export const cancelUpdate = defineUpdate<MutationResult, [CancelInput]>('cancel');
/** Answers once the initial stage is entered: sent with the start so the caller gets the first state in one round trip. */
export const startedUpdate = defineUpdate<MutationResult>('started');
/** Answers the instance's copy of the record, which the writer workflow takes as its own. */
export const shareRecordUpdate = defineUpdate<RecordView | undefined, [ShareRecordInput]>('shareRecord');
export const stateQuery = defineQuery<InstanceState>('state');
/** A record changed outside the instance (e.g. a re-fired trigger): take the new values, keep the stage. */
export const recordChangedSignal = defineSignal<[RecordView]>('recordChanged');
