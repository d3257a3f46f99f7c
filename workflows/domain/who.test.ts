import { buildActor, buildRecord, owner, partnerUser, stranger } from './test-fixtures';
import type { Actor, RecordView, Who } from './types';
import { SYSTEM_ACTOR } from './types';
import { canSeeRecord, matchesWho } from './who';

const record = buildRecord();
const noPartner = buildRecord({ partnerCompanyId: undefined });
const colleague = buildActor({ userId: 'u-colleague', companyId: 'c-source' });
const manager = buildActor({ userId: 'u-manager', companyId: 'c-source', roles: ['manager'] });
const partnerlessUser = buildActor({ userId: 'u-x', companyId: undefined });

describe('matchesWho', () => {
  it.each<[string, Who | undefined, Actor, RecordView, boolean]>([
    ['no rule lets anyone', undefined, stranger, record, true],
    ['an empty rule locks out users', {}, owner, record, false],
    ['an empty rule lets the system', {}, SYSTEM_ACTOR, record, true],
    ['a role rule matches a listed role', { roles: ['admin', 'manager'] }, manager, record, true],
    ['a role rule refuses other roles', { roles: ['admin'] }, manager, record, false],
    ['an owner rule matches the owner', { owner: true }, owner, record, true],
    ['an owner rule refuses a colleague', { owner: true }, colleague, record, false],
    ['an owner-company rule matches a colleague', { ownerCompany: true }, colleague, record, true],
    ['an owner-company rule refuses the partner', { ownerCompany: true }, partnerUser, record, false],
    ['a partner rule matches the partner company', { partnerCompany: true }, partnerUser, record, true],
    ['a partner rule refuses the owner company', { partnerCompany: true }, owner, record, false],
    ['a partner rule refuses when no partner is assigned', { partnerCompany: true }, partnerlessUser, noPartner, false],
    ['a users rule matches a named user', { users: ['u-other'] }, stranger, record, true],
    ['a users rule refuses anyone else', { users: ['u-someone'] }, stranger, record, false],
    ['any condition suffices', { roles: ['admin'], partnerCompany: true }, partnerUser, record, true],
    ['false flags and empty lists lock', { owner: false, roles: [], users: [] }, owner, record, false],
  ])('When %s, then %s', (_case, who, actor, rec, expected) => {
    expect(matchesWho(who, actor, rec)).toBe(expected);
  });
});

describe('canSeeRecord', () => {
  const shared = buildRecord({ participants: { users: ['u-guest'], companies: ['c-guest'] } });
  it.each<[string, Actor, RecordView, boolean]>([
    ['the system sees everything', SYSTEM_ACTOR, record, true],
    ['the owner company sees its record', colleague, record, true],
    ['the partner company sees its lead', partnerUser, record, true],
    ['an invited user sees it', buildActor({ userId: 'u-guest' }), shared, true],
    ['an invited company sees it', buildActor({ companyId: 'c-guest' }), shared, true],
    ['a stranger does not', stranger, shared, false],
    ['a user without company does not see an unassigned record', partnerlessUser, noPartner, false],
  ])('When %s, then %s', (_case, actor, rec, expected) => {
    expect(canSeeRecord(actor, rec)).toBe(expected);
  });
});
