import type { Actor } from '../workflows/domain/types';
import type { CompanyScope, UserScope } from '../activities/store/people';

/**
 * Who may manage whom, company by company. Pure: the routes read the objects,
 * ask here, and turn a refusal into its status. A Company Admin (`admin`) runs
 * its own owner company; a partner company's `partner_admin` runs its own
 * people; the platform `operator` (in the platform company) creates companies
 * and their first admin and reads no record data.
 */

export type CompanyKind = 'platform' | 'owner' | 'partner';

export interface CompanyRef {
  id: string;
  kind: CompanyKind;
  /** A partner company's membership: the owner companies whose programs it is in (absent: written before programs). */
  programs?: readonly string[];
}

export interface UserRef {
  id: string;
  companyId: string;
  roles: string[];
}

export type Check = { ok: true } | { ok: false; status: 403 | 404; message: string };

const OK: Check = { ok: true };
const refuse = (status: 403 | 404, message: string): Check => ({ ok: false, status, message });

const ADMIN_ROLES = ['admin', 'partner_admin'];

export const isOperator = (actor: Actor): boolean => actor.kind === 'user' && actor.roles.includes('operator');

/** An admin of its own company; an operator holding `admin` too is still only an operator. */
export const isCompanyAdmin = (actor: Actor): boolean =>
  !isOperator(actor) && actor.roles.includes('admin') && actor.companyId !== undefined && actor.companyId !== '';

const managesPeople = (actor: Actor): boolean => isOperator(actor) || ADMIN_ROLES.some((r) => actor.roles.includes(r));

/** Records, instances, leads, forecasts, pipelines and webhooks: everyone but the platform operator. */
export const readsRecordData = (actor: Actor): boolean => !isOperator(actor);

/** Creates, edits and issues keys for the users of this company: its own admins only (the operator: the platform's). */
export const managesUsersOf = (actor: Actor, companyId: string): boolean =>
  managesPeople(actor) && actor.companyId !== undefined && actor.companyId === companyId;

/** Everyone sees its own company's users; the operator also every company's admins (it made the first ones). */
export function seesUser(actor: Actor, user: UserRef): boolean {
  if (user.id === actor.userId) return true;
  if (actor.companyId !== undefined && user.companyId === actor.companyId) return true;
  return isOperator(actor) && ADMIN_ROLES.some((r) => user.roles.includes(r));
}

/**
 * A user's keys: the user itself, the admins of its company, and for a
 * company's admins (`admin`, `partner_admin`) also the operator, who made the
 * first ones and gives a tenant that lost its admin's key a new one.
 */
export const managesKeysOf = (actor: Actor, user: UserRef): boolean =>
  user.id === actor.userId || managesUsersOf(actor, user.companyId) || (isOperator(actor) && ADMIN_ROLES.some((r) => user.roles.includes(r)));

/**
 * A partner company in an owner company's program. One written before
 * programs existed has no membership yet and keeps the standing it had then,
 * in every program, until the startup upgrade (`enrolUnassignedPartners`) or
 * a program change writes one.
 */
export function inProgramOf(partner: CompanyRef, ownerCompanyId: string): boolean {
  if (partner.kind !== 'partner' || ownerCompanyId === '') return false;
  return partner.programs === undefined || partner.programs.includes(ownerCompanyId);
}

/** The operator sees every company; a Company Admin its own and the partner companies of its program; others their own. */
export function seesCompany(actor: Actor, company: CompanyRef): boolean {
  if (isOperator(actor) || company.id === actor.companyId) return true;
  return isCompanyAdmin(actor) && inProgramOf(company, actor.companyId ?? '');
}

/**
 * A company as this caller is shown it (the caller sees it): a Company Admin
 * learns only whether the partner is in its own program, never which other
 * owners' programs it is in; the operator and the company's own users see
 * the whole membership.
 */
export function companyView<T extends CompanyRef>(actor: Actor, company: T): T {
  if (company.programs === undefined || isOperator(actor) || company.id === actor.companyId) return company;
  return { ...company, programs: company.programs.filter((owner) => owner === actor.companyId) };
}

/**
 * The programs a new company starts in: a Company Admin's partner company in
 * its admin's company's program (naming another owner: 403); the operator's
 * in the owner it names, or in none; an owner company is in none.
 */
export function startingPrograms(actor: Actor, kind: 'owner' | 'partner', ownerId: string | undefined): { ok: true; programs: string[] } | Extract<Check, { ok: false }> {
  if (kind === 'owner') return { ok: true, programs: [] };
  if (isOperator(actor)) return { ok: true, programs: ownerId === undefined ? [] : [ownerId] };
  if (ownerId !== undefined && ownerId !== actor.companyId) {
    return { ok: false, status: 403, message: "a Company Admin's partner company starts in its own company's program only" };
  }
  return { ok: true, programs: [actor.companyId ?? ''] };
}

/**
 * Who changes an owner's program: the operator (any owner's), and that
 * owner's Company Admin (its own only). Decided before anything is looked up,
 * so a refusal says nothing of other companies.
 */
export function checkProgramChange(actor: Actor, ownerId: string): Check {
  if (isOperator(actor)) return OK;
  if (!isCompanyAdmin(actor)) return refuse(403, "programs are changed by the platform operator and by the owner company's Company Admin");
  if (actor.companyId !== ownerId) return refuse(403, "a Company Admin changes its own company's program only");
  return OK;
}

/** The two companies of a program change: a partner company, and an owner company (404 naming which is missing). */
export function checkProgramCompanies(partner: CompanyRef | undefined, owner: CompanyRef | undefined): Check {
  if (partner?.kind !== 'partner') return refuse(404, 'no partner company by this id');
  if (owner?.kind !== 'owner') return refuse(404, 'no owner company by this id');
  return OK;
}

export type AssignmentCheck =
  | { ok: true }
  | { ok: false; code: 'unknown_partner' | 'partner_not_in_program'; message: string; details: { partnerCompanyId: string } };

/**
 * A record of `ownerCompanyId` assigned to a partner company. The answer for a
 * partner outside the owner's program is the same whether it is in no
 * program or in other owners' ones: nothing of other programs shows.
 */
export function checkAssignment(partnerCompanyId: string, partner: CompanyRef | undefined, ownerCompanyId: string): AssignmentCheck {
  const details = { partnerCompanyId };
  if (partner?.kind !== 'partner') return { ok: false, code: 'unknown_partner', message: `partner company ${partnerCompanyId} does not exist`, details };
  if (!inProgramOf(partner, ownerCompanyId)) {
    return { ok: false, code: 'partner_not_in_program', message: `partner company ${partnerCompanyId} is not in your company's partner program`, details };
  }
  return { ok: true };
}

/**
 * The roles that carry power over others are granted only where they belong:
 * `operator` by an operator in the platform company, `admin` by an admin (or
 * the operator) in an owner company.
 */
export function checkRoles(actor: Actor, company: CompanyRef, roles: readonly string[]): Check {
  if (roles.includes('operator') && !(isOperator(actor) && company.kind === 'platform')) {
    return refuse(403, 'the operator role is granted only by an operator, in the platform company');
  }
  if (roles.includes('admin') && !((isOperator(actor) || isCompanyAdmin(actor)) && company.kind === 'owner')) {
    return refuse(403, 'the admin role is granted only by an admin, in an owner company');
  }
  return OK;
}

/** A new user, in the company its body names: refused before that company is looked up, so nothing is learnt of others. */
export function checkNewUser(actor: Actor, companyId: string): Check {
  if (!managesPeople(actor)) return refuse(403, 'this route is for admins');
  if (!managesUsersOf(actor, companyId)) return refuse(403, 'an admin creates users in its own company only');
  return OK;
}

/** An edit of a user: 404 for a user of a company the caller does not run. */
export function checkUserEdit(actor: Actor, user: UserRef): Check {
  if (!managesPeople(actor)) return refuse(403, 'this route is for admins');
  if (!managesUsersOf(actor, user.companyId)) return refuse(404, 'user not found');
  return OK;
}

/** Owner companies are the operator's to create; a Company Admin adds the partner companies of its programs. */
export function checkNewCompany(actor: Actor, kind: 'owner' | 'partner'): Check {
  if (isOperator(actor)) return OK;
  if (!isCompanyAdmin(actor)) return refuse(403, 'companies are created by the platform operator and by Company Admins');
  if (kind !== 'partner') return refuse(403, 'owner companies are created by the platform operator');
  return OK;
}

/** The roles of a new company's first admin. */
export const firstAdminRoles = (kind: 'owner' | 'partner'): string[] => (kind === 'owner' ? ['admin'] : ['partner_admin']);

/** Webhook routes are for a Company Admin and a partner company's `partner_admin` (never the operator). */
export const managesWebhooks = (actor: Actor): boolean => isCompanyAdmin(actor) || (!isOperator(actor) && actor.roles.includes('partner_admin'));

/**
 * Webhooks of a company: an owner company's are its Company Admin's, a
 * partner company's its `partner_admin`'s (they hear only of the records
 * assigned to it, as its users read them: activities/webhooks.ts).
 */
export function managesWebhooksOf(actor: Actor, company: CompanyRef): boolean {
  if (isOperator(actor) || actor.companyId !== company.id) return false;
  if (company.kind === 'owner') return actor.roles.includes('admin');
  return company.kind === 'partner' && actor.roles.includes('partner_admin');
}

/** The company whose instances (as owner or assigned partner) an instance list shows; every caller has one. */
export const instanceScope = (actor: Actor): string => actor.companyId ?? '';

/** Cancelling is the owning company's Company Admin's (the caller already sees the instance). */
export function checkCancel(actor: Actor, instance: { companyId: string }): Check {
  if (!isCompanyAdmin(actor)) return refuse(403, 'only an admin may cancel an instance');
  if (instance.companyId !== actor.companyId) return refuse(404, 'instance not found');
  return OK;
}

/** The companies a company list holds, as the query asks for them (seesCompany, for a list). */
export function companyListScope(actor: Actor): CompanyScope {
  const companyId = actor.companyId ?? '';
  if (isOperator(actor)) return { kind: 'all' };
  return isCompanyAdmin(actor) ? { kind: 'program', companyId } : { kind: 'own', companyId };
}

/** The users a user list holds, as the query asks for them (seesUser, for a list). */
export const userListScope = (actor: Actor): UserScope => ({ companyId: actor.companyId ?? '', admins: isOperator(actor) });

/**
 * A key the platform operator issues for a user of another company: the
 * recovery path for a tenant that lost its admin's key, and so break-glass:
 * it expires within OPERATOR_KEY_TTL, needs a reason, and the tenant is told.
 */
export const isBreakGlass = (actor: Actor, holder: UserRef): boolean => isOperator(actor) && holder.companyId !== actor.companyId;

/** The audit trail of a company: its own admins' (and partner admins') to read. */
export const readsAuditOf = (actor: Actor, companyId: string): boolean => managesUsersOf(actor, companyId);

/** Removing a user: its own company's admin, never itself (a company must keep someone who runs it). */
export function checkDeactivation(actor: Actor, user: UserRef): Check {
  const edit = checkUserEdit(actor, user);
  if (!edit.ok) return edit;
  if (user.id === actor.userId) return refuse(403, 'an admin cannot deactivate itself; another admin of the company can');
  return OK;
}
