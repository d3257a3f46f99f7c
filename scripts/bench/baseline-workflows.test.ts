import { startAttributes, stepAttributes, type LifecycleInput } from './baseline-workflows';

const DAY = 86_400_000;
const plain = (pairs: ReadonlyArray<{ key: { name: string }; value: unknown }> | undefined) =>
  pairs?.map(({ key, value }) => [key.name, value instanceof Date ? value.getTime() : value]);

describe('the indexed baseline upserts what a Propeller step changes', () => {
  const lifecycle: LifecycleInput = { steps: 2, deadlineMs: 7 * DAY, indexed: true };

  it('When a step arms a deadline, then it upserts Stage and DeadlineAt; the last step Stage and StageType', () => {
    expect(plain(stepAttributes(lifecycle, 1, 0))).toEqual([['Stage', 'Step 1'], ['DeadlineAt', 7 * DAY]]);
    expect(plain(stepAttributes(lifecycle, 2, 0))).toEqual([['Stage', 'Done'], ['StageType', 'success']]);
  });

  it('When an indexed run starts, then its starter sets Stage, StageType and the first deadline; an open-ended one upserts no StageType', () => {
    expect(plain(startAttributes(lifecycle, 10))).toEqual([['Stage', 'Start'], ['StageType', 'normal'], ['DeadlineAt', 10 + 7 * DAY]]);
    const open: LifecycleInput = { steps: 0, deadlineMs: 0, indexed: true };
    expect(plain(stepAttributes(open, 5, 0))).toEqual([['Stage', 'Step 5']]);
  });

  it('When the run is not indexed, then nothing is set or upserted', () => {
    const bare: LifecycleInput = { steps: 2, deadlineMs: 7 * DAY };
    expect(startAttributes(bare, 0)).toBeUndefined();
    expect(stepAttributes(bare, 1, 0)).toEqual([]);
  });
});
