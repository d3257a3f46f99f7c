import { checkMove, isTerminalStage, planStageEntry, validateDefinition } from '..';
import { buildActor, buildRecord, buildState, DAY, NOW } from '../test-fixtures';
import { startSearchAttributes } from '../../search-attributes';
import { opportunityPropulsionTemplate } from './opportunity-propulsion';
import { LEAD_STAGES, partnerLeadTemplate } from './partner-lead';

const lead = partnerLeadTemplate();
const record = buildRecord({ companyId: 'c-source', partnerCompanyId: 'c-partner', fields: {} });
const partner = buildActor({ userId: 'u-partner', companyId: 'c-partner', roles: ['partner_user'] });
const sourcing = buildActor({ userId: 'u-sales', companyId: 'c-source', roles: ['sales'] });
const system = buildActor({ kind: 'system', userId: 'system', companyId: undefined });
const at = (stage: string, fields: Record<string, unknown> = {}) =>
  buildState({ stage, record: { ...record, fields: { ...fields, status: stage } } });

describe('the built-in templates', () => {
  it('When the templates are checked, then they are valid definitions', () => {
    expect(validateDefinition(lead)).toEqual([]);
    expect(validateDefinition(opportunityPropulsionTemplate())).toEqual([]);
  });

  it('When the partner lead template is read, then Pending and Accepted remind 24 hours before their expiry, and no other stage does', () => {
    const reminding = lead.stages.filter((stage) => stage.reminders).map((stage) => [stage.key, stage.reminders, stage.deadline?.atField]);
    expect(reminding).toEqual([
      [LEAD_STAGES.pending, [{ before: '24h' }], 'expiresAt'],
      [LEAD_STAGES.accepted, [{ before: '24h' }], 'expiresAt'],
    ]);
  });

  it('When a lead enters Pending, then it expires 7 days later unless a date was given; accepting resets it to 30 days', () => {
    const pending = planStageEntry(lead, LEAD_STAGES.pending, record, sourcing, NOW, 'e1');
    expect(Date.parse(String(pending.set.expiresAt)) - Date.parse(NOW)).toBe(7 * DAY);
    const given = planStageEntry(lead, LEAD_STAGES.pending, { ...record, fields: { expiresAt: '2030-01-01T00:00:00.000Z' } }, sourcing, NOW, 'e1');
    expect(given.set.expiresAt).toBeUndefined();
    const accepted = planStageEntry(lead, LEAD_STAGES.accepted, record, partner, NOW, 'e2');
    expect(Date.parse(String(accepted.set.expiresAt)) - Date.parse(NOW)).toBe(30 * DAY);
    expect(accepted.set).toMatchObject({ acceptedAt: NOW, acceptedBy: 'u-partner' });
    expect(accepted.privateFields).toEqual([]);
    expect(pending.privateFields).toEqual(expect.arrayContaining(['amount']));
  });

  it('When a lead is created, then its instance starts with the search attributes of Pending, its 7-day deadline included', () => {
    const version = { ...lead, version: 1, publishedAt: NOW };
    const attrs = Object.fromEntries(startSearchAttributes(version, record, { actor: sourcing, at: NOW }).map((p) => [p.key.name, p.value]));
    expect(attrs).toMatchObject({ Stage: 'Pending', StageType: 'normal', PartnerCompanyId: 'c-partner' });
    expect((attrs.DeadlineAt as Date).getTime() - Date.parse(NOW)).toBe(7 * DAY);
    // Started at no known time (not by a create): the first step arms the deadline and writes it.
    expect(startSearchAttributes(version, record).map((p) => p.key.name)).not.toContain('DeadlineAt');
  });

  it.each([
    ['the partner accepts a pending lead', at('pending'), partner, { to: LEAD_STAGES.accepted }, 'ok'],
    ['the sourcing company accepts it', at('pending'), sourcing, { to: LEAD_STAGES.accepted }, 'not_allowed'],
    ['the partner converts a pending lead', at('pending'), partner, { to: LEAD_STAGES.converted, fields: { opportunityId: 'o1' } }, 'invalid_transition'],
    ['the partner converts an accepted lead', at('accepted'), partner, { to: LEAD_STAGES.converted, fields: { opportunityId: 'o1' } }, 'ok'],
    ['the partner converts without an opportunity', at('accepted'), partner, { to: LEAD_STAGES.converted }, 'missing_fields'],
    ['the partner closes a pending lead', at('pending'), partner, { to: LEAD_STAGES.notConverted, reason: 'x', fields: { closeReason: 'x' } }, 'invalid_transition'],
    ['the partner declines without a reason', at('pending'), partner, { to: LEAD_STAGES.declined }, 'reason_required'],
    ['the partner moves a lead to Expired', at('pending'), partner, { to: LEAD_STAGES.expired }, 'not_allowed'],
    ['the deadline expires a pending lead', at('pending'), system, { to: LEAD_STAGES.expired }, 'ok'],
    ['the sourcing company reassigns an expired lead', at('expired'), sourcing, { to: LEAD_STAGES.pending }, 'ok'],
    ['the partner reopens an expired lead', at('expired'), partner, { to: LEAD_STAGES.pending }, 'not_allowed'],
    ['the sourcing company reopens an accepted lead', at('accepted'), sourcing, { to: LEAD_STAGES.pending }, 'invalid_transition'],
  ])('When %s, then the answer is %s', (_case, state, actor, move, expected) => {
    const check = checkMove(lead, state, actor, move);
    expect(check.ok ? 'ok' : check.code).toBe(expected);
  });

  it.each([
    [LEAD_STAGES.pending, false],
    [LEAD_STAGES.accepted, false],
    [LEAD_STAGES.declined, true],
    [LEAD_STAGES.expired, true],
    [LEAD_STAGES.converted, true],
    [LEAD_STAGES.notConverted, true],
  ])('When a lead enters %s, then its run finishes: %s (a reassignment reopens it in a new run)', (stage, terminal) => {
    expect(isTerminalStage(lead, stage)).toBe(terminal);
  });

  it('When an opportunity is lost, then its run finishes, and the policy still lets it be reactivated', () => {
    const opportunity = opportunityPropulsionTemplate();
    expect(isTerminalStage(opportunity, 'lost')).toBe(true);
    expect(opportunity.policy.reactivatable).toBe(true);
  });
});
