import type { Check, TaskState } from './types';
import { isEmptyValue } from './values';

/**
 * The field of a record created by a task that names the record it came from:
 * `opportunityId` on a quotation made from an opportunity. It is the `<link>Id`
 * shape filters follow, so the new record's pipelines can read
 * `opportunity.<field>`.
 */
export const backLinkField = (sourceType: string): string => `${sourceType}Id`;

/** What a completion that creates the task's record says about it; the rest of the record follows from the instance's. */
export interface TaskRecordRequest {
  type: string;
}

/**
 * Whether a completion's link part fits the task: a create_record task is done
 * either by creating its record (whose id becomes the link) or by naming one
 * in its link field, not both; an edit_fields task creates nothing. That a
 * named record exists, may be seen and has the task's type is I/O, checked by
 * the API before it asks the instance.
 */
export function checkTaskLink(
  task: TaskState,
  recordFields: Record<string, unknown>,
  fields: Record<string, unknown> | undefined,
  createRecord: TaskRecordRequest | undefined,
): Check<true> {
  const kind = task.kind;
  if (kind.kind !== 'create_record') {
    if (!createRecord) return { ok: true, value: true };
    return {
      ok: false,
      code: 'not_a_create_record_task',
      message: `Task ${task.name} fills in ${kind.fields.join(', ')}; it creates no record: send those fields instead.`,
    };
  }
  const link = kind.linkField;
  if (createRecord) {
    if (createRecord.type !== kind.recordType) {
      return { ok: false, code: 'wrong_record_type', message: `Task ${task.name} creates a ${kind.recordType}, not a ${createRecord.type}.` };
    }
    if (fields && link in fields) {
      return {
        ok: false,
        code: 'unexpected_fields',
        message: `Task ${task.name} either links an existing ${kind.recordType} in ${link} or creates one, not both.`,
      };
    }
    return { ok: true, value: true };
  }
  // The link the record is left with counts: a blank one sent over a filled one unlinks it.
  if (taskLinkTarget(task, recordFields, fields) === undefined) {
    return {
      ok: false,
      code: 'missing_fields',
      message: `Task ${task.name} needs a linked ${kind.recordType} in field ${link}, or a record to create.`,
      details: { task: task.id, fields: [link] },
    };
  }
  return { ok: true, value: true };
}

/** The link a completion of a create_record task relies on when it creates nothing: the one it sends, else the one the record holds. */
export function taskLinkTarget(
  task: TaskState,
  recordFields: Record<string, unknown>,
  fields: Record<string, unknown> | undefined,
): string | undefined {
  if (task.kind.kind !== 'create_record') return undefined;
  const link = task.kind.linkField;
  const value = fields && link in fields ? fields[link] : recordFields[link];
  return typeof value === 'string' && !isEmptyValue(value) ? value : undefined;
}
