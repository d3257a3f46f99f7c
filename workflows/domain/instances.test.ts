import { checkScope, instanceIdFor } from './instances';
import { buildActor } from './test-fixtures';

describe('instance ids', () => {
  it.each([
    [true, 'ctc_1', 'pipeline:sales:opportunity:rec_1'],
    [true, undefined, 'pipeline:sales:opportunity:rec_1'],
    [false, 'ctc_1', 'pipeline:sales:contact:ctc_1'],
    [false, undefined, 'pipeline:sales:opportunity:rec_1'],
  ])('When multiple runs is %s and the contact is %s, then the id is %s', (multipleRuns, contactId, id) => {
    expect(instanceIdFor({ key: 'sales', multipleRuns }, { id: 'rec_1', type: 'opportunity', contactId })).toBe(id);
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
