import { changedFixedFields, stageFieldHolder, type StageFieldClaim } from './stage-field';

const deals: StageFieldClaim = { key: 'deals', objectType: 'opportunity', stageField: 'stage' };

describe('changedFixedFields', () => {
  it.each<[string, StageFieldClaim, string[]]>([
    ['the same type and field', { ...deals }, []],
    ['another stage field', { ...deals, stageField: 'phase' }, ['stageField']],
    ['another object type', { ...deals, objectType: 'lead' }, ['objectType']],
    ['both', { key: 'deals', objectType: 'lead', stageField: 'phase' }, ['objectType', 'stageField']],
  ])('When a published pipeline is edited with %s, then the changed fixed fields are %j', (_case, edited, expected) => {
    expect(changedFixedFields(deals, edited)).toEqual(expected);
  });
});

describe('stageFieldHolder', () => {
  it.each<[string, StageFieldClaim[], string | undefined]>([
    ['no other pipeline', [], undefined],
    ['itself only (a re-publish)', [deals], undefined],
    ['another on the same type and field', [{ key: 'other', objectType: 'opportunity', stageField: 'stage' }], 'other'],
    ['another on the same type, another field', [{ key: 'other', objectType: 'opportunity', stageField: 'phase' }], undefined],
    ['another on another type, same field', [{ key: 'other', objectType: 'lead', stageField: 'stage' }], undefined],
  ])('When the enabled pipelines are %s, then the holder is %s', (_case, enabled, expected) => {
    expect(stageFieldHolder(deals, enabled)).toBe(expected);
  });
});
