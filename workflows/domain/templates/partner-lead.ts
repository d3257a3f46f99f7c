import type { PipelineDefinition } from '../types';

export const PARTNER_LEAD_KEY = 'partner-lead';

/** Stage keys of the template; the partner routes move between them. */
export const LEAD_STAGES = {
  pending: 'pending',
  accepted: 'accepted',
  declined: 'declined',
  expired: 'expired',
  converted: 'closed_converted',
  notConverted: 'closed_not_converted',
} as const;

export interface PartnerLeadPolicy {
  key?: string;
  /** How long a partner has to accept a new lead (program policy; default 7 days). */
  acceptWithin?: string;
  /** How long after accepting it has to convert or close (default 30 days). */
  convertWithin?: string;
  /** How long before each expiry the lead raises deadline.approaching (default 24 hours). */
  remindBefore?: string;
  /** The lead field that mirrors the stage (default `status`); a second program on leads needs a field of its own. */
  stageField?: string;
}

const partner = { partnerCompany: true };
const sourcing = { ownerCompany: true };
/** Lead fields the partner does not see until it accepts the lead. */
const PRIVATE_UNTIL_ACCEPTED = ['amount', 'contactPhone', 'internalNotes'];

/**
 * The Partner lead program (seed 003) as a pipeline definition: Pending →
 * Accepted | Declined | Expired; Accepted → Closed-Converted | Closed-Not
 * Converted | Expired. Only the assigned partner company moves it; the deadline
 * is the lead's `expiresAt`; the sourcing company can reassign an expired or
 * declined lead, which starts it over in Pending with a fresh deadline.
 */
export function partnerLeadTemplate(policy: PartnerLeadPolicy = {}): PipelineDefinition {
  const acceptWithin = policy.acceptWithin ?? '7d';
  const convertWithin = policy.convertWithin ?? '30d';
  const REMIND_BEFORE = policy.remindBefore ?? '24h';
  return {
    key: policy.key ?? PARTNER_LEAD_KEY,
    name: 'Partner lead',
    description: 'Leads sent to partner companies: accept or decline within the program window, then convert or close.',
    objectType: 'lead',
    stageField: policy.stageField ?? 'status',
    trigger: { onCreate: true, manual: true, reinitiate: false },
    filter: { op: 'exists', path: 'record.partnerCompanyId', value: true },
    multipleRuns: true,
    policy: { reversible: true, skippable: true, repeatable: true, reactivatable: true },
    interconnection: { enabled: true },
    stages: [
      {
        key: LEAD_STAGES.pending,
        name: 'Pending',
        type: 'normal',
        initial: true,
        rules: { from: [LEAD_STAGES.expired, LEAD_STAGES.declined], enter: sourcing },
        effects: {
          setFields: [{ field: 'expiresAt', value: { kind: 'now', offset: acceptWithin }, onlyIfEmpty: true }],
          // A declined lead reassigned to another partner is live again.
          archive: false,
          privateFields: PRIVATE_UNTIL_ACCEPTED,
        },
        deadline: { atField: 'expiresAt', to: LEAD_STAGES.expired },
        // The partner hears a day before the lead expires (not at all when it expires sooner than that).
        reminders: [{ before: REMIND_BEFORE }],
      },
      {
        key: LEAD_STAGES.accepted,
        name: 'Accepted',
        type: 'normal',
        rules: { from: [LEAD_STAGES.pending], enter: partner },
        effects: {
          setFields: [
            { field: 'acceptedAt', value: { kind: 'now' } },
            { field: 'acceptedBy', value: { kind: 'actor' } },
            { field: 'expiresAt', value: { kind: 'now', offset: convertWithin } },
          ],
          privateFields: [],
        },
        deadline: { atField: 'expiresAt', to: LEAD_STAGES.expired },
        // The partner hears a day before the lead expires (not at all when it expires sooner than that).
        reminders: [{ before: REMIND_BEFORE }],
      },
      {
        key: LEAD_STAGES.declined,
        name: 'Declined',
        type: 'failure',
        rules: { from: [LEAD_STAGES.pending], enter: partner, back: sourcing, requireReason: true, requiredFields: ['declineReason'] },
        effects: { setFields: [{ field: 'declinedAt', value: { kind: 'now' } }], archive: true, privateFields: PRIVATE_UNTIL_ACCEPTED },
      },
      {
        key: LEAD_STAGES.expired,
        name: 'Expired',
        type: 'failure',
        // Only the deadline (the system) moves a lead here.
        rules: { from: [LEAD_STAGES.pending, LEAD_STAGES.accepted], enter: {}, back: sourcing },
        effects: { setFields: [{ field: 'expiredAt', value: { kind: 'now' } }], privateFields: PRIVATE_UNTIL_ACCEPTED },
      },
      {
        key: LEAD_STAGES.converted,
        name: 'Closed-Converted',
        type: 'success',
        rules: { from: [LEAD_STAGES.accepted], enter: partner, requiredFields: ['opportunityId'] },
        effects: { setFields: [{ field: 'convertedAt', value: { kind: 'now' } }] },
      },
      {
        key: LEAD_STAGES.notConverted,
        name: 'Closed-Not Converted',
        type: 'failure',
        rules: { from: [LEAD_STAGES.accepted], enter: partner, requireReason: true, requiredFields: ['closeReason'] },
        effects: { setFields: [{ field: 'closedAt', value: { kind: 'now' } }] },
      },
    ],
  };
}
