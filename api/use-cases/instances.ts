import type { Stores } from '../../activities/store';
import { canSeeRecord, checkReactivation, checkScope, failedConditions, outsideFields, outsideFieldsMessage, reactivationTarget, seesPrivateFields } from '../../workflows/domain';
import type { Actor, InstanceState, MoveRequest, PipelineVersion } from '../../workflows/domain/types';
import type { MoveInput } from '../../workflows/messages';
import type { InstanceProjection } from '../../workflows/transition';
import { enforce, isAdmin } from '../actor';
import { checkCancel, instanceScope } from '../tenancy';
import { AppError, notFound } from '../errors';
import type { InstanceClient } from '../instance-client';
import { toRecordView } from '../../activities/store/records';
import { filterContext } from '../../activities/triggers';
import { presentInstance } from './present';
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
   * The instance and its pinned version; 404 when the caller may not see its
   * record. The owning company and the assigned partner are known from the
   * instance's projection; only another caller (an invited participant, or
   * nobody) costs a read of the record.
   */
  async function visible(actor: Actor, instanceId: string) {
    const projection = await stores.instances.get(instanceId);
    if (!projection) throw notFound('instance');
    const uninvited = { ...projection, participants: { users: [], companies: [] } };
    const [seen, def] = await Promise.all([
      canSeeRecord(actor, uninvited) || stores.records.get(projection.recordId).then((r) => r !== undefined && canSeeRecord(actor, r)),
      stores.pipelines.getVersion(projection.companyId, projection.pipelineKey, projection.version),
    ]);
    if (!seen || !def) throw notFound('instance');
    return { projection, def };
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
    if (!check.ok) throw new AppError(409, check.code, check.message);
    const reopened = await instances.reopen({
      instanceId: state.instanceId,
      definition: def,
      record: state.record,
      startedBy: request.actor,
      state,
      reopen: request,
    });
    const eventId = reopened.history.at(-1)?.eventId ?? '';
    return { eventId, ...presentInstance(def, reopened, request.actor) };
  }

  /**
   * A move of an instance: an update of its running run, or, for a finished
   * instance whose pipeline reactivates, the first step of a new run.
   */
  async function moveInstance(def: PipelineVersion, projection: InstanceProjection, request: MoveInput) {
    const final = projection.status === 'finished' && def.policy.reactivatable ? await instances.finalState(projection.instanceId) : undefined;
    if (final) return reopen(def, final, request);
    const result = await instances.move(projection.instanceId, request);
    return { eventId: result.eventId, ...presentInstance(def, result.state, request.actor) };
  }

  return {
    moveInstance,

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
      const state = await instances.start(
        { instanceId, definition: def, record: toRecordView(record), startedBy: actor, idempotencyKey, entersAt: new Date().toISOString() },
        { allowReinitiation: def.trigger.reinitiate },
      );
      return presentInstance(def, state, actor);
    },

    async get(actor: Actor, instanceId: string) {
      const { def } = await visible(actor, instanceId);
      return presentInstance(def, await instances.state(instanceId), actor);
    },

    async list(actor: Actor, query: { pipelineKey?: string; stage?: string; status?: InstanceProjection['status']; limit: number; offset: number }) {
      const { limit, offset, ...filter } = query;
      const items = await stores.instances.list(
        { ...filter, visibleTo: instanceScope(actor) },
        { limit, skip: offset },
      );
      // The forecast numbers come from the record's `amount`, which may be private to the owning company.
      const shown = items.map(({ amount, weightedAmount, ...rest }) => (seesPrivateFields(actor, rest) ? { ...rest, amount, weightedAmount } : rest));
      return { items: shown, limit, offset };
    },

    async move(actor: Actor, instanceId: string, move: MoveRequest, idempotencyKey?: string) {
      const { def, projection } = await visible(actor, instanceId);
      refuseOutsideFields(def, projection.companyId, actor, move);
      return moveInstance(def, projection, { actor, move, idempotencyKey });
    },

    async completeTask(actor: Actor, instanceId: string, taskId: string, body: TaskCompletionBody, idempotencyKey?: string) {
      const { def } = await visible(actor, instanceId);
      const extra = await taskRecord(actor, instanceId, taskId, body);
      const result = await instances.completeTask(instanceId, { actor, taskId, fields: body.fields, idempotencyKey, ...extra });
      return { eventId: result.eventId, ...presentInstance(def, result.state, actor) };
    },

    /**
     * Reopens an instance that reached an outcome stage, when the pipeline
     * allows it: a new run from the final state, whose first step moves it out.
     */
    async reactivate(actor: Actor, instanceId: string, body: { to?: string; reason?: string }, idempotencyKey?: string) {
      const { def } = await visible(actor, instanceId);
      const state = await instances.finalState(instanceId);
      if (!state) throw new AppError(409, 'not_finished', 'only an instance in a won, lost or other outcome stage can be reactivated');
      const move = { to: body.to ?? reactivationTarget(def, state), reason: body.reason ?? 'reactivated' };
      return reopen(def, state, { actor, move, idempotencyKey });
    },
    async cancel(actor: Actor, instanceId: string, reason: string) {
      if (!isAdmin(actor)) throw new AppError(403, 'forbidden', 'only an admin may cancel an instance');
      const { def, projection } = await visible(actor, instanceId);
      enforce(checkCancel(actor, projection));
      const result = await instances.cancel(instanceId, { actor, reason });
      return { eventId: result.eventId, ...presentInstance(def, result.state, actor) };
    },

    async events(actor: Actor, instanceId: string) {
      await visible(actor, instanceId);
      return { items: await stores.events.forInstance(instanceId) };
    },
  };
}

export type InstanceUseCases = ReturnType<typeof instanceUseCases>;
