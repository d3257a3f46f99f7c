import { allowedMoves, findStage, redactRecord } from '../../workflows/domain';
import type { Actor, InstanceState, PipelineVersion } from '../../workflows/domain/types';
import { opaqueInstanceId } from '../params';

/** An instance as one caller sees it: private fields removed, and the moves this caller may make. */
export function presentInstance(def: PipelineVersion, state: InstanceState, actor: Actor, nowMs = Date.now()) {
  const stage = findStage(def, state.stage);
  const stageName = (key: string) => findStage(def, key)?.name ?? key;
  return {
    id: opaqueInstanceId(state.instanceId),
    instanceId: state.instanceId,
    pipeline: { key: def.key, name: def.name, version: def.version },
    status: state.status,
    stage: { key: state.stage, name: stage?.name ?? state.stage, type: stage?.type ?? 'normal', winRate: stage?.winRate ?? null },
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

export type InstanceView = ReturnType<typeof presentInstance>;
