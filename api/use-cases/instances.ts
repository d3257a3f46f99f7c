import { stateOf, type InstanceProjection, type InstanceView, type StoredRecord, type Stores } from '../../activities/store';
import { canSeeRecord, checkReactivation, checkScope, failedConditions, outsideFields, outsideFieldsMessage, reactivationTarget } from '../../workflows/domain';
import type { Actor, InstanceState, MoveRequest, PipelineVersion } from '../../workflows/domain/types';
import type { MoveInput, MutationResult } from '../../workflows/messages';
import { recordIdOf } from '../../workflows/domain/instances';
import { refOf } from '../../workflows/pipeline-ref';
import { enforce, isAdmin } from '../actor';
import { checkCancel, instanceScope } from '../tenancy';
import { keysetAnswer, keysetParams } from '../cursor';
import { opaqueInstanceId } from '../params';
import { AppError, notFound, refusal } from '../errors';
import type { InstanceListParams } from '../schemas/instances';
import type { InstanceClient } from '../instance-client';
import { toRecordView } from '../../activities/store/records';
import { filterContext } from '../../activities/triggers';
import { presentForecast, presentInstance } from './present';
import { presentListedAll } from './listed';
import { answersSummary } from '../instance-shape';
import { taskRecordInput, type TaskCompletionBody } from './task-records';

export interface InstanceDeps {
  stores: Stores;
  instances: InstanceClient;
}

/** Refused before the instance is asked, as 403: the caller's company does not own the fields it sent (checkMove refuses them too). */
function refuseOutsideFields(def: PipelineVersion, recordCompanyId: string, actor: Actor, move: MoveRequest): void {
  const fields = outsideFields(def, recordCompanyId, actor, move);
  if (fields.refused.length > 0) throw new AppError(403, 'forbidden', outsideFieldsMessage(move.to, fields), { fields: fields.refused });
}

/** Starting, reading and driving pipeline instances: one function per API operation. */
export function instanceUseCases({ stores, instances }: InstanceDeps) {
  const taskRecord = taskRecordInput(stores);

  /**
   * The instance's view, its record and its pinned version; 404 when the
   * caller may not see the record. Read from MongoDB only: no read of an
   * instance needs its workflow, a worker, or the run's history (which the
   * namespace's retention deletes).
   */
  async function visible(actor: Actor, instanceId: string, withRecord: true, recordId?: string): Promise<{ view: InstanceView; record: StoredRecord; def: PipelineVersion }>;
  async function visible(actor: Actor, instanceId: string): Promise<{ view: InstanceView; record?: StoredRecord; def: PipelineVersion }>;
  async function visible(actor: Actor, instanceId: string, withRecord = false, recordId?: string) {
    // An instance never changes its record: one already known is read beside the view.
    const [view, known] = await Promise.all([stores.instances.get(instanceId), recordId ? stores.records.get(recordId) : undefined]);
    if (!view) throw notFound('instance');
    // The owning company and the assigned partner are known from the view; only another caller (an invited
    // participant, or nobody) needs the record to tell.
    const uninvited = { companyId: view.companyId, partnerCompanyId: view.partnerCompanyId, participants: { users: [], companies: [] } };
    const seenAsParty = canSeeRecord(actor, uninvited);
    const [record, def] = await Promise.all([
      known?.id === view.recordId ? known : withRecord || !seenAsParty ? stores.records.get(view.recordId) : undefined,
      stores.pipelines.getVersion(view.companyId, view.pipelineKey, view.version),
    ]);
    if (!def || (withRecord && !record) || !(seenAsParty || (record && canSeeRecord(actor, record)))) throw notFound('instance');
    return { view, record, def };
  }

  /** The instance as the caller sees it, from its view and its record as stored (every field the caller may see). */
  async function answer(actor: Actor, instanceId: string, eventId?: string, recordId?: string) {
    const { view, record, def } = await visible(actor, instanceId, true, recordId);
    // The forecast numbers and updatedAt too: a list item is then exactly the Instance without its heavy members.
    const shown = { ...presentInstance(def, stateOf(view, toRecordView(record)), actor), ...presentForecast(view, actor), updatedAt: view.updatedAt };
    return eventId === undefined ? shown : { eventId, ...shown };
  }

  /** A record runs its own company's pipelines, whoever starts them. */
  async function publishedPipeline(companyId: string, key: string): Promise<PipelineVersion> {
    const def = await stores.pipelines.latestPublished(companyId, key);
    if (!def) throw new AppError(404, 'not_found', `no published pipeline "${key}"`);
    return def;
  }

  /** Starts the run that reopens a finished instance, once the rules say the move may be made; refusals come back as 409s. */
  async function reopen(def: PipelineVersion, state: InstanceState, request: MoveInput) {
    const check = checkReactivation(def, state, request.actor, request.move);
    if (!check.ok) throw refusal(check.code, check.message, check.details);
    const reopened = await instances.reopen(def, {
      instanceId: state.instanceId,
      pipeline: refOf(state.record.companyId, def),
      record: state.record,
      startedBy: request.actor,
      state,
      reopen: request,
    });
    return answer(request.actor, state.instanceId, reopened.eventId, state.recordId);
  }

  /** The final state of a finished instance, from its view and record: what a reopening run starts from. */
  async function finalState(view: InstanceView): Promise<InstanceState | undefined> {
    if (view.status !== 'finished') return undefined;
    const record = await stores.records.get(view.recordId);
    return record ? stateOf(view, toRecordView(record)) : undefined;
  }

  /**
   * A move of an instance: an update of its running run, or, for a finished
   * instance whose pipeline reactivates, the first step of a new run.
   */
  async function moveInstance(def: PipelineVersion, projection: InstanceProjection | InstanceView, request: MoveInput) {
    if (projection.status === 'finished' && def.policy.reactivatable) {
      const view = 'history' in projection ? projection : await stores.instances.get(projection.instanceId);
      const final = view && (await finalState(view));
      if (final) return reopen(def, final, request);
    }
    const result = await instances.move(projection.instanceId, request);
    return answer(request.actor, projection.instanceId, result.eventId, projection.recordId);
  }

  /** The move as an update of the instance's run, answered; undefined when there is no run to take it (closed, or none). */
  async function moveRunning(instanceId: string, request: MoveInput) {
    let result: MutationResult;
    try {
      result = await instances.move(instanceId, request);
    } catch (err) {
      if (err instanceof AppError && (err.code === 'not_running' || err.code === 'not_found')) return undefined;
      throw err;
    }
    return answer(request.actor, instanceId, result.eventId, recordIdOf(instanceId));
  }

  return {
    moveInstance,
    moveRunning,

    async start(actor: Actor, body: { pipelineKey: string; recordId: string }, idempotencyKey?: string) {
      // The record first: its company names the pipeline, and a caller who may not see it learns nothing of that company's.
      const record = await stores.records.get(body.recordId);
      if (!record || !canSeeRecord(actor, record)) throw notFound('record');
      const def = await publishedPipeline(record.companyId, body.pipelineKey);
      if (!def.trigger.manual) throw new AppError(409, 'manual_start_disabled', `${def.name} does not allow manual starts`);
      const scope = checkScope(def, actor);
      if (!scope.ok) throw new AppError(403, 'out_of_scope', scope.message);
      if (record.type !== def.objectType) {
        throw new AppError(422, 'wrong_object_type', `${def.name} runs on ${def.objectType} records, not ${record.type}`);
      }
      // Seed 000: a manual start (and a re-initiation) runs only on a record the filter lets through, as a trigger would.
      const failed = failedConditions(def.filter, await filterContext(stores, record, actor, [def.filter]));
      if (failed.length > 0) {
        const conditions = failed.map((c) => `${c.path} ${c.op}`).join(', ');
        throw new AppError(409, 'filter_not_matched', `the record does not match the filter of ${def.name}: ${conditions}`, { failed });
      }
      const { instanceId, existing: previous } = await stores.instanceSlot(def, record);
      if (previous && previous.status !== 'running' && !def.trigger.reinitiate) {
        throw new AppError(409, 'reinitiation_disabled', `${def.name} does not allow starting a ${previous.status} instance again`);
      }
      const input = { instanceId, pipeline: refOf(record.companyId, def), record: toRecordView(record), startedBy: actor, idempotencyKey, entersAt: new Date().toISOString() };
      await instances.start(def, input, { allowReinitiation: def.trigger.reinitiate });
      return answer(actor, instanceId);
    },

    get: (actor: Actor, instanceId: string) => answer(actor, instanceId),

    /** A page in the Instance shape with shape=instance; in the deprecated summary form (stage a string) otherwise, for this release. */
    async list(actor: Actor, query: InstanceListParams) {
      // `shape` is how a page is written, not which instances it holds: a cursor goes on in either shape.
      const { limit, cursor, offset, shape, ...filters } = query;
      const page = { limit, cursor, offset };
      const { instances: found, next } = await stores.instances.page({ ...filters, visibleTo: instanceScope(actor) }, keysetParams(page, filters));
      if (!answersSummary(shape)) return keysetAnswer(await presentListedAll(stores, found, actor), next, page, filters);
      const shown = found.map(({ amount, weightedAmount, ...rest }) => ({ id: opaqueInstanceId(rest.instanceId), ...rest, ...presentForecast({ ...rest, amount, weightedAmount }, actor) }));
      return keysetAnswer(shown, next, page, filters);
    },

    /**
     * Sent to the instance at once: its validator refuses a caller who may not
     * see the record (404) or fields the caller's company does not own (403),
     * as the API did when it read first. Only a run that is not there (closed,
     * or deleted with the namespace's retention) sends the API to the view: a
     * finished instance whose pipeline reactivates is reopened.
     */
    async move(actor: Actor, instanceId: string, move: MoveRequest, idempotencyKey?: string) {
      const request = { actor, move, idempotencyKey };
      const moved = await moveRunning(instanceId, request);
      if (moved) return moved;
      const { def, view } = await visible(actor, instanceId);
      refuseOutsideFields(def, view.companyId, actor, move);
      return moveInstance(def, view, request);
    },

    async completeTask(actor: Actor, instanceId: string, taskId: string, body: TaskCompletionBody, idempotencyKey?: string) {
      const extra = await taskRecord(actor, instanceId, taskId, body);
      let result: MutationResult;
      try {
        result = await instances.completeTask(instanceId, { actor, taskId, fields: body.fields, idempotencyKey, ...extra });
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        // The run keeps only the latest done task of a stage and key; the tasks collection tells one done earlier from an unknown one.
        const earlier = err.code === 'unknown_task' ? await stores.tasks.get(taskId) : undefined;
        if (earlier?.instanceId === instanceId && earlier.status === 'done') throw new AppError(409, 'task_done', `Task ${earlier.name} is already done.`);
        // No run to ask: the view says whether the caller may know of the instance at all.
        if (err.code === 'not_running' || err.code === 'not_found') await visible(actor, instanceId);
        throw err;
      }
      return answer(actor, instanceId, result.eventId, recordIdOf(instanceId));
    },

    /**
     * Reopens an instance that reached an outcome stage, when the pipeline
     * allows it: a new run from the final state, whose first step moves it out.
     */
    async reactivate(actor: Actor, instanceId: string, body: { to?: string; reason?: string }, idempotencyKey?: string) {
      const { def, view, record } = await visible(actor, instanceId, true);
      const state = view.status === 'finished' ? stateOf(view, toRecordView(record)) : undefined;
      if (!state) throw new AppError(409, 'not_finished', 'only an instance in a won, lost or other outcome stage can be reactivated');
      const move = { to: body.to ?? reactivationTarget(def, state), reason: body.reason ?? 'reactivated' };
      return reopen(def, state, { actor, move, idempotencyKey });
    },
    async cancel(actor: Actor, instanceId: string, reason: string) {
      if (!isAdmin(actor)) throw new AppError(403, 'forbidden', 'only an admin may cancel an instance');
      const { view } = await visible(actor, instanceId);
      enforce(checkCancel(actor, view));
      const result = await instances.cancel(instanceId, { actor, reason });
      return answer(actor, instanceId, result.eventId, view.recordId);
    },

    async events(actor: Actor, instanceId: string) {
      const { view } = await visible(actor, instanceId);
      // A complete view names every chain and its last sequence, which give the events' ids.
      const chained = view.complete && Object.keys(view.chains).length > 0;
      return { items: chained ? await stores.events.forChains(instanceId, view.chains) : await stores.events.forInstance(instanceId) };
    },
  };
}

export type InstanceUseCases = ReturnType<typeof instanceUseCases>;
