import { Context } from '@temporalio/activity';
import type { Metrics } from '../lib/metrics';
import { inRevisionScope, isDuplicateKey, type Stores } from './store';
import { toRecordView } from './store/records';
import { planTriggers, type TriggerAction } from './triggers';
import type { Actor, RecordView } from '../workflows/domain/types';
import type { IgnoredTrigger, PipelineActivities } from '../workflows/activity-contract';
import type { StepWritten, TransitionInput } from '../workflows/transition';
import type { PlannedTriggers, StoredRecordInput } from '../workflows/trigger-types';
import { planWebhookDeliveries, webhookActivities, webhooksFor } from './webhooks';

/**
 * Activities, built from their dependencies so tests pass a real database of
 * their own. Each one is idempotent: every write is keyed by the event id the
 * workflow derived from its id and sequence. What they are is the workflows'
 * PipelineActivities: a signature that drifts from it does not compile.
 */
export function createActivities(stores: Stores, metrics?: Metrics): PipelineActivities {
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

  /**
   * Keyed by the record id the caller chose: a retry finds it written and moves
   * on. Answers whether this call wrote it.
   */
  async function createRecord(record: StoredRecordInput, lastEventId?: string): Promise<boolean> {
    try {
      await records.insert(record, lastEventId);
      return true;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      return false;
    }
  }

  /**
   * The triggers of the records a step created (not the instance's own), planned
   * here so the workflow starts their instances itself, with no trigger workflow
   * in between. The record is as this step wrote it (keyed by its id, so a retry wrote the same).
   */
  async function planLinked(input: TransitionInput, actor: Actor): Promise<PlannedTriggers[]> {
    const linked = (input.recordsCreated ?? []).filter((r) => r.id !== input.recordId);
    return Promise.all(
      // Its id was made for this step, whose workflow starts its instances only once this activity answers.
      linked.map(async (created) => ({ record: toRecordView(created), actions: await planTriggers(stores, created, actor, { fresh: true }) })),
    );
  }

  return scoped({
    async createRecord(record: StoredRecordInput): Promise<void> {
      await createRecord(record);
    },
    ...webhookActivities(stores, metrics),

    async planRecordTriggers(input: { recordId: string; actor: Actor }): Promise<{ record: RecordView; actions: TriggerAction[] }> {
      const record = await records.get(input.recordId);
      if (!record) throw new Error(`record ${input.recordId} does not exist`);
      return { record: toRecordView(record), actions: await planTriggers(stores, record, input.actor) };
    },

    /** A trigger that started nothing is still part of the audit trail (seed 002). */
    async recordIgnoredTrigger(input: IgnoredTrigger): Promise<void> {
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

    /**
     * Answers the webhook deliveries the step raises, for a delivery workflow,
     * and, run as a local activity, the audit event it wrote, so the step's
     * marker in the workflow's history says what happened (a remote activity's
     * input is in its scheduled event already).
     */
    async recordTransition(input: TransitionInput): Promise<StepWritten> {
      const at = input.event.at;
      // Read while the step writes (it needs none of the writes); a failed write still awaits it below.
      const hooks = webhooksFor(stores, input);
      hooks.catch(() => undefined);
      // A record the step created is written first; the instance's own record, when new, is written
      // already changed by the step (keyed by its event id), which leaves nothing to apply to it.
      let ownWritten = false;
      for (const created of input.recordsCreated ?? []) {
        const own = created.id === input.recordId;
        const wrote = await createRecord(created, own ? input.eventId : undefined);
        ownWritten ||= own && wrote;
      }
      // One write at a time: when many steps write at once (a storm of deadlines) they queue on the database
      // anyway, and parallel writes per step made each wait longer (timer-storm bench: 4.5x with them, 1.48x without).
      if (input.record && !ownWritten) await records.applyChange(input.recordId, input.eventId, input.record, at);
      await tasks.create(input.instance.instanceId, input.recordId, input.tasksCreated);
      if (input.taskCompleted) {
        const { id, doneAt, doneBy } = input.taskCompleted;
        await tasks.complete(id, doneAt, doneBy);
      }
      // The rollup's copy beside the event, not after it: one more insert per stage change, no longer a step.
      const [written] = await Promise.all([events.append(input.event), stores.rollup.note(input)]);
      if (written) count(input.event);
      await instances.save(input.instance);
      // After the record change: a webhook's payload holds the record as this step left it.
      const deliveries = await planWebhookDeliveries(stores, input, await hooks);
      const linked = input.planTriggersAs ? await planLinked(input, input.planTriggersAs) : undefined;
      // A local activity's input is not in history: only its marker says what the step wrote.
      const echo = Context.current().info.isLocal ? { event: input.event } : {};
      return { ...echo, deliveries, ...(linked ? { linked } : {}) };
    },
  } satisfies PipelineActivities);
}

/** Each activity execution is one request: its cached reads check the revision tokens once. */
function scoped<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [name, (...args: never[]) => inRevisionScope(() => fn(...args))]),
  ) as T;
}
