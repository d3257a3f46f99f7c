import type { Actor, Check, InstanceState, MoveRequest, PipelineDefinition, RecordView, RefusalCode, StageDef } from './types';
import { isEmptyValue } from './values';
import { canSeeRecord, describeWho, matchesWho } from './who';

export interface MovePlan {
  from: string;
  to: string;
  direction: 'forward' | 'backward';
}

export function stageIndex(def: PipelineDefinition, key: string): number {
  return def.stages.findIndex((stage) => stage.key === key);
}

export function findStage(def: PipelineDefinition, key: string): StageDef | undefined {
  return def.stages.find((stage) => stage.key === key);
}

export function initialStage(def: PipelineDefinition): StageDef {
  const stage = def.stages.find((s) => s.initial) ?? def.stages[0];
  if (!stage) throw new Error(`pipeline "${def.key}" has no stages`);
  return stage;
}

export function isFinalStage(stage: StageDef): boolean {
  return stage.type !== 'normal';
}

/**
 * Entering an outcome stage finishes the instance, whatever the reactivation
 * policy: its run completes with the final state as its result, so the Web UI
 * and the lists show won deals as done. Reactivation starts a new run from
 * that state (see checkReactivation).
 */
export function isTerminalStage(def: PipelineDefinition, key: string): boolean {
  const stage = findStage(def, key);
  return stage !== undefined && isFinalStage(stage);
}

function refuse(code: RefusalCode, message: string, details?: Record<string, unknown>): Check<never> {
  return details ? { ok: false, code, message, details } : { ok: false, code, message };
}

/**
 * What the instance checks of a caller before the rules of a move or a task:
 * one who may not see the record learns nothing of the instance (the API asks
 * the instance without reading it first, so its validator answers as the API
 * would, with not_found), and fields the caller's company does not own are
 * refused before any other rule (the API's 403).
 */
export function checkCaller(def: PipelineDefinition, state: Pick<InstanceState, 'record'>, actor: Actor, move?: MoveRequest): Check<true> {
  if (!canSeeRecord(actor, state.record)) return refuse('not_found', 'instance not found');
  const outside = move ? outsideFields(def, state.record.companyId, actor, move) : { refused: [], allowed: [] };
  if (move && outside.refused.length) return refuse('outside_fields', outsideFieldsMessage(move.to, outside), { fields: outside.refused });
  return { ok: true, value: true };
}

/** The checks that do not depend on what the move carries: status, policy and who. */
function checkStructure(def: PipelineDefinition, state: InstanceState, actor: Actor, to: string): Check<MovePlan> {
  if (state.status !== 'running') return refuse('not_running', `The pipeline instance is ${state.status}.`, { status: state.status });
  const target = findStage(def, to);
  if (!target) return refuse('unknown_stage', `"${to}" is not a stage of pipeline ${def.name}.`, { stage: to, stages: def.stages.map((s) => s.key) });
  const current = findStage(def, state.stage);
  const currentName = current?.name ?? state.stage;
  if (to === state.stage) return refuse('same_stage', `The record is already in stage ${target.name}.`, { stage: to });
  const sources = target.rules?.from;
  if (sources && !sources.includes(state.stage)) {
    const names = sources.map((key) => findStage(def, key)?.name ?? key).join(' or ');
    return refuse('invalid_transition', `${target.name} can only be entered from ${names}, not from ${currentName}.`, { from: state.stage, to, allowed: sources });
  }
  if (current && isFinalStage(current) && !def.policy.reactivatable) {
    return refuse('final_stage', `Stage ${current.name} is final and this pipeline does not allow reactivation.`, { stage: state.stage });
  }
  const fromIndex = stageIndex(def, state.stage);
  const toIndex = stageIndex(def, to);
  const direction = toIndex < fromIndex ? 'backward' : 'forward';
  if (direction === 'backward' && !def.policy.reversible) {
    return refuse('not_reversible', `This pipeline does not allow moving back from ${currentName} to ${target.name}.`, { from: state.stage, to });
  }
  // Outcome stages (Lost, Declined, Expired) are reachable from anywhere: reaching them is never a skip.
  if (direction === 'forward' && toIndex > fromIndex + 1 && !isFinalStage(target) && !def.policy.skippable) {
    return refuse('not_skippable', `This pipeline does not allow skipping stages from ${currentName} to ${target.name}.`, { from: state.stage, to });
  }
  if (direction === 'forward' && !def.policy.repeatable && state.history.some((visit) => visit.stage === to)) {
    return refuse('not_repeatable', `Stage ${target.name} was already visited and this pipeline does not allow re-entering it.`, { stage: to });
  }
  if (actor.kind !== 'system') {
    const rules: Array<[string, StageDef | undefined, 'exit' | 'enter' | 'back']> = [
      [`move out of ${currentName}`, current, 'exit'],
      [`move into ${target.name}`, target, 'enter'],
    ];
    if (direction === 'backward') rules.push([`move back from ${currentName}`, current, 'back']);
    for (const [what, stage, rule] of rules) {
      const allowed = checkStageRule(stage, rule, what, actor, state.record);
      if (!allowed.ok) return allowed;
    }
  }
  return { ok: true, value: { from: state.stage, to, direction } };
}

/**
 * A move's `fields` are written into the record. Only the record's own company
 * edits its record; anyone else (a partner moving a lead) may send just the
 * fields the target stage requires (a reason, a link), never the owning
 * company's own fields (amount, notes) nor the stage field. Returns the fields
 * this actor may send on this move and those it sent beyond them.
 */
export function outsideFields(
  def: PipelineDefinition,
  recordCompanyId: string,
  actor: Actor,
  move: MoveRequest,
): { allowed: string[]; refused: string[] } {
  const sent = Object.keys(move.fields ?? {});
  if (actor.kind === 'system' || actor.companyId === recordCompanyId) return { allowed: sent, refused: [] };
  const allowed = (findStage(def, move.to)?.rules?.requiredFields ?? []).filter((f) => f !== def.stageField);
  return { allowed, refused: sent.filter((f) => !allowed.includes(f)) };
}

export const outsideFieldsMessage = (to: string, fields: { allowed: string[]; refused: string[] }) =>
  `only the owning company edits this record; a move to ${to} may carry ${fields.allowed.join(', ') || 'no fields'}, not: ${fields.refused.join(', ')}`;

/** Whether `actor` passes one who-rule of a stage (`enter`, `exit`, `back`); `what` names the move in the refusal. */
export function checkStageRule(
  stage: StageDef | undefined,
  rule: 'exit' | 'enter' | 'back',
  what: string,
  actor: Actor,
  record: RecordView,
): Check<true> {
  const who = stage?.rules?.[rule];
  if (matchesWho(who, actor, record)) return { ok: true, value: true };
  return refuse('not_allowed', `Only ${describeWho(who ?? {})} may ${what} (rule ${rule} of stage ${stage?.name}).`, { stage: stage?.key, rule, who: who ?? {} });
}

/** Whether `actor` may make `move` now; the one decision shared by the API and the workflow's update validator. */
export function checkMove(
  def: PipelineDefinition,
  state: InstanceState,
  actor: Actor,
  move: MoveRequest,
): Check<{ from: string; to: string; direction: 'forward' | 'backward' }> {
  const structure = checkStructure(def, state, actor, move.to);
  if (!structure.ok) return structure;
  const target = findStage(def, move.to);
  const rules = target?.rules ?? {};
  const name = target?.name ?? move.to;
  if (rules.requireReason && !move.reason?.trim()) {
    return refuse('reason_required', `Moving to ${name} requires a reason.`, { stage: move.to });
  }
  const outside = outsideFields(def, state.record.companyId, actor, move);
  if (outside.refused.length) return refuse('outside_fields', outsideFieldsMessage(move.to, outside), { fields: outside.refused });
  const fields = { ...state.record.fields, ...move.fields };
  const missingFields = (rules.requiredFields ?? []).filter((field) => isEmptyValue(fields[field]));
  if (missingFields.length) {
    return refuse('missing_fields', `Moving to ${name} requires the fields: ${missingFields.join(', ')}.`, { stage: move.to, fields: missingFields });
  }
  const missingTasks = (rules.requiredTasks ?? []).filter(
    (key) => !state.tasks.some((task) => task.key === key && task.status === 'done'),
  );
  if (missingTasks.length) {
    return refuse('missing_tasks', `Moving to ${name} requires these tasks to be done: ${missingTasks.join(', ')}.`, { stage: move.to, tasks: missingTasks });
  }
  return structure;
}

/**
 * Stage keys the actor could move to now, given the fields, tasks and reason
 * the move may still supply. A finished instance of a pipeline that
 * reactivates offers the moves that would reopen it.
 */
export function allowedMoves(def: PipelineDefinition, state: InstanceState, actor: Actor): string[] {
  const from: InstanceState = state.status === 'finished' && def.policy.reactivatable ? { ...state, status: 'running' } : state;
  return def.stages.map((stage) => stage.key).filter((key) => checkStructure(def, from, actor, key).ok);
}

/** The stage a reactivation reopens in by default: the last working stage before the outcome, else the initial one. */
export function reactivationTarget(def: PipelineDefinition, state: Pick<InstanceState, 'history'>): string {
  const lastWorking = [...state.history].reverse().find((v) => findStage(def, v.stage)?.type === 'normal');
  return lastWorking?.stage ?? initialStage(def).key;
}

/**
 * Whether a finished instance may be reopened with `move`: the pipeline allows
 * reactivation, and the move out of its outcome stage passes every rule a move
 * of a running instance would (who, from, required fields and tasks).
 */
export function checkReactivation(def: PipelineDefinition, state: InstanceState, actor: Actor, move: MoveRequest): Check<MovePlan> {
  const outcome = findStage(def, state.stage);
  if (state.status !== 'finished' || !outcome || !isFinalStage(outcome)) {
    return refuse('not_finished', 'Only an instance in a won, lost or other outcome stage can be reactivated.');
  }
  if (!def.policy.reactivatable) return refuse('not_reactivatable', `${def.name} does not allow reactivation.`);
  return checkMove(def, { ...state, status: 'running' }, actor, move);
}
