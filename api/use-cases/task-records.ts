import crypto from 'node:crypto';
import type { Stores } from '../../activities/store';
import { canSeeRecord, taskLinkTarget } from '../../workflows/domain';
import type { Actor, TaskKindDef } from '../../workflows/domain/types';
import type { CompleteTaskInput } from '../../workflows/messages';
import { AppError } from '../errors';
import { refuseStageFields } from './records';

export interface TaskCompletionBody {
  fields?: Record<string, unknown>;
  /** Create the task's record (a create_record task only). */
  record?: { fields: Record<string, unknown> };
}

/**
 * The id of the record a task creates follows from the task's id (which names
 * the instance, its run and the step that created the task). A task is done
 * once, so every retry of its completion, with or without the same
 * Idempotency-Key, names the same record, and the step's insert keyed by it
 * writes it once.
 */
export function taskRecordId(taskId: string, type: string): string {
  return `${type.slice(0, 3)}_${crypto.createHash('sha256').update(taskId).digest('base64url').slice(0, 12)}`;
}

interface LinkingTask {
  name: string;
  kind: Extract<TaskKindDef, { kind: 'create_record' }>;
}

/**
 * A linked record must exist, be visible to the caller and have the task's
 * type. `sent` says the caller named it; a link the record already held is not
 * named back to a caller that may not read that field.
 */
async function checkLinkedRecord(stores: Stores, actor: Actor, task: LinkingTask, id: string, sent: boolean): Promise<void> {
  const { recordType: type, linkField: field } = task.kind;
  const linked = await stores.records.get(id);
  const named = sent ? ` ${id}` : '';
  const details = sent ? { field, id } : { field };
  // One that the caller may not see answers as one that does not exist: nothing about it leaks.
  if (!linked || !canSeeRecord(actor, linked)) {
    const where = sent ? '' : ` (the one ${field} holds)`;
    throw new AppError(422, 'linked_record_not_found', `there is no ${type}${named}${where} that you can see`, details);
  }
  if (linked.type !== type) {
    throw new AppError(422, 'wrong_record_type', `record${named} in ${field} is a ${linked.type}; task ${task.name} links a ${type}`, details);
  }
}

/**
 * What completing a create_record task adds to the update: the record to
 * create, or nothing once the record it links is found fit. These checks read
 * MongoDB, which the workflow's update validator cannot, so the API makes them
 * before it asks the instance; the validator still applies every pure rule
 * (assignee, done, link set). They read only what does not change once a task
 * exists (its kind) or what a retry finds the same (the linked record), so a
 * retry with the same Idempotency-Key of a completion already applied gets the
 * first answer from the instance, not a refusal from here. Any other task goes
 * to the instance as it did.
 */
export function taskRecordInput(stores: Stores) {
  return async (actor: Actor, instanceId: string, taskId: string, body: TaskCompletionBody): Promise<Pick<CompleteTaskInput, 'createRecord'>> => {
    const stored = await stores.tasks.get(taskId);
    const task = stored?.instanceId === instanceId ? stored : undefined;
    if (!task) {
      if (body.record) throw new AppError(409, 'unknown_task', `There is no task "${taskId}" in this pipeline instance.`);
      return {};
    }
    const kind = task.kind;
    if (kind.kind !== 'create_record') {
      if (!body.record) return {};
      throw new AppError(422, 'not_a_create_record_task', `Task ${task.name} fills in ${kind.fields.join(', ')}; it creates no record: send those fields instead.`);
    }
    if (body.record) {
      // The new record is the company of the task's record, and so are the pipelines whose stage fields it may not set.
      const source = await stores.records.get(task.recordId);
      await refuseStageFields(stores, source?.companyId ?? '', kind.recordType, body.record.fields);
      return { createRecord: { id: taskRecordId(task.id, kind.recordType), type: kind.recordType, fields: body.record.fields } };
    }
    const sent = body.fields !== undefined && kind.linkField in body.fields;
    const held = sent ? {} : ((await stores.records.get(task.recordId))?.fields ?? {});
    const target = taskLinkTarget(task, held, body.fields);
    // No link at all: the instance refuses it (missing_fields), as it always has.
    if (target !== undefined) await checkLinkedRecord(stores, actor, { name: task.name, kind }, target, sent);
    return {};
  };
}
