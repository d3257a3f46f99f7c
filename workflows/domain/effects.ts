import { addDuration } from './duration';
import { findStage } from './moves';
import { checkTaskLink, type TaskRecordRequest } from './task-records';
import type { Actor, AssigneeDef, Check, FieldValue, InstanceState, PipelineDefinition, RecordView, TaskDef, TaskKindDef, TaskState } from './types';
import { isEmptyValue } from './values';

/** What entering a stage does to the record, decided up front so the activity only applies it. */
export interface StageEntryPlan {
  set: Record<string, unknown>;
  unset: string[];
  /** true archives the record, false restores it, undefined leaves it as it is. */
  archive: boolean | undefined;
  invite: { users: string[]; companies: string[] };
  /** Undefined when the stage leaves the current list alone. */
  privateFields: string[] | undefined;
  tasks: TaskState[];
}

function resolveValue(value: FieldValue, actor: Actor, nowIso: string): unknown {
  switch (value.kind) {
    case 'value':
      return value.value;
    case 'now':
      return value.offset ? addDuration(nowIso, value.offset) : nowIso;
    case 'actor':
      return actor.userId;
    case 'unset':
      return undefined;
  }
}

function taskKind(task: TaskDef): TaskKindDef {
  return task.kind === 'edit_fields'
    ? { kind: 'edit_fields', fields: [...task.fields] }
    : { kind: 'create_record', recordType: task.recordType, linkField: task.linkField };
}

function unique(values: string[]): string[] {
  return [...new Set(values.filter((v) => v !== ''))];
}

export function planStageEntry(
  def: PipelineDefinition,
  stageKey: string,
  record: RecordView,
  actor: Actor,
  nowIso: string,
  taskIdPrefix: string,
): StageEntryPlan {
  const stage = findStage(def, stageKey);
  if (!stage) throw new Error(`"${stageKey}" is not a stage of pipeline "${def.key}"`);
  const effects = stage.effects ?? {};
  const set: Record<string, unknown> = {};
  const unset: string[] = [];
  for (const effect of effects.setFields ?? []) {
    if (effect.onlyIfEmpty && !isEmptyValue(record.fields[effect.field])) continue;
    // A later effect on the same field wins, whether it sets or clears.
    delete set[effect.field];
    const at = unset.indexOf(effect.field);
    if (at >= 0) unset.splice(at, 1);
    if (effect.value.kind === 'unset') unset.push(effect.field);
    else set[effect.field] = resolveValue(effect.value, actor, nowIso);
  }
  const invite = effects.invite ?? {};
  const companies = [...(invite.companies ?? [])];
  if (invite.partnerCompany && record.partnerCompanyId) companies.push(record.partnerCompanyId);
  const tasks = (stage.tasks ?? []).map(
    (task): TaskState => ({
      id: `${taskIdPrefix}:${task.key}`,
      key: task.key,
      stage: stage.key,
      name: task.name,
      ...(task.description !== undefined ? { description: task.description } : {}),
      kind: taskKind(task),
      assignee: stage.interconnection ? { kind: 'partner_company' } : { ...task.assignee },
      required: task.required,
      status: 'open',
      createdAt: nowIso,
    }),
  );
  return {
    set,
    unset,
    archive: effects.archive,
    invite: { users: unique(invite.users ?? []), companies: unique(companies) },
    privateFields: effects.privateFields ? [...effects.privateFields] : undefined,
    tasks,
  };
}

function assigneeMatches(assignee: AssigneeDef, actor: Actor, record: RecordView): boolean {
  switch (assignee.kind) {
    case 'owner':
      return actor.userId === record.ownerId;
    case 'creator':
      return record.creatorId !== undefined && actor.userId === record.creatorId;
    case 'role':
      return actor.roles.includes(assignee.role);
    case 'user':
      return actor.userId === assignee.userId;
    case 'partner_company':
      return !!record.partnerCompanyId && actor.companyId === record.partnerCompanyId;
  }
}

export function taskAssigneeMatches(task: TaskState, actor: Actor, record: RecordView): boolean {
  return actor.kind === 'system' || assigneeMatches(task.assignee, actor, record);
}

function isOwnerCompanyAdmin(actor: Actor, record: RecordView): boolean {
  return actor.roles.includes('admin') && actor.companyId !== undefined && actor.companyId === record.companyId;
}

export function checkTaskCompletion(
  def: PipelineDefinition,
  state: InstanceState,
  actor: Actor,
  taskId: string,
  fields: Record<string, unknown> | undefined,
  createRecord?: TaskRecordRequest,
): Check<{ task: TaskState }> {
  if (state.status !== 'running') return { ok: false, code: 'not_running', message: `The pipeline instance is ${state.status}.`, details: { status: state.status } };
  const task = state.tasks.find((t) => t.id === taskId);
  if (!task) return { ok: false, code: 'unknown_task', message: `There is no task "${taskId}" in pipeline ${def.name}.`, details: { task: taskId } };
  if (task.status === 'done') return { ok: false, code: 'task_done', message: `Task ${task.name} is already done.`, details: { task: task.id } };
  if (!taskAssigneeMatches(task, actor, state.record) && !isOwnerCompanyAdmin(actor, state.record)) {
    return { ok: false, code: 'not_allowed', message: `Task ${task.name} is assigned to someone else (${task.assignee.kind}).`, details: { task: task.id, assignee: task.assignee.kind } };
  }
  // A task writes only the fields it names: its assignee (possibly a partner) may not edit the rest of the record,
  // and never the stage field, which mirrors the stage and only moves write.
  const named = task.kind.kind === 'edit_fields' ? task.kind.fields : [task.kind.linkField];
  const unexpected = Object.keys(fields ?? {}).filter((field) => !named.includes(field) || field === def.stageField);
  if (unexpected.length) {
    return {
      ok: false,
      code: 'unexpected_fields',
      message: `Task ${task.name} may only set ${named.join(', ')}, not: ${unexpected.join(', ')}.`,
      details: { task: task.id, allowed: named, fields: unexpected },
    };
  }
  const link = checkTaskLink(task, state.record.fields, fields, createRecord);
  if (!link.ok) return link;
  const merged = { ...state.record.fields, ...fields };
  if (task.kind.kind === 'edit_fields') {
    const missing = task.kind.fields.filter((field) => isEmptyValue(merged[field]));
    if (missing.length) {
      return { ok: false, code: 'missing_fields', message: `Task ${task.name} needs the fields: ${missing.join(', ')}.`, details: { task: task.id, fields: missing } };
    }
  }
  return { ok: true, value: { task } };
}

/** The stage to move to on its own once every required task created in the current stage is done. */
export function autoAdvanceTarget(def: PipelineDefinition, state: InstanceState): string | undefined {
  if (state.status !== 'running') return undefined;
  const stage = findStage(def, state.stage);
  if (!stage?.autoAdvance) return undefined;
  const required = state.tasks.filter((task) => task.stage === state.stage && task.required);
  if (required.length === 0 || required.some((task) => task.status !== 'done')) return undefined;
  return stage.autoAdvance.to;
}
