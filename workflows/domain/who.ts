import type { Actor, RecordView, Who } from './types';

/**
 * An absent rule lets anyone through; a rule object with no condition set
 * is an explicit lock that only the system actor passes.
 */
export function matchesWho(who: Who | undefined, actor: Actor, record: RecordView): boolean {
  if (who === undefined) return true;
  if (actor.kind === 'system') return true;
  if (who.roles?.some((role) => actor.roles.includes(role))) return true;
  if (who.owner && actor.userId === record.ownerId) return true;
  if (who.ownerCompany && actor.companyId !== undefined && actor.companyId === record.companyId) return true;
  if (
    who.partnerCompany &&
    record.partnerCompanyId !== undefined &&
    record.partnerCompanyId !== '' &&
    actor.companyId === record.partnerCompanyId
  ) {
    return true;
  }
  if (who.users?.includes(actor.userId)) return true;
  return false;
}

export function canSeeRecord(actor: Actor, record: Pick<RecordView, 'companyId' | 'partnerCompanyId' | 'participants'>): boolean {
  if (actor.kind === 'system') return true;
  const company = actor.companyId;
  if (company !== undefined && company !== '') {
    if (company === record.companyId) return true;
    if (company === record.partnerCompanyId) return true;
    if (record.participants.companies.includes(company)) return true;
  }
  return record.participants.users.includes(actor.userId);
}

/** Human description of a rule, for refusal messages. */
export function describeWho(who: Who): string {
  const parts: string[] = [];
  if (who.roles?.length) parts.push(`role ${who.roles.join(' or ')}`);
  if (who.owner) parts.push("the record's owner");
  if (who.ownerCompany) parts.push("the owner's company");
  if (who.partnerCompany) parts.push('the assigned partner company');
  if (who.users?.length) parts.push(`users ${who.users.join(', ')}`);
  return parts.length ? parts.join(' or ') : 'nobody (locked)';
}
