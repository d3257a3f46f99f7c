import { Context } from '@temporalio/activity';
import { computeDeadline } from '../workflows/domain/deadlines';
import { fingerprint } from '../workflows/fingerprint';
import type { PipelineVersion, RecordView } from '../workflows/domain/types';
import { enteredVisit, stepIds, type AuditEvent, type StepWritten, type TransitionInput, type ViewChange } from '../workflows/transition';
import type { PlannedTriggers, StoredRecordInput } from '../workflows/trigger-types';
import type { ActivityDeps } from './deps';
import { fromLegacyInput, isLegacyInput, type LegacyTransitionInput } from './legacy-step';
import { recordRoutes, type RecordWritten } from './record-routes';
import { isDuplicateKey } from './store';
import { toRecordView } from './store/records';
import { soleStart, stepStarts } from './step-starts';
import { planTriggers } from './triggers';
import { planWebhookDeliveries, webhooksFor, type WebhookSource } from './webhooks';
import { feedOf } from './store/event-feed';
import { recordCreatedNotices } from './record-created';

/** The view's deadline as the instance computes it from the record its writer stored. */
function withDeadline(view: ViewChange, def: PipelineVersion, record: RecordView): ViewChange {
  const { deadline: _planned, ...rest } = view;
  const deadline = computeDeadline(def, view.stage, { ...record, fields: { ...record.fields, [def.stageField]: view.stage } }, view.stageEnteredAt);
  return deadline ? { ...rest, deadline } : rest;
}

/**
 * Writes one step of an instance, every write keyed by its event id so a
 * retried activity writes nothing twice: its audit event and rollup fact, the
 * records it creates, its record change, its tasks, and the instance's view
 * last (its sequence is what says the step is written). Then it starts what
 * the step raised: its webhook deliveries, from an outbox, and the pipelines
 * of the records it created.
 */
export function stepActivity(deps: ActivityDeps) {
  const { stores, metrics } = deps;
  const routes = recordRoutes(deps);
  const starts = stepStarts(deps);
  const recordsCreated = recordCreatedNotices(stores, deps.temporal);

  /** Counted once per event: a retried activity finds its event written and counts nothing. */
  function count(event: AuditEvent): void {
    if (!metrics) return;
    const pipeline = event.pipelineKey;
    if (event.kind === 'deadline_fired') metrics.deadlinesFired.inc({ pipeline });
    if (event.kind === 'task_completed') metrics.tasksCompleted.inc({ pipeline });
    if (['started', 'moved', 'deadline_fired', 'auto_advanced'].includes(event.kind)) {
      metrics.movesApplied.inc({ pipeline, kind: event.kind });
    }
  }

  /** Keyed by the record id the caller chose: a retry finds it written and moves on. Answers whether this call wrote it. */
  async function insert(record: StoredRecordInput, lastEventId: string | undefined, writer: string | undefined): Promise<boolean> {
    try {
      await stores.records.insert(record, lastEventId, writer);
      return true;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      return false;
    }
  }

  async function pinned(input: TransitionInput): Promise<PipelineVersion> {
    const { companyId, key, version } = input.pipeline;
    const def = await stores.pipelines.getVersion(companyId, key, version);
    if (!def) throw new Error(`pipeline ${key} v${version} of ${companyId} does not exist`);
    return def;
  }

  /**
   * The triggers of the records a step created (not the instance's own),
   * planned before they are written: their ids were made for this step, so no
   * instance is keyed by them yet, and a plan of one start makes that
   * instance the record's writer from its insert on.
   */
  async function planLinked(input: TransitionInput): Promise<PlannedTriggers[]> {
    const actor = input.startLinkedAs;
    if (!actor) return [];
    const linked = (input.recordsCreated ?? []).filter((r) => r.id !== input.recordId);
    return Promise.all(linked.map(async (created) => ({ record: toRecordView(created), actions: await planTriggers(stores, created, actor, { fresh: true }) })));
  }

  return async function recordTransition(sent: TransitionInput | LegacyTransitionInput): Promise<StepWritten> {
    const input = isLegacyInput(sent) ? fromLegacyInput(sent) : sent;
    const { instanceId, chainId } = stepIds(input.eventId);
    const at = input.event.at;
    const def = await pinned(input);
    const event: AuditEvent = { ...input.event, eventId: input.eventId, instanceId: instanceId, recordId: input.recordId, pipelineKey: input.pipeline.key };
    const source: WebhookSource = {
      event,
      objectType: def.objectType,
      stage: input.view.stage,
      companyId: input.pipeline.companyId,
      partnerCompanyId: input.view.parties.partnerCompanyId,
      finished: input.view.status === 'finished',
    };
    // Read while the step writes (it needs none of the writes); a failed write still awaits it below.
    const hooks = webhooksFor(stores, source);
    hooks.catch(() => undefined);
    const local = Context.current().info.isLocal;
    // A local activity's input is not in history: its marker keeps a fingerprint of it, for the golden replay.
    const digest = local ? { digest: fingerprint(sent) } : {};
    // The audit event first, keyed by the step's event id, with the rollup's copy beside it. A new event says
    // no later step of the instance can have been written (the next starts only once this one answers). An
    // event written already is a retry: it carries on, unless a later step overtook it (an attempt the
    // server gave up on, finishing late), which then writes nothing more.
    const instance = { companyId: input.pipeline.companyId, partnerCompanyId: input.view.parties.partnerCompanyId, stage: input.view.stage, seq: input.view.seq };
    const [appended] = await Promise.all([stores.events.append(event), stores.rollup.note({ event, instance })]);
    if (appended) count(event);
    const mark = appended ? Promise.resolve(null) : stores.instances.mark(instanceId);
    const stood = await mark;
    if (stood && stood.chainId === chainId && stood.seq > input.view.seq) return digest;
    const linked = await planLinked(input);
    // A record the step created is written first; the instance's own record, when new, is written already
    // changed by the step (keyed by its event id) with the instance as its writer, which leaves nothing to apply to it.
    let ownWritten = false;
    for (const created of input.recordsCreated ?? []) {
      const own = created.id === input.recordId;
      const writer = own ? (input.releasesRecord ? undefined : instanceId) : soleStart(linked.find((l) => l.record.id === created.id))?.instanceId;
      const wrote = await insert(created, own ? input.eventId : undefined, writer);
      ownWritten ||= own && wrote;
    }
    // One write at a time: when many steps write at once (a storm of deadlines) they queue on the database
    // anyway, and parallel writes per step made each wait longer (timer-storm bench: 4.5x with them, 1.48x without).
    let written: RecordWritten = {};
    if (input.record && !ownWritten) written = await routes.write(input, input.record);
    else if (!input.record && input.releasesRecord) written = await routes.release(input);
    // A shared record's writer stored the change on the record as others left it: the deadline follows it
    // (the workflow computes the same from this answer).
    const view = written.record && input.view.status === 'running' ? withDeadline(input.view, def, written.record) : input.view;
    const { tasksCreated, taskDone } = view;
    if (tasksCreated?.length) await stores.tasks.create(instanceId, input.recordId, tasksCreated);
    if (taskDone) await stores.tasks.complete(taskDone.id, taskDone.doneAt, taskDone.doneBy);
    const visit = input.view.entered ? enteredVisit(input) : undefined;
    await stores.instances.applyStep({ instanceId, chainId, ...(visit ? { visit } : {}), recordId: input.recordId, pipeline: input.pipeline, def, change: view, at }, mark);
    // After the record change: a webhook's payload holds the record as this step left it.
    const deliveries = await planWebhookDeliveries(stores, source, await hooks);
    await stores.webhooks.putOutbox(deliveries, at);
    await stores.eventFeed.append(feedOf(await hooks, deliveries), new Date());
    await starts.webhooks(input.eventId, deliveries.map((d) => d.id));
    // Every record the step created, whether this attempt or an earlier one wrote it: an attempt that died
    // between the insert and here is retried, and raises it then (the same ids: still one event).
    await recordsCreated(input.recordsCreated ?? [], input.event.actor);
    if (input.startLinkedAs) await starts.linked(linked, input.startLinkedAs);
    return { ...written, ...digest };
  };
}
