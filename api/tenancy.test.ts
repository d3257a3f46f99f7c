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
  managesWebhooksOf,
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
const pa: CompanyRef = { id: 'c-pa', kind: 'partner' };

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
    ["the operator manages no tenant's keys", operator, acmeAdmin, false],
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
    ['an admin sees partner companies', acmeAdmin, pa, true],
    ['an admin does not see another owner', acmeAdmin, globex, false],
    ['an admin does not see the platform', acmeAdmin, platform, false],
    ['a sales user sees only its own', acmeSales, pa, false],
    ['a partner user sees its own', partnerUser, pa, true],
  ])('When %s, then %s', (_case, actor, company, expected) => expect(seesCompany(actor, company)).toBe(expected));
});

describe('webhooks and instances', () => {
  it.each<[string, Actor, string, boolean]>([
    ['an admin manages its own webhooks', acmeAdmin, 'c-acme', true],
    ["an admin does not manage another's", acmeAdmin, 'c-globex', false],
    ["an admin does not manage a partner's", acmeAdmin, 'c-pa', false],
    ['a sales user manages none', acmeSales, 'c-acme', false],
    ['the operator manages none', operatorAndAdmin, 'c-platform', false],
  ])('When %s, then %s', (_case, actor, companyId, expected) => expect(managesWebhooksOf(actor, companyId)).toBe(expected));

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
