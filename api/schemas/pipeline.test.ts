import { ZodError } from 'zod';
import { linearDefinition, partnerLeadDefinition } from '../../workflows/domain/test-fixtures';
import type { PipelineDefinition, StageDef } from '../../workflows/domain/types';
import { describeIssues } from './common';
import { PipelineDefinitionBody } from './pipeline';

type Body = Record<string, unknown>;

const minimal = (overrides: Body = {}): Body => ({
  key: 'deals',
  name: 'Deals',
  objectType: 'opportunity',
  stageField: 'stage',
  stages: [
    { key: 'open', name: 'Open', initial: true },
    { key: 'won', name: 'Won', type: 'success' },
  ],
  ...overrides,
});
const withStage = (stage: Partial<StageDef> | Body): Body =>
  minimal({ stages: [{ key: 'open', name: 'Open', ...stage }, { key: 'won', name: 'Won', type: 'success' }] });
const nested = (depth: number): unknown =>
  depth === 0 ? { op: 'eq', path: 'account.industry', value: 'retail' } : { and: [nested(depth - 1)] };

function issuesOf(input: unknown) {
  const result = PipelineDefinitionBody.safeParse(input);
  if (result.success) throw new Error('expected the input to be refused');
  expect(result.error).toBeInstanceOf(ZodError);
  return result.error.issues;
}

describe('PipelineDefinitionBody', () => {
  it.each<[string, unknown]>([
    ['the partner lead template', partnerLeadDefinition()],
    ['a linear pipeline', linearDefinition()],
    ['a minimal body', minimal()],
    ['a filter nested 5 deep', minimal({ filter: nested(5) })],
    ['an or-group with every kind of value', minimal({ filter: { or: [{ op: 'in', path: 'user.roles', value: ['a', 1, null] }, { op: 'exists', path: 'x' }] } })],
    ['a task with a deadline and auto-advance', withStage({ tasks: [{ key: 't1', name: 'T', kind: 'edit_fields', fields: ['notes'], assignee: { kind: 'owner' }, required: true }], autoAdvance: { to: 'won' }, deadline: { after: '7d', to: 'won' } })],
  ])('When parsing %s, then it is accepted unchanged apart from defaults', (_case, input) => {
    const parsed = PipelineDefinitionBody.parse(input);
    expect(parsed).toMatchObject(input as object);
  });

  it('When optional parts are left out, then the defaults are filled in', () => {
    const parsed: PipelineDefinition = PipelineDefinitionBody.parse(
      withStage({ tasks: [{ key: 't1', name: 'T', kind: 'create_record', recordType: 'quote', linkField: 'quoteId', assignee: { kind: 'creator' } }] }),
    );
    expect(parsed.trigger).toEqual({ onCreate: false, manual: true, reinitiate: false });
    expect(parsed.policy).toEqual({ reversible: false, skippable: false, repeatable: false, reactivatable: false });
    expect(parsed.multipleRuns).toBe(true);
    expect(parsed.stages[0]).toMatchObject({ type: 'normal', tasks: [{ required: false }] });
  });

  it.each<[string, unknown, object]>([
    ['duplicate stage keys', minimal({ stages: [{ key: 'a', name: 'A' }, { key: 'a', name: 'B' }] }), { path: ['stages', 1, 'key'], message: expect.stringContaining('used more than once') }],
    ['a deadline to a stage that does not exist', withStage({ deadline: { after: '7d', to: 'lost' } }), { path: ['stages', 0, 'deadline', 'to'], message: expect.stringContaining('"lost" is not a stage') }],
    ['a win rate of 150', withStage({ winRate: 150 }), { path: ['stages', 0, 'winRate'] }],
    ['two initial stages', minimal({ stages: [{ key: 'a', name: 'A', initial: true }, { key: 'b', name: 'B', initial: true }] }), { path: ['stages'], message: expect.stringContaining('only one stage may be initial') }],
    ['an unknown top-level field', minimal({ colour: 'blue' }), { code: 'unrecognized_keys', keys: ['colour'] }],
    ['an unknown stage field', withStage({ colour: 'blue' }), { code: 'unrecognized_keys', path: ['stages', 0] }],
    ['a field name with a dot', withStage({ rules: { requiredFields: ['a.b'] } }), { path: ['stages', 0, 'rules', 'requiredFields', 0] }],
    ['a field name with a dollar', minimal({ stageField: '$where' }), { path: ['stageField'] }],
    ['an effect on a $ field', withStage({ effects: { setFields: [{ field: '$set', value: { kind: 'actor' } }] } }), { path: ['stages', 0, 'effects', 'setFields', 0, 'field'] }],
    ['an object as an effect value', withStage({ effects: { setFields: [{ field: 'x', value: { kind: 'value', value: { $gt: 1 } } }] } }), { path: ['stages', 0, 'effects', 'setFields', 0, 'value', 'value'] }],
    ['a filter path with a dollar', minimal({ filter: { op: 'eq', path: 'fields.$where', value: 1 } }), { path: ['filter', 'path'] }],
    ['a nested filter path with a dollar', minimal({ filter: { or: [{ op: 'exists', path: 'a' }, { and: [{ op: 'eq', path: 'a.$b' }] }] } }), { path: ['filter', 'or', 1, 'and', 0, 'path'] }],
    ['a filter nested 6 deep', minimal({ filter: nested(6) }), { path: ['filter'], message: expect.stringContaining('at most 5 deep') }],
    ['an unknown filter operator', minimal({ filter: { op: 'regex', path: 'a', value: '.*' } }), { path: ['filter', 'op'] }],
    ['no stages', minimal({ stages: [] }), { path: ['stages'] }],
    ['51 stages', minimal({ stages: Array.from({ length: 51 }, (_, i) => ({ key: `s${i}`, name: `S${i}` })) }), { path: ['stages'], code: 'too_big' }],
    ['51 tasks in a stage', withStage({ tasks: Array.from({ length: 51 }, (_, i) => ({ key: `t${i}`, name: 'T', kind: 'edit_fields', fields: ['x'], assignee: { kind: 'owner' } })) }), { path: ['stages', 0, 'tasks'], code: 'too_big' }],
    ['a name of 201 characters', minimal({ name: 'n'.repeat(201) }), { path: ['name'], code: 'too_big' }],
    ['a key with a space', minimal({ key: 'my pipeline' }), { path: ['key'] }],
    ['an unknown assignee kind', withStage({ tasks: [{ key: 't', name: 'T', kind: 'edit_fields', fields: ['x'], assignee: { kind: 'everyone' } }] }), { path: ['stages', 0, 'tasks', 0, 'assignee', 'kind'] }],
    ['a bad deadline duration', withStage({ deadline: { after: 'a week', to: 'won' } }), { path: ['stages', 0, 'deadline', 'after'] }],
    ['a body that is not an object', 'pipeline', { path: [], code: 'invalid_type' }],
  ])('When the definition has %s, then a ZodError issue names it', (_case, input, expected) => {
    expect(issuesOf(input)).toEqual(expect.arrayContaining([expect.objectContaining(expected)]));
  });

  it('When shape and semantic problems come together, then each is listed once', () => {
    const input = minimal({
      colour: 'blue',
      stages: [
        { key: 'a', name: 'A', winRate: 150, deadline: { after: '1d', to: 'nowhere' } },
        { key: 'a', name: 'B', initial: true },
      ],
    });
    const issues = issuesOf(input);
    expect(issues.map((issue) => issue.path)).toEqual(
      expect.arrayContaining([[], ['stages', 0, 'winRate'], ['stages', 0, 'deadline', 'to'], ['stages', 1, 'key']]),
    );
    expect(issues.filter((issue) => issue.path.join('.') === 'stages.0.winRate')).toHaveLength(1);
  });

  it('When issues are described, then each line names its place', () => {
    const lines = describeIssues(new ZodError(issuesOf(withStage({ winRate: 150, deadline: { after: '1d', to: 'x' } }))));
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^stages\[0\]\.winRate: /),
        'stages[0].deadline.to: "x" is not a stage of this pipeline',
      ]),
    );
  });
});
