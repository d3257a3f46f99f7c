import { BSON, type CommandStartedEvent, type Document } from 'mongodb';
import { COLLECTIONS } from '../../activities/store';
import { uid } from '../support/factories';
import { startHarness, type Harness } from '../support/harness';

/**
 * The rollup's cost follows the data, not the history: no document grows with
 * the pipeline's instances, a fold cut off anywhere and run again answers what
 * an uncut fold answers, 1.1's cursor shards are converted once, and an
 * instance's events are read by their ids.
 */
describe('the analytics rollup at scale', () => {
  let h: Harness;
  const commands: CommandStartedEvent[] = [];
  const company = uid('cmp');
  const HOUR = 3_600_000;
  const t0 = Date.UTC(2026, 3, 1);
  const iso = (ms: number) => new Date(ms).toISOString();
  const window = { from: iso(t0), to: iso(t0 + 30 * 24 * HOUR) };

  beforeAll(async () => {
    h = await startHarness({ worker: false, api: false, onCommand: (e) => void commands.push(e) });
  });
  afterAll(async () => h?.stop());

  /** Instance i starts in Open; even ones are won an hour later, every third is cancelled after that. */
  async function noteLeads(key: string, from: number, to: number): Promise<void> {
    for (let i = from; i < to; i += 1) {
      const id = `${key}:i${i}`;
      const at = t0 + i * 60_000;
      const notes = [h.stores.rollup.note({ event: { eventId: `${id}:c:1`, instanceId: id, pipelineKey: key, kind: 'started', to: 'open', at: iso(at) }, instance: { companyId: company, stage: 'open', seq: 1 } })];
      if (i % 2 === 0) notes.push(h.stores.rollup.note({ event: { eventId: `${id}:c:2`, instanceId: id, pipelineKey: key, kind: 'moved', from: 'open', to: 'won', at: iso(at + HOUR) }, instance: { companyId: company, stage: 'won', seq: 2 } }));
      if (i % 3 === 0) notes.push(h.stores.rollup.note({ event: { eventId: `${id}:c:3`, instanceId: id, pipelineKey: key, kind: 'cancelled', at: iso(at + 2 * HOUR) }, instance: { companyId: company, stage: i % 2 === 0 ? 'won' : 'open', seq: 3 } }));
      await Promise.all(notes);
    }
  }
  const standingDoc = (key: string) => h.db.collection(COLLECTIONS.analyticsStanding).findOne({ _id: `${company}/${key}` } as never);

  it('When ten times as many instances are folded, then the standing counts document keeps its size and no document holds every instance', async () => {
    const key = uid('grow');
    await noteLeads(key, 0, 30);
    await h.stores.rollup.fold(company, key);
    const digits = (doc: Document) => Object.values(JSON.parse(doc.standing as string) as Record<string, number>).join('').length;
    const smallDoc = (await standingDoc(key))!;
    const small = BSON.calculateObjectSize(smallDoc);
    await noteLeads(key, 30, 300);
    await h.stores.rollup.fold(company, key);
    const largeDoc = (await standingDoc(key))!;
    // The same stages: only the counts' digits may lengthen (143 and 145 bytes here for 30 and 300 instances).
    expect(BSON.calculateObjectSize(largeDoc) - small).toBe(digits(largeDoc) - digits(smallDoc));
    const { standing } = await h.stores.rollup.read(company, key, window);
    // Every instance not cancelled (every third is) stands in Won (even index) or Open (odd).
    const expected = new Map<string, number>();
    for (let i = 0; i < 300; i += 1) if (i % 3 !== 0) expected.set(i % 2 === 0 ? 'won' : 'open', (expected.get(i % 2 === 0 ? 'won' : 'open') ?? 0) + 1);
    expect(standing).toEqual(expected);
    // One small document per instance, none per pipeline holding them all.
    const cursor = await h.db.collection(COLLECTIONS.analyticsInstanceCursors).findOne({ _id: `${company}/${key}|${key}:i299` } as never);
    expect(BSON.calculateObjectSize(cursor!)).toBeLessThan(300);
    expect(await h.db.collection(COLLECTIONS.analyticsCursors).findOne({ _id: `${company}/${key}#0` } as never)).toBeNull();
  });

  it.each(['pass', 'days', 'cursors', 'standing'] as const)('When a fold is cut off after its %s write and run again, then the answer is the uncut fold’s', async (after) => {
    const whole = uid('whole');
    const cut = uid('cut');
    await noteLeads(whole, 0, 40);
    await noteLeads(cut, 0, 40);
    await h.stores.rollup.fold(company, whole);
    expect(await h.stores.rollup.foldCutOff(company, cut, after)).toBe(40 + 20 + 14);
    // The same stage changes noted again (activities retried meanwhile) must not count twice either.
    await noteLeads(cut, 0, 40);
    const strip = (r: Awaited<ReturnType<typeof h.stores.rollup.read>>) => ({ standing: r.standing, facts: r.facts.map(({ instanceId, eventId, ...f }) => ({ ...f, instanceId: instanceId.split(':').at(-1), eventId: eventId.split(':').slice(-2).join(':') })) });
    const expected = strip(await h.stores.rollup.read(company, whole, window));
    const got = strip(await h.stores.rollup.read(company, cut, window));
    const order = (x: ReturnType<typeof strip>) => ({ ...x, facts: [...x.facts].sort((a, b) => a.at - b.at || a.eventId.localeCompare(b.eventId)) });
    expect(order(got)).toEqual(order(expected));
    expect(got.facts).toHaveLength(74);
    expect(await h.db.collection(COLLECTIONS.analyticsPasses).findOne({ _id: `${company}/${cut}` } as never)).toBeNull();
  });

  it("When a pipeline has 1.1's cursor shards, then its first fold converts them into cursors and counts once, and removes the shards", async () => {
    const key = uid('legacy');
    const pid = `${company}/${key}`;
    const cursor = (stage: string, cancelled = false) => ({ startedAt: t0, lastAt: t0, stage, seen: [stage], cancelled, last: [t0, 1] });
    await h.db.collection(COLLECTIONS.analyticsCursors).insertMany([
      { _id: `${pid}#3`, companyId: company, pipelineKey: key, cursors: JSON.stringify({ a: cursor('open'), b: cursor('won'), c: cursor('open', true) }) },
      { _id: `${pid}#9`, companyId: company, pipelineKey: key, cursors: JSON.stringify({ d: cursor('open') }) },
    ] as never[]);
    // A later step of instance a, noted after the upgrade: its fact looks back on the converted cursor.
    await h.stores.rollup.note({ event: { eventId: 'a:c:2', instanceId: 'a', pipelineKey: key, kind: 'moved', from: 'open', to: 'won', at: iso(t0 + HOUR) }, instance: { companyId: company, stage: 'won', seq: 2 } });
    const { standing, facts } = await h.stores.rollup.read(company, key, window);
    expect(standing).toEqual(new Map([['open', 1], ['won', 2]]));
    expect(facts).toEqual([expect.objectContaining({ eventId: 'a:c:2', enteredAt: t0, startedAt: t0, seen: ['open'] })]);
    expect(await h.db.collection(COLLECTIONS.analyticsCursors).countDocuments({ pipelineKey: key })).toBe(0);
    await h.stores.rollup.fold(company, key);
    expect((await h.stores.rollup.read(company, key, window)).standing).toEqual(standing);
  });

  it("When an instance's events are read, then every command on the events collection filters on `_id` alone", async () => {
    const instanceId = uid('inst');
    for (const [chain, seqs] of [['c1', 3], ['c2', 2]] as const) {
      for (let s = 1; s <= seqs; s += 1) {
        await h.stores.events.append({ eventId: `${instanceId}:${chain}:${s}`, instanceId, recordId: 'r', pipelineKey: 'p', kind: 'moved', to: 'open', actor: { kind: 'system', userId: 'system' }, at: iso(t0 + (chain === 'c1' ? 0 : HOUR) + s) } as never);
      }
    }
    commands.length = 0;
    const events = await h.stores.events.forChains(instanceId, { c1: 3, c2: 2 });
    expect(events.map((e) => e.eventId)).toEqual([1, 2, 3].map((s) => `${instanceId}:c1:${s}`).concat([1, 2].map((s) => `${instanceId}:c2:${s}`)));
    const onEvents = commands.filter((c) => c.commandName === 'find' && c.command.find === COLLECTIONS.events);
    expect(onEvents).toHaveLength(5);
    for (const c of onEvents) expect(Object.keys(c.command.filter as Document)).toEqual(['_id']);
    expect(onEvents.every((c) => typeof (c.command.filter as Document)._id === 'string')).toBe(true);
  });
});
