import { allowedMoves, findStage, redactRecord, seesPrivateFields } from '../../workflows/domain';
import type { Actor, InstanceState, PipelineVersion, StageType } from '../../workflows/domain/types';
import type { InstanceProjection } from '../../activities/store';
import { opaqueInstanceId } from '../params';

/** A stage as every instance answer names it; without its definition, what the view knows of it. */
function presentStage(def: PipelineVersion | undefined, key: string, known?: { stageType: StageType; winRate?: number }) {
  const stage = def && findStage(def, key);
  return { key, name: stage?.name ?? key, type: stage?.type ?? known?.stageType ?? 'normal', winRate: stage?.winRate ?? known?.winRate ?? null };
}

const stageNameIn = (def: PipelineVersion | undefined) => (key: string) => (def && findStage(def, key)?.name) ?? key;

/** The forecast's numbers come from the record's `amount`, which may be private to the owning company. */
export function presentForecast(view: Pick<InstanceProjection, 'companyId' | 'amount' | 'weightedAmount'>, actor: Actor) {
  if (!seesPrivateFields(actor, view)) return {};
  return { ...(view.amount !== undefined ? { amount: view.amount } : {}), ...(view.weightedAmount !== undefined ? { weightedAmount: view.weightedAmount } : {}) };
}

/** An instance as one caller sees it: private fields removed, and the moves this caller may make. */
export function presentInstance(def: PipelineVersion, state: InstanceState, actor: Actor, nowMs = Date.now()) {
  const stageName = stageNameIn(def);
  return {
    id: opaqueInstanceId(state.instanceId),
    instanceId: state.instanceId,
    pipeline: { key: def.key, name: def.name, version: def.version },
    status: state.status,
    stage: presentStage(def, state.stage),
    stageEnteredAt: state.stageEnteredAt,
    record: redactRecord(state.record, actor),
    history: state.history.map((v) => ({
      ...v,
      stageName: stageName(v.stage),
      durationMs: (v.leftAt ? Date.parse(v.leftAt) : nowMs) - Date.parse(v.enteredAt),
    })),
    tasks: {
      open: state.tasks.filter((t) => t.status === 'open'),
      done: state.tasks.filter((t) => t.status === 'done'),
    },
    deadline: state.deadline ? { ...state.deadline, toName: stageName(state.deadline.to) } : null,
    // Also a finished instance's, where its pipeline reactivates: a move then reopens it.
    allowedMoves: allowedMoves(def, state, actor).map((key) => ({ key, name: stageName(key) })),
  };
}

/**
 * The Instance shape without history, tasks and allowed moves, and with only
 * its record's identity: what a list answers, from the view alone (the
 * pinned version comes from the process's cache, so no read per item).
 */
export function presentListed(def: PipelineVersion | undefined, view: InstanceProjection, actor: Actor) {
  const stageName = stageNameIn(def);
  return {
    id: opaqueInstanceId(view.instanceId),
    instanceId: view.instanceId,
    pipeline: { key: view.pipelineKey, name: def?.name ?? view.pipelineName, version: view.version },
    status: view.status,
    stage: presentStage(def, view.stage, view),
    stageEnteredAt: view.stageEnteredAt,
    record: {
      id: view.recordId,
      type: view.objectType,
      ownerId: view.ownerId,
      companyId: view.companyId,
      ...(view.partnerCompanyId !== undefined ? { partnerCompanyId: view.partnerCompanyId } : {}),
      ...(view.contactId !== undefined ? { contactId: view.contactId } : {}),
    },
    deadline: view.deadline ? { ...view.deadline, toName: stageName(view.deadline.to) } : null,
    ...presentForecast(view, actor),
    updatedAt: view.updatedAt,
  };
}

export type InstanceView = ReturnType<typeof presentInstance>;
