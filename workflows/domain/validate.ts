import { parseDuration } from './duration';
import { reminderProblems } from './reminders';
import type { PipelineDefinition, StageDef } from './types';

const KEY = /^[A-Za-z0-9_-]{1,64}$/;

function checkStage(stage: StageDef, at: string, stageKeys: Set<string>, problems: string[]): void {
  const notAStage = (path: string, key: string) => `${at}.${path}: "${key}" is not a stage of this pipeline`;
  if (typeof stage.key !== 'string' || !KEY.test(stage.key)) {
    problems.push(`${at}.key: "${String(stage.key)}" must be 1–64 letters, digits, "_" or "-"`);
  }
  if (stage.winRate !== undefined && !(Number.isFinite(stage.winRate) && stage.winRate >= 0 && stage.winRate <= 100)) {
    problems.push(`${at}.winRate: ${String(stage.winRate)} is outside 0–100`);
  }
  const deadline = stage.deadline;
  if (deadline) {
    if (!stageKeys.has(deadline.to)) problems.push(notAStage('deadline.to', deadline.to));
    if (!deadline.after && !deadline.atField) problems.push(`${at}.deadline: needs "after" or "atField"`);
    if (deadline.after && parseDuration(deadline.after) === undefined) {
      problems.push(`${at}.deadline.after: "${deadline.after}" is not a duration (e.g. "90s", "15m", "12h", "7d", "2w")`);
    }
  }
  problems.push(...reminderProblems(stage, at));
  (stage.effects?.setFields ?? []).forEach((effect, i) => {
    if (effect.value.kind === 'now' && effect.value.offset !== undefined && parseDuration(effect.value.offset) === undefined) {
      problems.push(`${at}.effects.setFields[${i}].value.offset: "${effect.value.offset}" is not a duration`);
    }
  });
  if (stage.autoAdvance) {
    if (!stageKeys.has(stage.autoAdvance.to)) problems.push(notAStage('autoAdvance.to', stage.autoAdvance.to));
    else if (stage.autoAdvance.to === stage.key) problems.push(`${at}.autoAdvance.to: a stage cannot advance to itself`);
    if (!(stage.tasks ?? []).some((task) => task.required)) {
      problems.push(`${at}.autoAdvance: stage "${stage.key}" has no required tasks to wait for`);
    }
  }
}

function checkTasks(def: PipelineDefinition, problems: string[]): Set<string> {
  const taskKeys = new Set<string>();
  def.stages.forEach((stage, s) => {
    (stage.tasks ?? []).forEach((task, t) => {
      const at = `stages[${s}].tasks[${t}]`;
      if (typeof task.key !== 'string' || !KEY.test(task.key)) {
        problems.push(`${at}.key: "${String(task.key)}" must be 1–64 letters, digits, "_" or "-"`);
      } else if (taskKeys.has(task.key)) {
        problems.push(`${at}.key: task key "${task.key}" is used more than once in this pipeline`);
      }
      taskKeys.add(task.key);
      if (task.kind === 'edit_fields' && !(task.fields ?? []).length) {
        problems.push(`${at}.fields: an edit_fields task needs at least one field`);
      }
      if (task.kind === 'create_record' && (!task.linkField || !task.recordType)) {
        problems.push(`${at}: a create_record task needs a recordType and a linkField`);
      }
    });
  });
  return taskKeys;
}

/** Every problem with a definition, as human-readable lines; empty when it can be published. */
export function validateDefinition(def: PipelineDefinition): string[] {
  const problems: string[] = [];
  if (!Array.isArray(def.stages) || def.stages.length === 0) {
    return ['stages: a pipeline needs at least one stage'];
  }
  const stageKeys = new Set<string>();
  def.stages.forEach((stage, i) => {
    if (stageKeys.has(stage.key)) problems.push(`stages[${i}].key: stage key "${stage.key}" is used more than once`);
    stageKeys.add(stage.key);
  });
  const initial = def.stages.filter((stage) => stage.initial).map((stage) => stage.key);
  if (initial.length > 1) problems.push(`stages: only one stage may be initial, found ${initial.join(', ')}`);
  def.stages.forEach((stage, i) => checkStage(stage, `stages[${i}]`, stageKeys, problems));
  const taskKeys = checkTasks(def, problems);
  def.stages.forEach((stage, i) => {
    (stage.rules?.requiredTasks ?? []).forEach((key, r) => {
      if (!taskKeys.has(key)) problems.push(`stages[${i}].rules.requiredTasks[${r}]: "${key}" is not a task of this pipeline`);
    });
    (stage.rules?.from ?? []).forEach((key, r) => {
      if (!stageKeys.has(key)) problems.push(`stages[${i}].rules.from[${r}]: "${key}" is not a stage of this pipeline`);
    });
  });
  return problems;
}
