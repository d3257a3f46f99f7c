import { checkScope, instanceIdFor, instanceIdsFor, pipelineKeyOf } from './instances';
import { buildActor } from './test-fixtures';

describe('instance ids', () => {
  it.each([
    [true, 'ctc_1', 'pipeline:cmp_1:sales:opportunity:rec_1', 'pipeline:sales:opportunity:rec_1'],
    [true, undefined, 'pipeline:cmp_1:sales:opportunity:rec_1', 'pipeline:sales:opportunity:rec_1'],
    [false, 'ctc_1', 'pipeline:cmp_1:sales:contact:ctc_1', 'pipeline:sales:contact:ctc_1'],
    [false, undefined, 'pipeline:cmp_1:sales:opportunity:rec_1', 'pipeline:sales:opportunity:rec_1'],
  ])('When multiple runs is %s and the contact is %s, then the id is %s (before companies owned pipelines: %s)', (multipleRuns, contactId, id, global) => {
    const record = { id: 'rec_1', type: 'opportunity', contactId, companyId: 'cmp_1' };
    expect(instanceIdFor({ key: 'sales', multipleRuns }, record)).toBe(id);
    expect(instanceIdsFor({ key: 'sales', multipleRuns }, record)).toEqual([id, global]);
    expect(pipelineKeyOf(id)).toBe('sales');
    expect(pipelineKeyOf(global)).toBe('sales');
  });
});

describe('manual start scope', () => {
  const def = (scope?: { users?: string[]; departments?: string[]; roles?: string[] }) => ({ name: 'Sales', scope });
  it.each([
    ['no scope', def(), buildActor(), true],
    ['an empty scope', def({ users: [], roles: [] }), buildActor(), true],
    ['a listed user', def({ users: ['u-1'] }), buildActor({ userId: 'u-1' }), true],
    ['a listed department', def({ departments: ['East'] }), buildActor({ department: 'East' }), true],
    ['a listed role', def({ roles: ['sales'] }), buildActor({ roles: ['sales'] }), true],
    ['the system', def({ roles: ['sales'] }), buildActor({ kind: 'system' }), true],
    ['nobody listed', def({ users: ['u-1'], departments: ['East'], roles: ['sales'] }), buildActor({ department: 'West', roles: ['ops'] }), false],
  ])('When the scope is %s, then allowed is %s', (_case, d, actor, ok) => {
    const check = checkScope(d, actor);
    expect(check.ok).toBe(ok);
    if (!check.ok) expect(check.message).toMatch(/users u-1 or departments East or roles sales/);
  });
});
