import { applyEvents, type FactEvent, type StageFact } from '../lib/stage-facts';
import { computeScorecard } from './scorecard';

const stages = { pending: 'pending', accepted: 'accepted', declined: 'declined', expired: 'expired', converted: 'closed_converted' };
const at = (hour: number) => new Date(Date.UTC(2026, 0, 1, hour)).toISOString();
const HOUR = 3_600_000;

/** One lead's path: [kind, to, hour, partner after the step]. */
function lead(id: string, path: Array<[string, string, number, string]>): StageFact[] {
  let from: string | undefined;
  const events: FactEvent[] = path.map(([kind, to, hour, partnerCompanyId], i) => {
    const e: FactEvent = { eventId: `${id}:${i + 1}`, instanceId: id, seq: i + 1, kind, ...(from ? { from } : {}), to, at: at(hour), partnerCompanyId };
    from = to;
    return e;
  });
  return applyEvents(undefined, events).facts;
}

describe('the partner scorecard', () => {
  const facts = [
    // A: accepts after 2 h, converts 10 h later; accepts after 4 h, converts 20 h later; declines one; one expires.
    ...lead('l1', [['started', 'pending', 0, 'A'], ['moved', 'accepted', 2, 'A'], ['moved', 'closed_converted', 12, 'A']]),
    ...lead('l2', [['started', 'pending', 1, 'A'], ['moved', 'accepted', 5, 'A'], ['moved', 'closed_converted', 25, 'A']]),
    ...lead('l3', [['started', 'pending', 2, 'A'], ['moved', 'declined', 3, 'A']]),
    ...lead('l4', [['started', 'pending', 3, 'A'], ['deadline_fired', 'expired', 10, 'A']]),
    // B: one expired lead, then reassigned to A (received by A again) and accepted after 1 h.
    ...lead('l5', [['started', 'pending', 0, 'B'], ['deadline_fired', 'expired', 6, 'B'], ['moved', 'pending', 7, 'A'], ['moved', 'accepted', 8, 'A']]),
    // C: received before the window and accepted inside it: its whole wait counts.
    ...lead('l6', [['started', 'pending', -5, 'C'], ['moved', 'accepted', 1, 'C']]),
  ];

  it('When partners receive, accept, decline, let expire and convert leads, then each row matches the hand count', () => {
    const rows = computeScorecard(facts, stages, { from: at(0), to: at(48) });
    expect(rows).toEqual([
      { partnerCompanyId: 'A', received: 5, accepted: 3, declined: 1, expired: 1, converted: 2, acceptanceRate: 0.6, conversionRate: 0.6667, medianTimeToAcceptMs: 2 * HOUR, medianAcceptToConvertMs: 10 * HOUR },
      { partnerCompanyId: 'B', received: 1, accepted: 0, declined: 0, expired: 1, converted: 0, acceptanceRate: 0, conversionRate: 0, medianTimeToAcceptMs: null, medianAcceptToConvertMs: null },
      { partnerCompanyId: 'C', received: 0, accepted: 1, declined: 0, expired: 0, converted: 0, acceptanceRate: 0, conversionRate: 0, medianTimeToAcceptMs: 6 * HOUR, medianAcceptToConvertMs: null },
    ]);
  });

  it('When the window ends early, then only what happened inside it counts', () => {
    const rows = computeScorecard(facts, stages, { from: at(0), to: at(4) });
    expect(rows.find((r) => r.partnerCompanyId === 'A')).toMatchObject({ received: 4, accepted: 1, declined: 1, expired: 0, converted: 0 });
  });
});
