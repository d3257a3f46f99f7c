import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Actor, RecordView } from '../workflows/domain/types';
import { instanceStartOptions } from '../workflows/instance-summary';
import { PIPELINE_INSTANCE_WORKFLOW, RECORD_TRIGGER_WORKFLOW } from '../workflows/messages';
import { plannedStartInput } from '../workflows/planned-start';
import type { RecordTriggerInput } from '../workflows/record-trigger';
import type { PlannedTriggers, TriggerAction } from '../workflows/trigger-types';
import { webhookDeliveriesWorkflowId, type WebhookDeliveriesInput } from '../workflows/webhook-deliveries';
import type { ActivityDeps } from './deps';

type Start = Extract<TriggerAction, { action: 'start' }>;

/** The instance a record created by a step is written by, when its plan is one plain start: the record is inserted with it as writer. */
export function soleStart(plan: PlannedTriggers | undefined): Start | undefined {
  const [only, ...rest] = plan?.actions ?? [];
  return only?.action === 'start' && rest.length === 0 ? only : undefined;
}

const started = (err: unknown) => err instanceof WorkflowExecutionAlreadyStartedError;

/**
 * Starts the workflow that sends `input`'s deliveries, under `workflowId`: a
 * second start under the same id (a retried activity, a request sent twice)
 * starts nothing. Every delivery runs in it: a step's, a security notice's,
 * a redelivery and a test event.
 */
export async function startWebhookDeliveries(client: Client, taskQueue: string, workflowId: string, input: WebhookDeliveriesInput): Promise<void> {
  await client.workflow.start('webhookDeliveries', { workflowId, taskQueue, args: [input], workflowIdReusePolicy: 'REJECT_DUPLICATE' }).catch((err: unknown) => {
    if (!started(err)) throw err;
  });
}

/**
 * The workflows a step raises, started by its activity, after its writes: the
 * pipelines of the records it created, and its webhook deliveries. Each start
 * is keyed by an id the step fixes, so a retried activity starts nothing
 * twice, and none of it passes through the instance's history.
 */
export function stepStarts({ temporal }: ActivityDeps) {
  const { client, taskQueue } = temporal;

  async function startPlanned(action: Start, record: RecordView, actor: Actor, writesRecord: boolean): Promise<void> {
    const input = plannedStartInput(action, record, actor, new Date().toISOString(), writesRecord);
    await client.workflow.start(PIPELINE_INSTANCE_WORKFLOW, {
      workflowId: action.instanceId,
      taskQueue,
      args: [input],
      workflowIdReusePolicy: action.allowReinitiation ? 'ALLOW_DUPLICATE' : 'REJECT_DUPLICATE',
      ...instanceStartOptions(action.definition, input),
    });
  }

  /** The record's durable trigger, which plans again and settles what a plain start could not. */
  async function startTrigger(recordId: string, actor: Actor): Promise<void> {
    const input: RecordTriggerInput = { kind: 'created', recordId, actor };
    await client.workflow
      .start(RECORD_TRIGGER_WORKFLOW, { workflowId: `trigger:${recordId}:created`, taskQueue, args: [input], workflowIdReusePolicy: 'REJECT_DUPLICATE' })
      .catch((err: unknown) => {
        if (!started(err)) throw err;
      });
  }

  return {
    /**
     * Plain starts are made here; anything else (an instance to update, a
     * contact's instance bound elsewhere), or a start that found its id
     * taken, goes to the record's trigger.
     */
    async linked(plans: PlannedTriggers[], actor: Actor): Promise<void> {
      for (const plan of plans) {
        if (plan.actions.length === 0) continue;
        const starts = plan.actions.filter((a): a is Start => a.action === 'start');
        if (starts.length === plan.actions.length) {
          try {
            for (const action of starts) await startPlanned(action, plan.record, actor, soleStart(plan) !== undefined);
            continue;
          } catch (err) {
            if (!started(err)) throw err;
          }
        }
        await startTrigger(plan.record.id, actor);
      }
    },

    /** The step's deliveries, by their outbox ids, in a workflow of their own that outlives the instance's run. */
    async webhooks(eventId: string, ids: string[]): Promise<void> {
      if (ids.length === 0) return;
      await startWebhookDeliveries(client, taskQueue, webhookDeliveriesWorkflowId(eventId), { eventId, deliveries: ids });
    },
  };
}
