import crypto from 'node:crypto';
import type { Stores } from '../../activities/store';
import { taskLinkTarget } from '../../workflows/domain';
import type { Actor } from '../../workflows/domain/types';
import type { CompleteTaskInput } from '../../workflows/messages';
import { AppError } from '../errors';
import { linkChecks } from '../links';
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

/**
 * What completing a create_record task adds to the update: the record to
 * create, or nothing once the record it links is found fit. Every link the
 * completion makes (the task's, and `<name>Id` fields sent or given to the
 * record it creates) goes through the one link check (api/links.ts). These checks read
 * MongoDB, which the workflow's update validator cannot, so the API makes them
 * before it asks the instance; the validator still applies every pure rule
 * (assignee, done, link set). They read only what does not change once a task
 * exists (its kind) or what a retry finds the same (the linked record), so a
 * retry with the same Idempotency-Key of a completion already applied gets the
 * first answer from the instance, not a refusal from here. Any other task goes
 * to the instance as it did.
 */
export function taskRecordInput(stores: Stores) {
  const links = linkChecks(stores);
  return async (actor: Actor, instanceId: string, taskId: string, body: TaskCompletionBody): Promise<Pick<CompleteTaskInput, 'createRecord'>> => {
    const stored = await stores.tasks.get(taskId);
    const task = stored?.instanceId === instanceId ? stored : undefined;
    if (!task) {
      if (body.record) throw new AppError(409, 'unknown_task', `There is no task "${taskId}" in this pipeline instance.`);
      // The instance refuses an unknown task; any link the fields make is still checked first.
      await links.ofInstance(actor, instanceId, body.fields);
      return {};
    }
    // Every link the completion makes belongs to the company of the task's record: in its fields, and in a record it creates.
    const source = await stores.records.get(task.recordId);
    const ownerCompanyId = source?.companyId ?? '';
    const kind = task.kind;
    const sentLink = kind.kind === 'create_record' && body.fields !== undefined && kind.linkField in body.fields;
    const otherFields = sentLink ? Object.fromEntries(Object.entries(body.fields!).filter(([f]) => f !== kind.linkField)) : body.fields;
    await links.fields(actor, ownerCompanyId, otherFields);
    if (kind.kind !== 'create_record') {
      if (!body.record) return {};
      throw new AppError(422, 'not_a_create_record_task', `Task ${task.name} fills in ${kind.fields.join(', ')}; it creates no record: send those fields instead.`);
    }
    if (body.record) {
      // The new record is the company of the task's record, and so are the pipelines whose stage fields it may not set.
      await refuseStageFields(stores, ownerCompanyId, kind.recordType, body.record.fields);
      await links.fields(actor, ownerCompanyId, body.record.fields);
      return { createRecord: { id: taskRecordId(task.id, kind.recordType), type: kind.recordType, fields: body.record.fields } };
    }
    const held = sentLink ? {} : (source?.fields ?? {});
    const target = taskLinkTarget(task, held, body.fields);
    // No link at all: the instance refuses it (missing_fields), as it always has.
    if (target !== undefined) await links.check(actor, ownerCompanyId, { field: kind.linkField, id: target, type: kind.recordType }, sentLink);
    return {};
  };
}
