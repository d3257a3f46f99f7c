import { defineUpdate } from '@temporalio/workflow';
import type { Actor, RecordView } from './domain/types';
import type { RecordChange } from './transition';

/**
 * The contract of a shared record's writer workflow (record-writer.ts) with
 * the steps of its instances and with the API. Every change carries the id
 * its sender writes it under, so a resent change is applied once.
 */

export const RECORD_WRITER_WORKFLOW = 'recordWriter';

/** One workflow per shared record, readable in the Web UI next to the record's instances. */
export const recordWriterId = (recordId: string) => `record:${recordId}`;

export interface RecordWriterState {
  /** The record as this writer stored it last: the one authoritative copy. */
  record: RecordView;
  /** The running instances whose record changes come here. */
  members: string[];
  /** The change ids applied most recently (a resend across continue-as-new is still applied once). */
  applied: string[];
}

export interface RecordWriterInput {
  recordId: string;
  /** Carried across continue-as-new. */
  state?: RecordWriterState;
}

export interface JoinRecordInput {
  instanceId: string;
  /** The joining step's event id. */
  eventId: string;
  change: RecordChange;
  /** The record's writer as the joining step found it: the instance that wrote it alone until now, or this workflow. */
  writer: string;
  /** The joining step is also the instance's last. */
  releases?: boolean;
}

/** The record as stored with the change, or `retry` when nobody writes the record any more: the step then takes it itself. */
export type JoinRecordAnswer = { record: RecordView } | { retry: true };

export interface WriteRecordInput {
  /** The instance whose step made the change. */
  from: string;
  eventId: string;
  change: RecordChange;
  /** The instance's last step: it leaves the record's writers. */
  releases?: boolean;
}

/** A PATCH of a shared record: checked against the writer's copy, which is always the current version. */
export interface UpdateSharedFieldsInput {
  actor: Pick<Actor, 'userId'>;
  fields: Record<string, unknown>;
  expectedVersion?: number;
  /** The request's own id (an update id), so a resent PATCH is applied once. */
  requestId: string;
}

export const joinRecordUpdate = defineUpdate<JoinRecordAnswer, [JoinRecordInput]>('join');
export const writeRecordUpdate = defineUpdate<RecordView, [WriteRecordInput]>('write');
export const updateSharedFieldsUpdate = defineUpdate<RecordView, [UpdateSharedFieldsInput]>('updateFields');
