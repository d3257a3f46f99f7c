import type { Actor, RecordView } from './domain/types';
import type { PipelineRef } from './pipeline-ref';
import type { DeliveryStatus, WebhookDelivery } from './domain/webhooks';
import type { RecordChange, StepWritten, TransitionInput } from './transition';
import type { StoredRecordInput, TriggerAction } from './trigger-types';

/** A trigger that started nothing is still part of the audit trail (seed 002). */
export interface IgnoredTrigger {
  eventId: string;
  instanceId: string;
  recordId: string;
  pipelineKey: string;
  reason: string;
  actor: Actor;
}

/**
 * The activities the workflows schedule, declared on the workflow side: the
 * activities depend on the workflows' rules and types, so the workflows
 * depending back on the activities would make an import circle.
 * createActivities is checked against it: an activity whose signature drifts
 * is a compile error, not a failure at run time.
 */
export interface PipelineActivities {
  /** Keyed by the id the caller chose, so a retry writes nothing more. */
  createRecord: (record: StoredRecordInput) => Promise<void>;
  /**
   * Retried by Temporal until the receiver accepts or refuses it for good (a
   * WEBHOOK_REJECTED failure). Given the delivery's id, its payload is read
   * from the outbox; 1.0's steps passed the whole delivery.
   */
  deliverWebhook: (delivery: string | WebhookDelivery) => Promise<DeliveryStatus>;
  /**
   * One try of a delivery on the published schedule (domain/webhook-retry.ts):
   * `nextInMs` says how long the workflow waits before the next, none that it is over.
   */
  attemptWebhook: (input: { delivery: string | WebhookDelivery; attempt: number }) => Promise<{ status: DeliveryStatus; nextInMs?: number }>;
  /** The pinned version a run names, from the worker's cache of immutable versions, packed (see pinned-version.ts). */
  pipelineVersion: (ref: PipelineRef) => Promise<Uint8Array>;
  planRecordTriggers: (input: { recordId: string; actor: Actor }) => Promise<{ record: RecordView; actions: TriggerAction[] }>;
  recordIgnoredTrigger: (input: IgnoredTrigger) => Promise<void>;
  /** Run remote or local (see step-writer.ts); every write is keyed by the step's event id. */
  recordTransition: (input: TransitionInput) => Promise<StepWritten>;
  /** A shared record's writer takes the record over (see record-writer.ts): the copy of the instance that wrote it alone, or the stored one. */
  takeSharedRecord: (input: { recordId: string; writer: string; by: string }) => Promise<{ record?: RecordView; member?: string }>;
  writeSharedRecord: (input: { recordId: string; writer: string; eventId: string; change: RecordChange; notify: string[]; record: RecordView }) => Promise<void>;
  releaseSharedRecord: (input: { recordId: string; writer: string }) => Promise<void>;
}
