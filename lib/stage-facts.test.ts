import { applyEvent, applyEvents, dayOf, decodeFacts, encodeFacts, foldBatch, standingOf, withDelta, type FactEvent } from './stage-facts';

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
const ev = (seq: number, minute: number, rest: Partial<FactEvent>): FactEvent => ({ eventId: `a#${seq}`, instanceId: 'a', seq, kind: 'moved', at: at(minute), ...rest });

describe('the rollup facts of one instance', () => {
  const started = ev(1, 0, { kind: 'started', to: 'pending', partnerCompanyId: 'cmp_a' });
  const accepted = ev(2, 10, { from: 'pending', to: 'accepted', partnerCompanyId: 'cmp_a' });
  const expired = ev(3, 40, { kind: 'deadline_fired', from: 'accepted', to: 'expired' });

  it('When events are applied in any order, then each fact remembers its entry, start and the stages seen before a first entry', () => {
    const { facts, cursor } = applyEvents(undefined, [expired, started, accepted]);
    expect(facts.map((f) => [f.to, f.enteredAt, f.startedAt, f.seen])).toEqual([
      ['pending', undefined, Date.parse(at(0)), []],
      ['accepted', Date.parse(at(0)), Date.parse(at(0)), ['pending']],
      ['expired', Date.parse(at(10)), Date.parse(at(0)), ['pending', 'accepted']],
    ]);
    expect(facts[1]).toMatchObject({ partnerCompanyId: 'cmp_a', kind: 'moved' });
    expect(cursor).toMatchObject({ stage: 'expired', lastAt: Date.parse(at(40)), cancelled: false });
  });

  it('When an event is applied again (a retried activity), or one older than the newest applied, then it adds no fact', () => {
    const once = applyEvents(undefined, [started, accepted]);
    expect(applyEvent(once.cursor, accepted)).toBeUndefined();
    expect(applyEvent(once.cursor, started)).toBeUndefined();
    expect(applyEvents(undefined, [started, accepted, accepted, started]).facts).toHaveLength(2);
  });

  it('When a stage is entered again, then the fact says so by carrying no stages seen, and a cancellation stops the instance standing', () => {
    const back = ev(3, 20, { from: 'accepted', to: 'pending' });
    const cancel = ev(4, 30, { kind: 'cancelled', stage: 'pending' });
    const { facts, cursor } = applyEvents(undefined, [started, accepted, back, cancel]);
    expect(facts[2]).not.toHaveProperty('seen');
    expect(facts[3]).toMatchObject({ kind: 'cancelled', from: 'pending' });
    expect(facts[3]).not.toHaveProperty('to');
    expect(standingOf([cursor!])).toEqual(new Map());
    expect(standingOf([applyEvents(undefined, [started]).cursor!, applyEvents(undefined, [started, accepted]).cursor!])).toEqual(
      new Map([['pending', 1], ['accepted', 1]]),
    );
  });

  it('When facts are packed into a day string and read back, then nothing changes, and the day is the UTC date', () => {
    const { facts } = applyEvents(undefined, [started, accepted, expired]);
    expect(decodeFacts(encodeFacts(facts))).toEqual(facts);
    expect(dayOf(Date.parse('2026-03-01T23:59:59.999Z'))).toBe('2026-03-01');
  });
});

describe('a fold batch over the cursors of the instances it touches', () => {
  const on = (instanceId: string, seq: number, minute: number, rest: Partial<FactEvent>): FactEvent => ({ ...ev(seq, minute, rest), eventId: `${instanceId}#${seq}`, instanceId });
  const a1 = on('a', 1, 0, { kind: 'started', to: 'pending' });
  const a2 = on('a', 2, 5, { from: 'pending', to: 'accepted' });
  const b1 = on('b', 1, 1, { kind: 'started', to: 'pending' });
  const b2 = on('b', 2, 9, { kind: 'cancelled', stage: 'pending' });

  it.each([
    ['two new instances, one moved on', new Map(), [['a', [a1, a2]], ['b', [b1]]], [['accepted', 1], ['pending', 1]]],
    ['a cancellation of one already standing', new Map([['b', applyEvents(undefined, [b1]).cursor!]]), [['b', [b2]]], [['pending', -1]]],
    ['a move of one already standing', new Map([['a', applyEvents(undefined, [a1]).cursor!]]), [['a', [a2]]], [['pending', -1], ['accepted', 1]]],
    ['a batch the cursors took already (a fold run again)', new Map([['a', applyEvents(undefined, [a1, a2]).cursor!]]), [['a', [a1, a2]]], []],
  ] as const)('When it folds %s, then the standing counts change by exactly that', (_case, cursors, batch, delta) => {
    const folded = foldBatch(cursors, new Map(batch.map(([id, events]) => [id, [...events]])));
    expect(folded.delta).toEqual(new Map(delta));
    if (delta.length === 0) expect(folded.facts).toEqual([]);
  });

  it('When a delta is added to the counts, then a stage left at zero is dropped and the counts equal those of the cursors', () => {
    const before = [applyEvents(undefined, [a1]).cursor!, applyEvents(undefined, [b1]).cursor!];
    const folded = foldBatch(new Map([['a', before[0]!], ['b', before[1]!]]), new Map([['a', [a2]], ['b', [b2]]]));
    const after = withDelta(standingOf(before), folded.delta);
    expect(after).toEqual(standingOf([...folded.cursors.values()]));
    expect(after).toEqual(new Map([['accepted', 1]]));
    expect([...after.keys()]).not.toContain('pending');
  });
});
