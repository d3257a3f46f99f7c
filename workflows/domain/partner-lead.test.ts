import { computeDeadline } from './deadlines';
import { planStageEntry } from './effects';
import { checkMove, initialStage } from './moves';
import { buildRecord, buildState, DAY, NOW, owner, partnerLeadDefinition, partnerUser } from './test-fixtures';
import type { RecordView } from './types';
import { SYSTEM_ACTOR } from './types';

const def = partnerLeadDefinition();
const ms = (iso: unknown) => Date.parse(String(iso));
const applied = (record: RecordView, set: Record<string, unknown>): RecordView => ({ ...record, fields: { ...record.fields, ...set } });

describe('the Partner lead template', () => {
  it('When a lead starts in Pending, then it expires exactly 7 days later', () => {
    const record = buildRecord();
    const plan = planStageEntry(def, initialStage(def).key, record, SYSTEM_ACTOR, NOW, 'ev-0');
    const deadline = computeDeadline(def, 'pending', applied(record, plan.set), NOW);
    expect(ms(plan.set.expiresAt) - ms(NOW)).toBe(7 * DAY);
    expect(deadline).toEqual({ at: plan.set.expiresAt, to: 'expired', source: 'field' });
  });

  it('When the API already set expiresAt, then the 7-day default does not overwrite it', () => {
    const record = buildRecord({ fields: { expiresAt: '2025-03-03T00:00:00.000Z' } });
    const plan = planStageEntry(def, 'pending', record, SYSTEM_ACTOR, NOW, 'ev-0');
    expect(plan.set).toEqual({});
    expect(computeDeadline(def, 'pending', record, NOW)?.at).toBe('2025-03-03T00:00:00.000Z');
  });

  it('When the partner accepts, then acceptedAt is now and the lead expires exactly 30 days later', () => {
    const acceptedAt = '2025-03-04T15:30:00.000Z';
    const record = buildRecord({ fields: { expiresAt: '2025-03-08T10:00:00.000Z' } });
    expect(checkMove(def, buildState({ stage: 'pending', record }), partnerUser, { to: 'accepted' }).ok).toBe(true);
    const plan = planStageEntry(def, 'accepted', record, partnerUser, acceptedAt, 'ev-1');
    expect(plan.set.acceptedAt).toBe(acceptedAt);
    expect(ms(plan.set.expiresAt) - ms(acceptedAt)).toBe(30 * DAY);
    expect(computeDeadline(def, 'accepted', applied(record, plan.set), acceptedAt)?.at).toBe('2025-04-03T15:30:00.000Z');
  });

  it.each([
    ['declining without a reason', 'pending', { to: 'declined' }, 'reason_required'],
    ['the owner company accepting', 'pending', { to: 'accepted' }, 'not_allowed'],
    ['converting without an opportunity', 'accepted', { to: 'converted' }, 'missing_fields'],
  ] as const)('When %s, then it is refused', (_case, stage, move, code) => {
    const actor = code === 'not_allowed' ? owner : partnerUser;
    const record = buildRecord({ fields: { acceptedAt: NOW } });
    expect(checkMove(def, buildState({ stage, record }), actor, move)).toMatchObject({ ok: false, code });
  });

  it('When the deadline passes, then the system may move the lead to Expired', () => {
    expect(checkMove(def, buildState({ stage: 'accepted' }), SYSTEM_ACTOR, { to: 'expired' }).ok).toBe(true);
  });
});
