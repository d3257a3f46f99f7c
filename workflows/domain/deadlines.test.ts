import { computeDeadline } from './deadlines';
import { buildDefinition, buildRecord, DAY, NOW } from './test-fixtures';
import type { Deadline, DeadlineDef } from './types';

const withDeadline = (deadline: DeadlineDef | undefined) =>
  buildDefinition([
    { key: 'open', name: 'Open', type: 'normal', ...(deadline ? { deadline } : {}) },
    { key: 'expired', name: 'Expired', type: 'invalid' },
  ]);
const fieldDate = '2025-04-15T08:30:00.000Z';

describe('computeDeadline', () => {
  it.each<[string, DeadlineDef | undefined, Record<string, unknown>, Deadline | undefined]>([
    ['a stage has no deadline', undefined, {}, undefined],
    ['it runs a duration after entering', { after: '12h', to: 'expired' }, {}, { at: '2025-03-01T22:00:00.000Z', to: 'expired', source: 'after' }],
    ['it is an ISO date in a field', { atField: 'expiresAt', to: 'expired' }, { expiresAt: fieldDate }, { at: fieldDate, to: 'expired', source: 'field' }],
    ['it is epoch ms in a field', { atField: 'expiresAt', to: 'expired' }, { expiresAt: Date.parse(fieldDate) }, { at: fieldDate, to: 'expired', source: 'field' }],
    ['the field is empty', { atField: 'expiresAt', to: 'expired' }, {}, undefined],
    ['the field is not a date', { atField: 'expiresAt', to: 'expired' }, { expiresAt: 'next week' }, undefined],
    ['both are set and the field holds a date', { after: '7d', atField: 'expiresAt', to: 'expired' }, { expiresAt: fieldDate }, { at: fieldDate, to: 'expired', source: 'field' }],
    ['both are set and the field is empty', { after: '7d', atField: 'expiresAt', to: 'expired' }, { expiresAt: null }, { at: new Date(Date.parse(NOW) + 7 * DAY).toISOString(), to: 'expired', source: 'after' }],
    ['the duration is unparseable', { after: 'soon', to: 'expired' }, {}, undefined],
  ])('When %s, then the deadline is as expected', (_case, deadline, fields, expected) => {
    expect(computeDeadline(withDeadline(deadline), 'open', buildRecord({ fields }), NOW)).toEqual(expected);
  });

  it('When the date field changes, then the deadline moves with it', () => {
    const def = withDeadline({ atField: 'expiresAt', to: 'expired' });
    const before = computeDeadline(def, 'open', buildRecord({ fields: { expiresAt: '2025-03-08T10:00:00.000Z' } }), NOW);
    const after = computeDeadline(def, 'open', buildRecord({ fields: { expiresAt: '2025-03-20T10:00:00.000Z' } }), NOW);
    expect([before?.at, after?.at]).toEqual(['2025-03-08T10:00:00.000Z', '2025-03-20T10:00:00.000Z']);
  });

  it('When the stage is unknown, then there is no deadline', () => {
    expect(computeDeadline(withDeadline({ after: '1h', to: 'expired' }), 'zz', buildRecord(), NOW)).toBeUndefined();
  });
});
