import type { Actor } from '../workflows/domain/types';
import { SYSTEM_ACTOR } from '../workflows/domain/types';
import {
  checkCancel,
  checkNewCompany,
  checkNewUser,
  checkRoles,
  checkUserEdit,
  firstAdminRoles,
  instanceScope,
  managesKeysOf,
  managesWebhooks,
  managesWebhooksOf,
  checkAssignment,
  checkProgramChange,
  checkProgramCompanies,
  companyView,
  inProgramOf,
  startingPrograms,
  readsRecordData,
  seesCompany,
  seesUser,
  type CompanyRef,
} from './tenancy';

const user = (userId: string, companyId: string, roles: string[]): Actor => ({ kind: 'user', userId, companyId, roles });

const operator = user('u-op', 'c-platform', ['operator']);
const operatorAndAdmin = user('u-op2', 'c-platform', ['operator', 'admin']);
const acmeAdmin = user('u-acme-admin', 'c-acme', ['admin']);
const acmeSales = user('u-acme-sales', 'c-acme', ['sales']);
const globexAdmin = user('u-globex-admin', 'c-globex', ['admin']);
const partnerAdmin = user('u-pa-admin', 'c-pa', ['partner_admin']);
const partnerUser = user('u-pa-user', 'c-pa', ['partner_user']);

const platform: CompanyRef = { id: 'c-platform', kind: 'platform' };
const acme: CompanyRef = { id: 'c-acme', kind: 'owner' };
const globex: CompanyRef = { id: 'c-globex', kind: 'owner' };
/** Written before programs existed: no membership yet. */
const pa: CompanyRef = { id: 'c-pa', kind: 'partner' };
const inBoth: CompanyRef = { id: 'c-both', kind: 'partner', programs: ['c-acme', 'c-globex'] };
const inAcme: CompanyRef = { id: 'c-in-acme', kind: 'partner', programs: ['c-acme'] };
const inNone: CompanyRef = { id: 'c-none', kind: 'partner', programs: [] };

const ref = (a: Actor) => ({ id: a.userId, companyId: a.companyId!, roles: a.roles });
const ok = { ok: true };
const refused = (status: number) => expect.objectContaining({ ok: false, status });

describe('readsRecordData', () => {
  it.each<[string, Actor, boolean]>([
    ['the operator reads none', operator, false],
    ['an operator who is also admin reads none', operatorAndAdmin, false],
    ['a Company Admin reads its records', acmeAdmin, true],
    ['a partner user reads what is assigned to it', partnerUser, true],
    ['the system reads all', SYSTEM_ACTOR, true],
  ])('When %s, then %s', (_case, actor, expected) => expect(readsRecordData(actor)).toBe(expected));
});

describe('users', () => {
  it.each<[string, Actor, string, unknown]>([
    ['an admin creates in its own company', acmeAdmin, 'c-acme', ok],
    ['an admin creates in another owner company: 403', acmeAdmin, 'c-globex', refused(403)],
    ['an admin creates in a partner company: 403', acmeAdmin, 'c-pa', refused(403)],
    ['a partner admin creates in its own partner company', partnerAdmin, 'c-pa', ok],
    ['a sales user creates nobody: 403', acmeSales, 'c-acme', refused(403)],
    ['the operator creates in the platform company', operator, 'c-platform', ok],
    ['the operator creates in an owner company only through the company route: 403', operator, 'c-acme', refused(403)],
  ])('When %s', (_case, actor, companyId, expected) => expect(checkNewUser(actor, companyId)).toEqual(expected));

  it.each<[string, Actor, Actor, unknown]>([
    ['an admin edits its own company user', acmeAdmin, acmeSales, ok],
    ["an admin edits another company's admin: 404", acmeAdmin, globexAdmin, refused(404)],
    ["an admin edits a partner's user: 404", acmeAdmin, partnerUser, refused(404)],
    ['a sales user edits nobody: 403', acmeSales, acmeSales, refused(403)],
    ["the operator edits no tenant's user: 404", operator, acmeAdmin, refused(404)],
  ])('When %s', (_case, actor, target, expected) => expect(checkUserEdit(actor, ref(target))).toEqual(expected));

  it.each<[string, Actor, Actor, boolean]>([
    ['a user sees itself', partnerUser, partnerUser, true],
    ['a user sees its colleagues', acmeSales, acmeAdmin, true],
    ["an admin does not see another company's users", acmeAdmin, globexAdmin, false],
    ["an admin does not see a partner's users", acmeAdmin, partnerUser, false],
    ["the operator sees every company's admins", operator, globexAdmin, true],
    ["the operator sees a partner company's admin", operator, partnerAdmin, true],
    ['the operator does not see sales users', operator, acmeSales, false],
  ])('When %s, then %s', (_case, actor, target, expected) => expect(seesUser(actor, ref(target))).toBe(expected));

  it.each<[string, Actor, Actor, boolean]>([
    ['a user manages its own keys', acmeSales, acmeSales, true],
    ["an admin manages its company's keys", acmeAdmin, acmeSales, true],
    ["an admin does not manage another company's keys", acmeAdmin, globexAdmin, false],
    ["a partner admin manages its company's keys", partnerAdmin, partnerUser, true],
    ["the operator manages an owner company's admin's keys", operator, acmeAdmin, true],
    ["the operator manages a partner company's admin's keys", operator, partnerAdmin, true],
    ["the operator manages no tenant's sales user's keys", operator, acmeSales, false],
    ["the operator manages no partner user's keys", operator, partnerUser, false],
    ["a partner admin does not manage an owner admin's keys", partnerAdmin, acmeAdmin, false],
  ])('When %s, then %s', (_case, actor, target, expected) => expect(managesKeysOf(actor, ref(target))).toBe(expected));
});

describe('checkRoles', () => {
  it.each<[string, Actor, CompanyRef, string[], unknown]>([
    ['an admin grants sales', acmeAdmin, acme, ['sales'], ok],
    ['an admin grants admin in its owner company', acmeAdmin, acme, ['admin'], ok],
    ['an admin grants operator: 403', acmeAdmin, acme, ['operator'], refused(403)],
    ['a partner admin grants admin: 403', partnerAdmin, pa, ['admin'], refused(403)],
    ['a partner admin grants partner_admin', partnerAdmin, pa, ['partner_admin'], ok],
    ['the operator grants operator in the platform company', operator, platform, ['operator'], ok],
    ['the operator grants operator in an owner company: 403', operator, globex, ['operator'], refused(403)],
    ['the operator grants admin in the platform company: 403', operator, platform, ['admin'], refused(403)],
  ])('When %s', (_case, actor, company, roles, expected) => expect(checkRoles(actor, company, roles)).toEqual(expected));
});

describe('companies', () => {
  it.each<[string, Actor, 'owner' | 'partner', unknown]>([
    ['the operator creates an owner company', operator, 'owner', ok],
    ['the operator creates a partner company', operator, 'partner', ok],
    ['an admin creates a partner company', acmeAdmin, 'partner', ok],
    ['an admin creates an owner company: 403', acmeAdmin, 'owner', refused(403)],
    ['a partner admin creates none: 403', partnerAdmin, 'partner', refused(403)],
    ['a sales user creates none: 403', acmeSales, 'partner', refused(403)],
  ])('When %s', (_case, actor, kind, expected) => expect(checkNewCompany(actor, kind)).toEqual(expected));

  it('When a company is created, then its first admin is a Company Admin of an owner and a partner admin of a partner', () => {
    expect(firstAdminRoles('owner')).toEqual(['admin']);
    expect(firstAdminRoles('partner')).toEqual(['partner_admin']);
  });

  it.each<[string, Actor, CompanyRef, boolean]>([
    ['the operator sees every company', operator, globex, true],
    ['an admin sees its own', acmeAdmin, acme, true],
    ['an admin sees a partner company from before programs', acmeAdmin, pa, true],
    ['an admin sees a partner company of its program', acmeAdmin, inBoth, true],
    ['another admin sees it too when it is in its program', globexAdmin, inBoth, true],
    ['an admin does not see a partner company of another program only', globexAdmin, inAcme, false],
    ['an admin does not see a partner company in no program', acmeAdmin, inNone, false],
    ['the operator sees a partner company in no program', operator, inNone, true],
    ["a partner user sees its own company, whatever its programs", user('u-x', 'c-none', ['partner_user']), inNone, true],
    ["a partner user does not see another partner company", partnerUser, inBoth, false],
    ['an admin does not see another owner', acmeAdmin, globex, false],
    ['an admin does not see the platform', acmeAdmin, platform, false],
    ['a sales user sees only its own', acmeSales, pa, false],
    ['a partner user sees its own', partnerUser, pa, true],
  ])('When %s, then %s', (_case, actor, company, expected) => expect(seesCompany(actor, company)).toBe(expected));
});

describe('webhooks and instances', () => {
  it.each<[string, Actor, CompanyRef, boolean]>([
    ['an admin manages its own webhooks', acmeAdmin, acme, true],
    ["an admin does not manage another's", acmeAdmin, globex, false],
    ["an admin does not manage a partner's", acmeAdmin, pa, false],
    ['a sales user manages none', acmeSales, acme, false],
    ['the operator manages none', operatorAndAdmin, platform, false],
    ["a partner admin manages its own partner company's", partnerAdmin, pa, true],
    ["a partner admin does not manage an owner's", partnerAdmin, acme, false],
    ['a partner user manages none', partnerUser, pa, false],
    ['a partner_admin role in an owner company manages nothing there', user('u-odd', 'c-acme', ['partner_admin']), acme, false],
  ])('When %s, then %s', (_case, actor, company, expected) => expect(managesWebhooksOf(actor, company)).toBe(expected));

  it.each<[string, Actor, boolean]>([
    ['a Company Admin', acmeAdmin, true],
    ['a partner admin', partnerAdmin, true],
    ['a sales user', acmeSales, false],
    ['a partner user', partnerUser, false],
    ['the operator, even holding admin', operatorAndAdmin, false],
  ])('When %s calls a webhook route, then it may: %s', (_case, actor, expected) => expect(managesWebhooks(actor)).toBe(expected));

  it("When an instance list is asked, then every caller's is its company's, admins included", () => {
    expect(instanceScope(acmeAdmin)).toBe('c-acme');
    expect(instanceScope(globexAdmin)).toBe('c-globex');
  });

  it.each<[string, Actor, string, unknown]>([
    ["an admin cancels its company's instance", acmeAdmin, 'c-acme', ok],
    ["an admin cancels another company's instance: 404", globexAdmin, 'c-acme', refused(404)],
    ['a sales user cancels none: 403', acmeSales, 'c-acme', refused(403)],
    ['a partner admin cancels none: 403', partnerAdmin, 'c-acme', refused(403)],
  ])('When %s', (_case, actor, companyId, expected) => expect(checkCancel(actor, { companyId })).toEqual(expected));
});

describe('partner programs', () => {
  it.each<[string, CompanyRef, string, boolean]>([
    ["a partner company in the owner's program", inAcme, 'c-acme', true],
    ['a partner company in two programs, in the second', inBoth, 'c-globex', true],
    ["a partner company in another owner's program only", inAcme, 'c-globex', false],
    ['a partner company in no program', inNone, 'c-acme', false],
    ['a partner company from before programs, in any', pa, 'c-globex', true],
    ['an owner company is in no program', globex, 'c-acme', false],
    ['no owner at all', pa, '', false],
  ])('When %s, then in the program: %s', (_case, partner, owner, expected) => expect(inProgramOf(partner, owner)).toBe(expected));

  it.each<[string, Actor, string, unknown]>([
    ['the operator changes any owner program', operator, 'c-globex', ok],
    ['an admin changes its own program', acmeAdmin, 'c-acme', ok],
    ["an admin changes another owner's program: 403", acmeAdmin, 'c-globex', refused(403)],
    ['a sales user: 403', acmeSales, 'c-acme', refused(403)],
    ['a partner admin: 403', partnerAdmin, 'c-acme', refused(403)],
    ['a partner user: 403', partnerUser, 'c-acme', refused(403)],
    ['an operator holding admin is still the operator', operatorAndAdmin, 'c-acme', ok],
  ])('When %s', (_case, actor, ownerId, expected) => expect(checkProgramChange(actor, ownerId)).toEqual(expected));

  it.each<[string, CompanyRef | undefined, CompanyRef | undefined, unknown]>([
    ['a partner company and an owner company', inAcme, globex, ok],
    ['an unknown partner company: 404', undefined, globex, refused(404)],
    ['an owner company as the partner: 404', acme, globex, refused(404)],
    ['an unknown owner: 404', inAcme, undefined, refused(404)],
    ['a partner company as the owner: 404', inAcme, pa, refused(404)],
    ['the platform company as the owner: 404', inAcme, platform, refused(404)],
  ])('When %s', (_case, partner, owner, expected) => expect(checkProgramCompanies(partner, owner)).toEqual(expected));

  it.each<[string, CompanyRef | undefined, string, unknown]>([
    ['a partner in the program', inBoth, 'c-globex', { ok: true }],
    ['a partner from before programs', pa, 'c-acme', { ok: true }],
    ['a partner outside the program', inAcme, 'c-globex', expect.objectContaining({ ok: false, code: 'partner_not_in_program' })],
    ['a partner in no program', inNone, 'c-acme', expect.objectContaining({ ok: false, code: 'partner_not_in_program' })],
    ['no company by the id', undefined, 'c-acme', expect.objectContaining({ ok: false, code: 'unknown_partner' })],
    ['an owner company', globex, 'c-acme', expect.objectContaining({ ok: false, code: 'unknown_partner' })],
  ])('When a record is assigned to %s', (_case, partner, owner, expected) => expect(checkAssignment('c-x', partner, owner)).toEqual(expected));

  it('When a partner is outside one program but in another, then the refusal is the one a partner in no program gets', () => {
    const other = checkAssignment('c-x', { id: 'c-x', kind: 'partner', programs: ['c-acme'] }, 'c-globex');
    const none = checkAssignment('c-x', { id: 'c-x', kind: 'partner', programs: [] }, 'c-globex');
    expect(other).toEqual(none);
    expect(other).toEqual({ ok: false, code: 'partner_not_in_program', message: expect.stringContaining('c-x'), details: { partnerCompanyId: 'c-x' } });
  });

  it.each<[string, Actor, CompanyRef, readonly string[] | undefined]>([
    ['an admin sees only its own program of several', globexAdmin, inBoth, ['c-globex']],
    ['the operator sees every program', operator, inBoth, ['c-acme', 'c-globex']],
    ["the partner's own user sees every program", user('u-b', 'c-both', ['partner_user']), inBoth, ['c-acme', 'c-globex']],
    ['a company from before programs shows none', acmeAdmin, pa, undefined],
  ])('When %s', (_case, actor, company, programs) => expect(companyView(actor, company).programs).toEqual(programs));

  it.each<[string, Actor, 'owner' | 'partner', string | undefined, unknown]>([
    ["an admin's partner starts in its program", acmeAdmin, 'partner', undefined, { ok: true, programs: ['c-acme'] }],
    ["an admin naming its own company", acmeAdmin, 'partner', 'c-acme', { ok: true, programs: ['c-acme'] }],
    ["an admin naming another owner: 403", acmeAdmin, 'partner', 'c-globex', refused(403)],
    ["the operator's partner starts in the owner it names", operator, 'partner', 'c-globex', { ok: true, programs: ['c-globex'] }],
    ["the operator's partner without an owner starts in none", operator, 'partner', undefined, { ok: true, programs: [] }],
    ['an owner company starts in none', operator, 'owner', undefined, { ok: true, programs: [] }],
  ])('When %s', (_case, actor, kind, ownerId, expected) => expect(startingPrograms(actor, kind, ownerId)).toEqual(expected));
});
