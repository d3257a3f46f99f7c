import { computeAnalytics, percentile, type InstanceNow, type StageEvent } from './analytics';

const stages = [
  { key: 'new', name: 'New', type: 'normal' as const },
  { key: 'qualified', name: 'Qualified', type: 'normal' as const },
  { key: 'won', name: 'Won', type: 'success' as const },
  { key: 'lost', name: 'Lost', type: 'failure' as const },
];
const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
const MIN = 60_000;

describe('pipeline analytics from the audit trail', () => {
  // a: new 0 → qualified 10 → won 40. b: new 5 → qualified 25 → lost (deadline) 35. c: new 20, still there.
  // d: new before the window (−10) → qualified 30. e: cancelled in new.
  const events: StageEvent[] = [
    { instanceId: 'a', kind: 'started', to: 'new', at: at(0) },
    { instanceId: 'a', kind: 'moved', from: 'new', to: 'qualified', at: at(10) },
    { instanceId: 'a', kind: 'moved', from: 'qualified', to: 'won', at: at(40) },
    { instanceId: 'b', kind: 'started', to: 'new', at: at(5) },
    { instanceId: 'b', kind: 'moved', from: 'new', to: 'qualified', at: at(25) },
    { instanceId: 'b', kind: 'deadline_fired', from: 'qualified', to: 'lost', at: at(35) },
    { instanceId: 'c', kind: 'started', to: 'new', at: at(20) },
    { instanceId: 'd', kind: 'moved', from: 'new', to: 'qualified', at: at(30) },
    { instanceId: 'd', kind: 'started', to: 'new', at: at(-10) },
    { instanceId: 'e', kind: 'started', to: 'new', at: at(1) },
    { instanceId: 'someone-elses', kind: 'started', to: 'new', at: at(2) },
  ];
  const instances: InstanceNow[] = [
    { instanceId: 'a', stage: 'won', status: 'finished' },
    { instanceId: 'b', stage: 'lost', status: 'finished' },
    { instanceId: 'c', stage: 'new', status: 'running' },
    { instanceId: 'd', stage: 'qualified', status: 'running' },
    { instanceId: 'e', stage: 'new', status: 'cancelled' },
  ];
  const result = computeAnalytics({ stages }, instances, events, { from: at(0), to: at(60) });
  const stage = (key: string) => result.stages.find((s) => s.stage === key)!;

  it('When instances move through a window, then each stage counts the visits begun, ended and standing, as counted by hand', () => {
    expect(stage('new')).toMatchObject({ entered: 4, left: 3, leftByDeadline: 0, now: 1 });
    expect(stage('qualified')).toMatchObject({ entered: 3, left: 2, leftByDeadline: 1, now: 1 });
    expect(stage('won')).toMatchObject({ entered: 1, left: 0, now: 1 });
    expect(stage('lost')).toMatchObject({ entered: 1, left: 0, now: 1 });
  });

  it('When visits end, then conversion shares and time in stage come from those visits (the one begun before the window too)', () => {
    expect(stage('new').next).toEqual([{ stage: 'qualified', count: 3, rate: 1 }]);
    // new: a 10 min, b 20 min, d 40 min. qualified: a 30 min, b 10 min.
    expect(stage('new').timeInStage).toEqual({ medianMs: 20 * MIN, p90Ms: 40 * MIN });
    expect(stage('qualified').next).toEqual([{ stage: 'lost', count: 1, rate: 0.5 }, { stage: 'won', count: 1, rate: 0.5 }]);
    expect(stage('qualified').timeInStage).toEqual({ medianMs: 10 * MIN, p90Ms: 30 * MIN });
    expect(stage('won').timeInStage).toEqual({ medianMs: null, p90Ms: null });
  });

  it('When instances reach outcomes, then each outcome has its count and share, and the median time to an outcome', () => {
    expect(result.outcomes).toEqual([
      { stage: 'won', name: 'Won', type: 'success', count: 1, share: 0.5 },
      { stage: 'lost', name: 'Lost', type: 'failure', count: 1, share: 0.5 },
    ]);
    // a: 40 min, b: 30 min → nearest-rank median 30 min.
    expect(result.timeToOutcome).toEqual({ count: 2, medianMs: 30 * MIN });
  });

  it('When the window ends before the moves, then only what happened inside it counts', () => {
    const early = computeAnalytics({ stages }, instances, events, { from: at(0), to: at(15) });
    const find = (key: string) => early.stages.find((s) => s.stage === key)!;
    expect(find('new')).toMatchObject({ entered: 3, left: 1 });
    expect(find('qualified')).toMatchObject({ entered: 1, left: 0 });
    expect(early.outcomes.map((o) => o.count)).toEqual([0, 0]);
    expect(early.timeToOutcome).toEqual({ count: 0, medianMs: null });
  });

  it.each([
    [[], 50, null],
    [[5], 90, 5],
    [[1, 2, 3, 4], 50, 2],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9],
  ])('When the values are %j, then the nearest-rank p%i is %s', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });
});
