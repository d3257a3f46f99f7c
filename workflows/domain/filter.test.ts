import { evaluateFilter, failedConditions, filterRoots, readPath } from './filter';
import type { Filter } from './types';

const context = {
  record: {
    industry: 'energy',
    amount: 1200,
    closeDate: '2025-06-30T00:00:00.000Z',
    tags: ['vip', 'eu'],
    title: 'Solar panels for the depot',
    empty: null,
    code: 'B7',
  },
  account: { industry: 'utilities', address: { country: 'DE' } },
  owner: { department: 'sales-north' },
  user: { id: 'u-1', attributes: { region: 'north', level: 3 } },
};

describe('evaluateFilter', () => {
  it.each<[string, Filter | undefined, boolean]>([
    ['no filter', undefined, true],
    ['eq on a record field', { op: 'eq', path: 'record.industry', value: 'energy' }, true],
    ['eq mismatch', { op: 'eq', path: 'record.industry', value: 'retail' }, false],
    ['eq on an associated record', { op: 'eq', path: 'account.industry', value: 'utilities' }, true],
    ['eq on a deep path', { op: 'eq', path: 'account.address.country', value: 'DE' }, true],
    ['eq on the owner department', { op: 'eq', path: 'owner.department', value: 'sales-north' }, true],
    ['eq on a user attribute', { op: 'eq', path: 'user.attributes.region', value: 'north' }, true],
    ['eq on an equal array', { op: 'eq', path: 'record.tags', value: ['vip', 'eu'] }, true],
    ['eq on an array with a single value', { op: 'eq', path: 'record.tags', value: 'vip' }, false],
    ['ne', { op: 'ne', path: 'record.industry', value: 'retail' }, true],
    ['ne on a missing field', { op: 'ne', path: 'record.nope', value: 'x' }, true],
    ['in', { op: 'in', path: 'record.industry', value: ['energy', 'retail'] }, true],
    ['in without match', { op: 'in', path: 'record.industry', value: ['retail'] }, false],
    ['in with a non-list value', { op: 'in', path: 'record.industry', value: 'energy' }, false],
    ['nin', { op: 'nin', path: 'user.attributes.region', value: ['south'] }, true],
    ['nin with match', { op: 'nin', path: 'user.attributes.region', value: ['north'] }, false],
    ['gt on numbers', { op: 'gt', path: 'record.amount', value: 1000 }, true],
    ['gte on equal numbers', { op: 'gte', path: 'record.amount', value: 1200 }, true],
    ['lt on numbers', { op: 'lt', path: 'user.attributes.level', value: 3 }, false],
    ['lte on numbers', { op: 'lte', path: 'user.attributes.level', value: 3 }, true],
    ['gt on ISO dates', { op: 'gt', path: 'record.closeDate', value: '2025-06-01' }, true],
    ['lt on ISO dates with offsets', { op: 'lt', path: 'record.closeDate', value: '2025-06-30T01:00:00+02:00' }, false],
    ['gte on a date against epoch ms', { op: 'gte', path: 'record.closeDate', value: Date.parse('2025-06-30T00:00:00Z') }, true],
    ['lt on strings lexically', { op: 'lt', path: 'record.code', value: 'C1' }, true],
    ['gt on a number against a string', { op: 'gt', path: 'record.amount', value: 'abc' }, false],
    ['gt on a missing field', { op: 'gt', path: 'record.nope', value: 1 }, false],
    ['exists true', { op: 'exists', path: 'record.industry', value: true }, true],
    ['exists with the value omitted', { op: 'exists', path: 'record.industry' }, true],
    ['exists on null', { op: 'exists', path: 'record.empty', value: true }, false],
    ['exists false on a missing field', { op: 'exists', path: 'record.nope', value: false }, true],
    ['exists false on a present field', { op: 'exists', path: 'record.industry', value: false }, false],
    ['contains on a string', { op: 'contains', path: 'record.title', value: 'Solar' }, true],
    ['contains on a string, no match', { op: 'contains', path: 'record.title', value: 'wind' }, false],
    ['contains on an array', { op: 'contains', path: 'record.tags', value: 'vip' }, true],
    ['contains on an array, no match', { op: 'contains', path: 'record.tags', value: 'us' }, false],
    ['contains on a number', { op: 'contains', path: 'record.amount', value: 1 }, false],
    ['a path through a scalar', { op: 'eq', path: 'record.industry.length', value: 6 }, false],
    ['an empty and', { and: [] }, true],
    ['an empty or', { or: [] }, false],
    ['an and of two truths', { and: [{ op: 'eq', path: 'record.industry', value: 'energy' }, { op: 'gt', path: 'record.amount', value: 1 }] }, true],
    ['an and with one falsehood', { and: [{ op: 'eq', path: 'record.industry', value: 'energy' }, { op: 'gt', path: 'record.amount', value: 5000 }] }, false],
    ['an or with one truth', { or: [{ op: 'eq', path: 'record.industry', value: 'retail' }, { op: 'contains', path: 'record.tags', value: 'eu' }] }, true],
    ['nested groups', { and: [{ or: [{ op: 'eq', path: 'owner.department', value: 'x' }, { op: 'eq', path: 'user.attributes.region', value: 'north' }] }, { op: 'nin', path: 'account.industry', value: ['retail'] }] }, true],
    ['an unknown op', { op: 'regex' as never, path: 'record.industry', value: '.*' }, false],
    ['a malformed node', null as unknown as Filter, false],
    ['a malformed group', { and: 'x' } as unknown as Filter, false],
  ])('When the filter is %s, then it is %s', (_case, filter, expected) => {
    expect(evaluateFilter(filter, context)).toBe(expected);
  });

  it('When a path walks into an array index, then it reads the element', () => {
    expect(readPath(context, 'record.tags.1')).toBe('eu');
  });
});

describe('failedConditions', () => {
  const budget = { op: 'gte', path: 'record.amount', value: 5000 } as const;
  const region = { op: 'eq', path: 'user.attributes.region', value: 'south' } as const;
  const industry = { op: 'eq', path: 'record.industry', value: 'energy' } as const;

  it.each<[string, Filter | undefined, Array<{ path: string; op: string }>]>([
    ['no filter', undefined, []],
    ['a matching condition', industry, []],
    ['one failing condition', budget, [{ path: 'record.amount', op: 'gte' }]],
    ['an and with one failure', { and: [industry, budget] }, [{ path: 'record.amount', op: 'gte' }]],
    ['an and with two failures', { and: [budget, region] }, [{ path: 'record.amount', op: 'gte' }, { path: 'user.attributes.region', op: 'eq' }]],
    ['an or with one truth', { or: [budget, industry] }, []],
    ['an or with no truth', { or: [budget, region] }, [{ path: 'record.amount', op: 'gte' }, { path: 'user.attributes.region', op: 'eq' }]],
    ['a failing or inside a matching and', { and: [industry, { or: [budget] }] }, [{ path: 'record.amount', op: 'gte' }]],
    ['a malformed node', null as unknown as Filter, []],
  ])('When the filter is %s, then the failed conditions are %j', (_case, filter, expected) => {
    expect(failedConditions(filter, context)).toEqual(expected);
  });

  it('When a condition fails, then what it reports holds no value of the record', () => {
    expect(JSON.stringify(failedConditions(budget, context))).not.toContain('1200');
  });
});

describe('filterRoots', () => {
  it('When filters nest and and or, then it names the first part of every path, once', () => {
    const filters: Array<Filter | undefined> = [
      { and: [{ path: 'record.amount', op: 'gt', value: 1 }, { or: [{ path: 'account.address.country', op: 'eq', value: 'DE' }, { path: 'owner.department', op: 'exists', value: true }] }] },
      undefined,
      { path: 'account.industry', op: 'eq', value: 'utilities' },
    ];
    expect([...filterRoots(filters)].sort()).toEqual(['account', 'owner', 'record']);
  });

  it('When there is no filter, or only malformed nodes, then it names nothing', () => {
    expect(filterRoots([])).toEqual(new Set());
    expect(filterRoots([undefined, null as unknown as Filter, { and: 'x' } as unknown as Filter, { path: 3 } as unknown as Filter])).toEqual(new Set());
  });
});
