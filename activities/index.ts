import { inRevisionScope, isDuplicateKey } from './store';
import { toRecordView } from './store/records';
import { planTriggers, type TriggerAction } from './triggers';
import type { Actor, RecordView } from '../workflows/domain/types';
import { packVersion } from '../workflows/pinned-version';
import type { IgnoredTrigger, PipelineActivities } from '../workflows/activity-contract';
import type { PipelineRef } from '../workflows/pipeline-ref';
import type { StoredRecordInput } from '../workflows/trigger-types';
import type { ActivityDeps } from './deps';
import { recordRoutes } from './record-routes';
import { stepActivity } from './step';
import { webhookActivities } from './webhooks';
import { recordCreatedNotices } from './record-created';

export type { ActivityDeps } from './deps';

/**
 * Activities, built from their dependencies so tests pass a real database of
 * their own. Each one is idempotent: every write is keyed by the event id the
 * workflow derived from its id and sequence. What they are is the workflows'
 * PipelineActivities: a signature that drifts from it does not compile.
 */
export function createActivities(deps: ActivityDeps): PipelineActivities {
  const { stores, metrics } = deps;
  const { records, events } = stores;
  // Versions are cached whole by the store; each is packed once too.
  const packed = new WeakMap<object, Uint8Array>();
  const recordsCreated = recordCreatedNotices(stores, deps.temporal);

  return scoped({
    /**
     * Keyed by the record id the caller chose, so a retry writes nothing more;
     * record.created is raised after the insert either way, so a retry of an
     * attempt that died in between raises it then. The caller created it.
     */
    async createRecord(record: StoredRecordInput): Promise<void> {
      try {
        await records.insert(record);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      await recordsCreated([record], { userId: record.creatorId ?? record.ownerId, companyId: record.companyId });
    },
    ...webhookActivities(stores, metrics),
    ...recordRoutes(deps).activities,

    /** Versions never change: each is read from MongoDB once per worker, and the run's marker pins it. */
    async pipelineVersion(ref: PipelineRef): Promise<Uint8Array> {
      const def = await stores.pipelines.getVersion(ref.companyId, ref.key, ref.version);
      if (!def) throw new Error(`pipeline ${ref.key} v${ref.version} of ${ref.companyId} does not exist`);
      let bytes = packed.get(def);
      if (!bytes) packed.set(def, (bytes = packVersion(def)));
      return bytes;
    },

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

    recordTransition: stepActivity(deps),
  } satisfies PipelineActivities);
}

/** Each activity execution is one request: its cached reads check the revision tokens once. */
function scoped<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [name, (...args: never[]) => inRevisionScope(() => fn(...args))]),
  ) as T;
}
