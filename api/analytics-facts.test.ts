import { applyEvents, decodeFacts, encodeFacts, standingOf, type FactEvent, type InstanceCursor, type StageFact } from '../lib/stage-facts';
import { computeAnalytics, type InstanceNow, type StageEvent } from './analytics';
import { analyticsFromFacts } from './analytics-facts';

const stages = [
  { key: 'new', name: 'New', type: 'normal' as const },
  { key: 'qualified', name: 'Qualified', type: 'normal' as const },
  { key: 'won', name: 'Won', type: 'success' as const },
  { key: 'lost', name: 'Lost', type: 'failure' as const },
];
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

/** A small deterministic generator (mulberry32), so a failing case can be replayed from its seed. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Instances wandering between stages (re-entries, outcomes left again, restarts, cancellations), each event an hour or more apart. */
function world(seed: number): { events: FactEvent[]; instances: InstanceNow[] } {
  const rnd = random(seed);
  const events: FactEvent[] = [];
  const instances: InstanceNow[] = [];
  for (let i = 0; i < 40; i += 1) {
    const instanceId = `i${i}`;
    let at = T0 + Math.floor(rnd() * 200) * HOUR;
    let stage: string | undefined;
    let cancelled = false;
    const steps = 1 + Math.floor(rnd() * 6);
    for (let seq = 1; seq <= steps; seq += 1) {
      at += (1 + Math.floor(rnd() * 48)) * HOUR;
      const roll = rnd();
      const base = { eventId: `${instanceId}#${seq}`, instanceId, seq, at: new Date(at).toISOString() };
      if (stage !== undefined && roll < 0.1) {
        events.push({ ...base, kind: 'cancelled', stage });
        cancelled = true;
        break;
      }
      const to = stage === undefined || roll < 0.15 ? 'new' : stages[Math.floor(rnd() * stages.length)]!.key;
      const restart = stage !== undefined && to === 'new' && roll < 0.15;
      const kind = restart ? 'started' : stage === undefined ? 'started' : rnd() < 0.3 ? 'deadline_fired' : 'moved';
      events.push({ ...base, kind, ...(stage !== undefined && !restart ? { from: stage } : {}), to });
      stage = to;
    }
    instances.push({ instanceId, stage: stage ?? 'new', status: cancelled ? 'cancelled' : 'running' });
  }
  return { events, instances };
}

describe('analytics from rollup facts', () => {
  it.each(Array.from({ length: 30 }, (_, s) => s + 1))('When instances wander (seed %i), then the facts answer exactly what the audit trail answers, for any window', (seed) => {
    const { events, instances } = world(seed);
    const byInstance = new Map<string, FactEvent[]>();
    for (const e of events) byInstance.set(e.instanceId, [...(byInstance.get(e.instanceId) ?? []), e]);
    const facts: StageFact[] = [];
    const cursors: InstanceCursor[] = [];
    for (const list of byInstance.values()) {
      const applied = applyEvents(undefined, list);
      facts.push(...applied.facts);
      if (applied.cursor) cursors.push(applied.cursor);
    }
    const rnd = random(seed * 7919);
    for (let w = 0; w < 5; w += 1) {
      const a = T0 + Math.floor(rnd() * 400) * HOUR;
      const b = a + Math.floor(rnd() * 300) * HOUR;
      const window = { from: new Date(a).toISOString(), to: new Date(b).toISOString() };
      const trail: StageEvent[] = events.filter((e) => e.to !== undefined && Date.parse(e.at) < b);
      const packed = decodeFacts(encodeFacts(facts));
      expect(analyticsFromFacts({ stages }, packed, standingOf(cursors), window)).toEqual(computeAnalytics({ stages }, instances, trail, window));
    }
  });
});
