import { checkTaskCompletion } from './effects';
import { backLinkField, taskLinkTarget, type TaskRecordRequest } from './task-records';
import { buildDefinition, buildRecord, buildState, buildTask, owner, stranger } from './test-fixtures';
import type { Actor, RefusalCode } from './types';

const def = buildDefinition([{ key: 'a', name: 'A', type: 'normal', initial: true }]);
const quote = buildTask({ id: 'ev-1:quote', key: 'quote', name: 'Create a quotation', kind: { kind: 'create_record', recordType: 'quotation', linkField: 'quotationId' } });
const edit = buildTask({ id: 'ev-1:edit', key: 'edit', name: 'Record the budget', kind: { kind: 'edit_fields', fields: ['budget'] } });
const linkedState = buildState({ tasks: [quote, edit], record: buildRecord({ fields: { quotationId: 'quo_held' } }) });
const state = buildState({ tasks: [quote, edit] });
const quotation: TaskRecordRequest = { type: 'quotation' };

describe('checkTaskCompletion of a create_record task', () => {
  it.each<[string, Actor, typeof state, string, Record<string, unknown> | undefined, TaskRecordRequest | undefined, RefusalCode | 'ok']>([
    ['it creates its record', owner, state, quote.id, undefined, quotation, 'ok'],
    ['it creates its record over a link the record holds', owner, linkedState, quote.id, undefined, quotation, 'ok'],
    ['it links a record by its link field', owner, state, quote.id, { quotationId: 'quo_1' }, undefined, 'ok'],
    ['the record holds a link already', owner, linkedState, quote.id, undefined, undefined, 'ok'],
    ['it neither links nor creates', owner, state, quote.id, undefined, undefined, 'missing_fields'],
    ['it sends a blank link over the one the record holds', owner, linkedState, quote.id, { quotationId: ' ' }, undefined, 'missing_fields'],
    ['it both links and creates', owner, state, quote.id, { quotationId: 'quo_1' }, quotation, 'unexpected_fields'],
    ['it creates a record of another type', owner, state, quote.id, undefined, { type: 'contract' }, 'wrong_record_type'],
    ['an edit_fields task is given a record to create', owner, state, edit.id, { budget: 5 }, quotation, 'not_a_create_record_task'],
    ['someone else is assigned, creating', stranger, state, quote.id, undefined, quotation, 'not_allowed'],
  ])('When %s, then the result is %s', (_case, actor, st, taskId, fields, createRecord, expected) => {
    const check = checkTaskCompletion(def, st, actor, taskId, fields, createRecord);
    if (expected === 'ok') expect(check).toEqual({ ok: true, value: { task: st.tasks.find((t) => t.id === taskId) } });
    else expect(check).toMatchObject({ ok: false, code: expected });
  });

  it('When a refusal names the task, then its message says what to send instead', () => {
    const check = checkTaskCompletion(def, state, owner, edit.id, undefined, quotation);
    expect(check).toMatchObject({ ok: false, message: expect.stringMatching(/Record the budget fills in budget; it creates no record/) });
  });
});

describe('taskLinkTarget', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown> | undefined, string | undefined]>([
    ['the completion sends a link', {}, { quotationId: 'quo_1' }, 'quo_1'],
    ['the completion sends a link over the held one', { quotationId: 'quo_held' }, { quotationId: 'quo_1' }, 'quo_1'],
    ['the record holds one', { quotationId: 'quo_held' }, undefined, 'quo_held'],
    ['the link is blank', {}, { quotationId: '  ' }, undefined],
    ['the link is not a string', {}, { quotationId: 7 }, undefined],
    ['there is none', {}, {}, undefined],
  ])('When %s, then the link checked is %s', (_case, recordFields, fields, expected) => {
    expect(taskLinkTarget(quote, recordFields, fields)).toBe(expected);
  });

  it('When the task edits fields, then it links nothing', () => {
    expect(taskLinkTarget(edit, { quotationId: 'quo_held' }, undefined)).toBeUndefined();
  });
});

describe('backLinkField', () => {
  it('When a record is created from an opportunity, then it names it in opportunityId, the <link>Id shape filters follow', () => {
    expect(backLinkField('opportunity')).toBe('opportunityId');
  });
});
