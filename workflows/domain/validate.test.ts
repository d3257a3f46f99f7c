import { buildDefinition, linearDefinition, partnerLeadDefinition } from './test-fixtures';
import type { PipelineDefinition, StageDef, TaskDef } from './types';
import { validateDefinition } from './validate';

const task = (key: string, overrides: Partial<TaskDef> = {}): TaskDef =>
  ({ key, name: key, assignee: { kind: 'owner' }, required: true, kind: 'edit_fields', fields: ['notes'], ...overrides }) as TaskDef;
const twoStages = (first: Partial<StageDef> = {}, second: Partial<StageDef> = {}): PipelineDefinition =>
  buildDefinition([
    { key: 'open', name: 'Open', type: 'normal', ...first },
    { key: 'done', name: 'Done', type: 'success', ...second },
  ]);

describe('validateDefinition', () => {
  it.each<[string, PipelineDefinition]>([
    ['the partner lead template', partnerLeadDefinition()],
    ['a linear pipeline', linearDefinition()],
    ['a pipeline with no stage marked initial', twoStages()],
    ['a pipeline with tasks, auto-advance and a deadline', twoStages({ tasks: [task('t1')], autoAdvance: { to: 'done' }, deadline: { after: '2w', to: 'done' }, rules: { requiredTasks: ['t1'] }, winRate: 100 })],
    ['a deadline with two reminders', twoStages({ deadline: { after: '7d', to: 'done' }, reminders: [{ before: '24h' }, { before: '1h' }] })],
  ])('When validating %s, then it has no problems', (_case, def) => {
    expect(validateDefinition(def)).toEqual([]);
  });

  it.each<[string, PipelineDefinition, string]>([
    ['no stages', buildDefinition([]), 'stages: a pipeline needs at least one stage'],
    ['a duplicate stage key', twoStages({}, { key: 'open' }), 'stages[1].key: stage key "open" is used more than once'],
    ['two initial stages', twoStages({ initial: true }, { initial: true }), 'stages: only one stage may be initial, found open, done'],
    ['a bad stage key', twoStages({ key: 'open stage' }), 'stages[0].key: "open stage" must be 1–64 letters, digits, "_" or "-"'],
    ['a too long stage key', twoStages({ key: 'k'.repeat(65) }), 'stages[0].key:'],
    ['a win rate above 100', twoStages({ winRate: 120 }), 'stages[0].winRate: 120 is outside 0–100'],
    ['a negative win rate', twoStages({ winRate: -1 }), 'stages[0].winRate: -1 is outside 0–100'],
    ['a deadline to an unknown stage', twoStages({ deadline: { after: '7d', to: 'won' } }), 'stages[0].deadline.to: "won" is not a stage of this pipeline'],
    ['a deadline with no time', twoStages({ deadline: { to: 'done' } }), 'stages[0].deadline: needs "after" or "atField"'],
    ['a deadline with a bad duration', twoStages({ deadline: { after: '7 days', to: 'done' } }), 'stages[0].deadline.after: "7 days" is not a duration'],
    ['a bad now offset', twoStages({ effects: { setFields: [{ field: 'x', value: { kind: 'now', offset: 'a month' } }] } }), 'stages[0].effects.setFields[0].value.offset: "a month" is not a duration'],
    ['auto-advance to an unknown stage', twoStages({ tasks: [task('t1')], autoAdvance: { to: 'nowhere' } }), 'stages[0].autoAdvance.to: "nowhere" is not a stage of this pipeline'],
    ['auto-advance to itself', twoStages({ tasks: [task('t1')], autoAdvance: { to: 'open' } }), 'stages[0].autoAdvance.to: a stage cannot advance to itself'],
    ['entry from an unknown stage', twoStages({}, { rules: { from: ['nowhere'] } }), 'stages[1].rules.from[0]: "nowhere" is not a stage of this pipeline'],
    ['auto-advance without required tasks', twoStages({ tasks: [task('t1', { required: false })], autoAdvance: { to: 'done' } }), 'stages[0].autoAdvance: stage "open" has no required tasks to wait for'],
    ['a required task no stage defines', twoStages({}, { rules: { requiredTasks: ['ghost'] } }), 'stages[1].rules.requiredTasks[0]: "ghost" is not a task of this pipeline'],
    ['a task key used twice', twoStages({ tasks: [task('t1')] }, { tasks: [task('t1')] }), 'stages[1].tasks[0].key: task key "t1" is used more than once in this pipeline'],
    ['a bad task key', twoStages({ tasks: [task('t/1')] }), 'stages[0].tasks[0].key: "t/1" must be 1–64 letters'],
    ['an edit task without fields', twoStages({ tasks: [task('t1', { fields: [] } as Partial<TaskDef>)] }), 'stages[0].tasks[0].fields: an edit_fields task needs at least one field'],
    ['a create task without link field', twoStages({ tasks: [task('t1', { kind: 'create_record', recordType: 'quote', linkField: '' } as Partial<TaskDef>)] }), 'stages[0].tasks[0]: a create_record task needs a recordType and a linkField'],
    ['reminders without a deadline', twoStages({ reminders: [{ before: '1h' }] }), 'stages[0].reminders: a stage without a deadline has nothing to remind of'],
    ['six reminders', twoStages({ deadline: { after: '7d', to: 'done' }, reminders: ['1h', '2h', '3h', '4h', '5h', '6h'].map((before) => ({ before })) }), 'stages[0].reminders: at most 5 reminders per stage, found 6'],
    ['a reminder at the deadline', twoStages({ deadline: { after: '7d', to: 'done' }, reminders: [{ before: '0s' }] }), 'stages[0].reminders[0].before: a reminder must come some time before the deadline'],
    ['a reminder with a bad duration', twoStages({ deadline: { after: '7d', to: 'done' }, reminders: [{ before: 'a day' }] }), 'stages[0].reminders[0].before: "a day" is not a duration'],
    ['two reminders at one time', twoStages({ deadline: { after: '7d', to: 'done' }, reminders: [{ before: '1h' }, { before: '60m' }] }), 'stages[0].reminders[1].before: "60m" is the same time as another reminder'],
  ])('When the definition has %s, then that is a problem', (_case, def, problem) => {
    const problems = validateDefinition(def);
    expect(problems.some((p) => p.startsWith(problem))).toBe(true);
  });

  it('When several things are wrong, then every problem is listed', () => {
    const problems = validateDefinition(twoStages({ winRate: 101, deadline: { to: 'x' } }, { key: 'open' }));
    expect(problems).toHaveLength(4);
  });
});
