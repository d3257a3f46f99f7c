import type { Actor } from '../workflows/domain/types';

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

/** A user's keys: the user itself, and the admins of its company. */
export const managesKeysOf = (actor: Actor, user: UserRef): boolean => user.id === actor.userId || managesUsersOf(actor, user.companyId);

/** The operator sees every company; a Company Admin its own and the partner companies it may assign; others their own. */
export function seesCompany(actor: Actor, company: CompanyRef): boolean {
  if (isOperator(actor) || company.id === actor.companyId) return true;
  return isCompanyAdmin(actor) && company.kind === 'partner';
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

/** Webhooks of a company are its Company Admin's. */
export const managesWebhooksOf = (actor: Actor, companyId: string): boolean => isCompanyAdmin(actor) && actor.companyId === companyId;

/** The company whose instances (as owner or assigned partner) an instance list shows; every caller has one. */
export const instanceScope = (actor: Actor): string => actor.companyId ?? '';

/** Cancelling is the owning company's Company Admin's (the caller already sees the instance). */
export function checkCancel(actor: Actor, instance: { companyId: string }): Check {
  if (!isCompanyAdmin(actor)) return refuse(403, 'only an admin may cancel an instance');
  if (instance.companyId !== actor.companyId) return refuse(404, 'instance not found');
  return OK;
}
