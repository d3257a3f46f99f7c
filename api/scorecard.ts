import type { StageFact } from '../lib/stage-facts';
import { percentile, type Window } from './analytics';

/** The Partner lead template's stage keys (workflows/domain/templates/partner-lead.ts); every company's program keeps them. */
export interface LeadStages {
  pending: string;
  accepted: string;
  declined: string;
  expired: string;
  converted: string;
}

export interface PartnerRow {
  partnerCompanyId: string;
  /** Leads that entered Pending for this partner in the window (new, or reassigned to it). */
  received: number;
  accepted: number;
  declined: number;
  expired: number;
  converted: number;
  /** accepted ÷ received; 0 when none were received. */
  acceptanceRate: number;
  /** converted ÷ accepted; 0 when none were accepted. */
  conversionRate: number;
  /** Nearest-rank medians of the accepts and conversions in the window; null when there were none. */
  medianTimeToAcceptMs: number | null;
  medianAcceptToConvertMs: number | null;
}

const ratio = (n: number, of: number) => (of === 0 ? 0 : Math.round((n / of) * 10_000) / 10_000);

/**
 * Per partner company, from the rollup facts of one owner's Partner lead
 * pipeline dated in the window: each fact names the partner the lead was
 * assigned to when the step was written. Times come from the facts' own
 * look-back (when the lead entered Pending, or Accepted), so a lead received
 * before the window and accepted in it still counts its whole wait.
 */
export function computeScorecard(facts: readonly StageFact[], stages: LeadStages, window: Window): PartnerRow[] {
  const from = Date.parse(window.from);
  const to = Date.parse(window.to);
  const rows = new Map<string, { row: PartnerRow; toAccept: number[]; toConvert: number[] }>();
  const rowOf = (partnerCompanyId: string) => {
    let r = rows.get(partnerCompanyId);
    if (!r) {
      const row: PartnerRow = { partnerCompanyId, received: 0, accepted: 0, declined: 0, expired: 0, converted: 0, acceptanceRate: 0, conversionRate: 0, medianTimeToAcceptMs: null, medianAcceptToConvertMs: null };
      rows.set(partnerCompanyId, (r = { row, toAccept: [], toConvert: [] }));
    }
    return r;
  };
  for (const f of facts) {
    if (f.to === undefined || f.partnerCompanyId === undefined || f.at < from || f.at >= to) continue;
    const r = rowOf(f.partnerCompanyId);
    const waited = f.enteredAt === undefined ? undefined : f.at - f.enteredAt;
    if (f.to === stages.pending) r.row.received += 1;
    else if (f.to === stages.accepted && f.from === stages.pending) {
      r.row.accepted += 1;
      if (waited !== undefined) r.toAccept.push(waited);
    } else if (f.to === stages.declined) r.row.declined += 1;
    else if (f.to === stages.expired) r.row.expired += 1;
    else if (f.to === stages.converted) {
      r.row.converted += 1;
      if (waited !== undefined && f.from === stages.accepted) r.toConvert.push(waited);
    }
  }
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  return [...rows.values()]
    .map(({ row, toAccept, toConvert }) => ({
      ...row,
      acceptanceRate: ratio(row.accepted, row.received),
      conversionRate: ratio(row.converted, row.accepted),
      medianTimeToAcceptMs: percentile(sorted(toAccept), 50),
      medianAcceptToConvertMs: percentile(sorted(toConvert), 50),
    }))
    .sort((a, b) => a.partnerCompanyId.localeCompare(b.partnerCompanyId));
}
