import { autoAdvanceTarget, checkTaskCompletion, planStageEntry, taskAssigneeMatches } from './effects';
import { buildActor, buildDefinition, buildRecord, buildState, buildTask, DAY, NOW, owner, partnerUser, stranger } from './test-fixtures';
import type { Actor, AssigneeDef, InstanceState, RecordView, RefusalCode, StageDef, TaskState } from './types';
import { SYSTEM_ACTOR } from './types';

const at = (ms: number) => new Date(Date.parse(NOW) + ms).toISOString();
const tasks: StageDef['tasks'] = [
  { key: 'quote', name: 'Create a quotation', description: 'From the lead', assignee: { kind: 'owner' }, required: true, kind: 'create_record', recordType: 'quotation', linkField: 'quotationId' },
  { key: 'notes', name: 'Record the notes', assignee: { kind: 'role', role: 'sales' }, required: false, kind: 'edit_fields', fields: ['notes'] },
];
const def = buildDefinition([
  { key: 'a', name: 'A', type: 'normal' },
  {
    key: 'b',
    name: 'B',
    type: 'normal',
    effects: {
      setFields: [
        { field: 'stamp', value: { kind: 'value', value: 42 } },
        { field: 'enteredAt', value: { kind: 'now' } },
        { field: 'dueAt', value: { kind: 'now', offset: '30d' } },
        { field: 'movedBy', value: { kind: 'actor' } },
        { field: 'lostReason', value: { kind: 'unset' } },
        { field: 'source', value: { kind: 'value', value: 'web' }, onlyIfEmpty: true },
        { field: 'region', value: { kind: 'value', value: 'EU' }, onlyIfEmpty: true },
      ],
      archive: true,
      invite: { users: ['u-guest', 'u-guest'], companies: ['c-guest'], partnerCompany: true },
      privateFields: ['margin'],
    },
    tasks,
  },
  { key: 'c', name: 'C', type: 'normal', tasks, interconnection: true, autoAdvance: { to: 'd' } },
  { key: 'd', name: 'D', type: 'success' },
]);

describe('planStageEntry', () => {
  const record = buildRecord({ fields: { source: 'referral', region: '' } });

  it('When entering a stage with every effect, then the plan holds them all', () => {
    expect(planStageEntry(def, 'b', record, owner, NOW, 'ev-9')).toEqual({
      set: { stamp: 42, enteredAt: NOW, dueAt: at(30 * DAY), movedBy: 'u-owner', region: 'EU' },
      unset: ['lostReason'],
      archive: true,
      invite: { users: ['u-guest'], companies: ['c-guest', 'c-partner'] },
      privateFields: ['margin'],
      tasks: [
        { id: 'ev-9:quote', key: 'quote', stage: 'b', name: 'Create a quotation', description: 'From the lead', kind: { kind: 'create_record', recordType: 'quotation', linkField: 'quotationId' }, assignee: { kind: 'owner' }, required: true, status: 'open', createdAt: NOW },
        { id: 'ev-9:notes', key: 'notes', stage: 'b', name: 'Record the notes', kind: { kind: 'edit_fields', fields: ['notes'] }, assignee: { kind: 'role', role: 'sales' }, required: false, status: 'open', createdAt: NOW },
      ],
    });
  });

  it.each<[string, string, Partial<RecordView>, (plan: ReturnType<typeof planStageEntry>) => unknown, unknown]>([
    ['a stage without effects leaves private fields alone', 'a', {}, (p) => p.privateFields, undefined],
    ['a stage without effects sets nothing', 'a', {}, (p) => [p.set, p.unset, p.archive, p.tasks], [{}, [], undefined, []]],
    ['no partner is assigned, so only listed companies are invited', 'b', { partnerCompanyId: undefined }, (p) => p.invite.companies, ['c-guest']],
    ['an interconnection node hands every task to the partner', 'c', {}, (p) => p.tasks.map((t) => t.assignee), [{ kind: 'partner_company' }, { kind: 'partner_company' }]],
  ])('When %s, then the plan says so', (_case, stage, overrides, pick, expected) => {
    expect(pick(planStageEntry(def, stage, buildRecord(overrides), owner, NOW, 'ev-1'))).toEqual(expected);
  });

  it('When the stage is unknown, then planning throws', () => {
    expect(() => planStageEntry(def, 'zz', record, owner, NOW, 'ev-1')).toThrow('"zz"');
  });
});

describe('taskAssigneeMatches', () => {
  const record = buildRecord();
  it.each<[string, AssigneeDef, Actor, boolean]>([
    ['the owner', { kind: 'owner' }, owner, true],
    ['not the owner', { kind: 'owner' }, stranger, false],
    ['the creator', { kind: 'creator' }, buildActor({ userId: 'u-creator' }), true],
    ['not the creator', { kind: 'creator' }, owner, false],
    ['a role holder', { kind: 'role', role: 'sales' }, owner, true],
    ['a missing role', { kind: 'role', role: 'finance' }, owner, false],
    ['the named user', { kind: 'user', userId: 'u-other' }, stranger, true],
    ['another user', { kind: 'user', userId: 'u-other' }, owner, false],
    ['the partner company', { kind: 'partner_company' }, partnerUser, true],
    ['the owner company for a partner task', { kind: 'partner_company' }, owner, false],
    ['the system', { kind: 'user', userId: 'u-nobody' }, SYSTEM_ACTOR, true],
  ])('When the actor is %s, then the match is %s', (_case, assignee, actor, expected) => {
    expect(taskAssigneeMatches(buildTask({ assignee }), actor, record)).toBe(expected);
  });
});

describe('checkTaskCompletion', () => {
  const editTask = buildTask({ id: 'ev-1:edit', key: 'edit', kind: { kind: 'edit_fields', fields: ['amount', 'notes'] } });
  const linkTask = buildTask({ id: 'ev-1:link', key: 'link', kind: { kind: 'create_record', recordType: 'opportunity', linkField: 'opportunityId' } });
  const partnerTask = buildTask({ id: 'ev-1:partner', key: 'partner', assignee: { kind: 'partner_company' }, kind: { kind: 'edit_fields', fields: ['amount'] } });
  const doneTask = buildTask({ id: 'ev-1:done', key: 'done', status: 'done' });
  const stageFieldTask = buildTask({ id: 'ev-1:status', key: 'status', kind: { kind: 'edit_fields', fields: ['status'] } });
  const state = (overrides: Partial<InstanceState> = {}) =>
    buildState({ tasks: [editTask, linkTask, partnerTask, doneTask, stageFieldTask], record: buildRecord({ fields: { amount: 10 } }), ...overrides });
  const admin = buildActor({ userId: 'u-admin', companyId: 'c-source', roles: ['admin'] });
  const foreignAdmin = buildActor({ userId: 'u-admin2', companyId: 'c-elsewhere', roles: ['admin'] });

  it.each<[string, InstanceState, Actor, string, Record<string, unknown> | undefined, RefusalCode | TaskState]>([
    ['the instance is finished', state({ status: 'finished' }), owner, editTask.id, { notes: 'x' }, 'not_running'],
    ['the task is unknown', state(), owner, 'ev-1:nope', undefined, 'unknown_task'],
    ['the task is done', state(), owner, doneTask.id, undefined, 'task_done'],
    ['someone else is assigned', state(), stranger, editTask.id, { notes: 'x' }, 'not_allowed'],
    ['an admin of another company tries', state(), foreignAdmin, editTask.id, { notes: 'x' }, 'not_allowed'],
    ['a field is still empty', state(), owner, editTask.id, { notes: ' ' }, 'missing_fields'],
    ['no record was linked', state(), owner, linkTask.id, { opportunityId: '' }, 'missing_fields'],
    ['the link is not a string', state(), owner, linkTask.id, { opportunityId: 7 }, 'missing_fields'],
    ['the fields include one the task does not name', state(), owner, editTask.id, { notes: 'x', secret: 1 }, 'unexpected_fields'],
    ['a link task sets another field', state(), owner, linkTask.id, { opportunityId: 'opp-1', amount: 1 }, 'unexpected_fields'],
    ['a task names the stage field', state(), owner, stageFieldTask.id, { status: 'd' }, 'unexpected_fields'],
    ['the fields complete the record', state(), owner, editTask.id, { notes: 'done' }, editTask],
    ['the record already links', state({ record: buildRecord({ fields: { opportunityId: 'opp-1' } }) }), owner, linkTask.id, undefined, linkTask],
    ['the completion links', state(), owner, linkTask.id, { opportunityId: 'opp-1' }, linkTask],
    ['the partner completes its task', state(), partnerUser, partnerTask.id, undefined, partnerTask],
    ['an owner-company admin completes any task', state(), admin, partnerTask.id, undefined, partnerTask],
    ['the system completes a task', state(), SYSTEM_ACTOR, editTask.id, { notes: 'auto' }, editTask],
  ])('When %s, then the result is as expected', (_case, st, actor, taskId, fields, expected) => {
    const check = checkTaskCompletion(def, st, actor, taskId, fields);
    if (typeof expected === 'string') expect(check).toMatchObject({ ok: false, code: expected });
    else expect(check).toEqual({ ok: true, value: { task: expected } });
  });
});

describe('autoAdvanceTarget', () => {
  const req = (key: string, status: TaskState['status'], stage = 'c', required = true) => buildTask({ id: `ev:${key}`, key, stage, status, required });
  it.each<[string, Partial<InstanceState>, string | undefined]>([
    ['every required task is done', { stage: 'c', tasks: [req('x', 'done'), req('y', 'done'), req('z', 'open', 'c', false)] }, 'd'],
    ['a required task is open', { stage: 'c', tasks: [req('x', 'done'), req('y', 'open')] }, undefined],
    ['only tasks of another stage are done', { stage: 'c', tasks: [req('x', 'done', 'b')] }, undefined],
    ['there are no tasks', { stage: 'c', tasks: [] }, undefined],
    ['the stage has no auto-advance', { stage: 'b', tasks: [req('x', 'done', 'b')] }, undefined],
    ['the instance is not running', { stage: 'c', status: 'cancelled', tasks: [req('x', 'done')] }, undefined],
  ])('When %s, then the target is %s', (_case, overrides, expected) => {
    expect(autoAdvanceTarget(def, buildState(overrides))).toBe(expected);
  });
});
