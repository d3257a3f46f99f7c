import type { Metrics } from '../lib/metrics';
import { isDuplicateKey, type Stores } from './store';
import { toRecordView } from './store/records';
import { planTriggers, type TriggerAction } from './triggers';
import type { Actor, RecordView } from '../workflows/domain/types';
import type { WebhookDelivery } from '../workflows/domain/webhooks';
import type { TransitionInput } from '../workflows/transition';
import type { StoredRecordInput } from '../workflows/trigger-types';
import { planWebhookDeliveries, webhookActivities } from './webhooks';

/**
 * Activities, built from their dependencies so tests pass a real database of
 * their own. Each one is idempotent: every write is keyed by the event id the
 * workflow derived from its id and sequence.
 */
export function createActivities(stores: Stores, metrics?: Metrics) {
  const { records, events, instances, tasks } = stores;

  /** Counted once per event: a retried activity finds its event written and counts nothing. */
  function count(event: TransitionInput['event']): void {
    if (!metrics) return;
    const pipeline = event.pipelineKey;
    if (event.kind === 'deadline_fired') metrics.deadlinesFired.inc({ pipeline });
    if (event.kind === 'task_completed') metrics.tasksCompleted.inc({ pipeline });
    if (['started', 'moved', 'deadline_fired', 'auto_advanced'].includes(event.kind)) {
      metrics.movesApplied.inc({ pipeline, kind: event.kind });
    }
  }

  /** Keyed by the record id the caller chose: a retry finds it written and moves on. */
  async function createRecord(record: StoredRecordInput): Promise<void> {
    try {
      await records.insert(record);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }

  return {
    createRecord,
    ...webhookActivities(stores, metrics),

    async planRecordTriggers(input: { recordId: string; actor: Actor }): Promise<{ record: RecordView; actions: TriggerAction[] }> {
      const record = await records.get(input.recordId);
      if (!record) throw new Error(`record ${input.recordId} does not exist`);
      return { record: toRecordView(record), actions: await planTriggers(stores, record, input.actor) };
    },

    /** A trigger that started nothing is still part of the audit trail (seed 002). */
    async recordIgnoredTrigger(input: {
      eventId: string;
      instanceId: string;
      recordId: string;
      pipelineKey: string;
      reason: string;
      actor: Actor;
    }): Promise<void> {
      const written = await events.append({
        eventId: input.eventId,
        instanceId: input.instanceId,
        recordId: input.recordId,
        pipelineKey: input.pipelineKey,
        kind: 'trigger_ignored',
        actor: { kind: input.actor.kind, userId: input.actor.userId, companyId: input.actor.companyId },
        at: new Date().toISOString(),
        reason: input.reason,
      });
      if (written) metrics?.triggersIgnored.inc({ pipeline: input.pipelineKey });
    },

    /** Answers the webhook deliveries the step raises, for the workflow to hand to a delivery workflow. */
    async recordTransition(input: TransitionInput): Promise<WebhookDelivery[]> {
      const at = input.event.at;
      for (const created of input.recordsCreated ?? []) await createRecord(created);
      if (input.record) await records.applyChange(input.recordId, input.eventId, input.record, at);
      await tasks.create(input.instance.instanceId, input.recordId, input.tasksCreated);
      if (input.taskCompleted) {
        const { id, doneAt, doneBy } = input.taskCompleted;
        await tasks.complete(id, doneAt, doneBy);
      }
      if (await events.append(input.event)) count(input.event);
      await instances.save(input.instance);
      return planWebhookDeliveries(stores, input);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
