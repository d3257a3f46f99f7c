import fs from 'node:fs';
import path from 'node:path';
import type { Company, Stores, User } from '../activities/store';
import { opportunityPropulsionTemplate } from '../workflows/domain/templates/opportunity-propulsion';
import { partnerLeadTemplate } from '../workflows/domain/templates/partner-lead';

/** `.data/demo-credentials.json`: `{ "<name>": { apiKey, userId, companyId, company, roles } }` (`company` is its name). */
export type DemoCredentials = Record<string, { apiKey: string; userId: string; companyId: string; company: string; roles: string[] }>;

export const DEMO_OWNERS = { acme: 'cmp_acme', initech: 'cmp_initech' } as const;

const COMPANIES: Array<Omit<Company, 'createdAt'>> = [
  { id: 'cmp_platform', name: 'Propeller platform', kind: 'platform' },
  { id: DEMO_OWNERS.acme, name: 'Acme Corp', kind: 'owner' },
  { id: DEMO_OWNERS.initech, name: 'Initech', kind: 'owner' },
  // Partner A works in both owners' programs, partner B in Acme's only.
  { id: 'cmp_partner_a', name: 'Partner A (Northwind)', kind: 'partner', programs: [DEMO_OWNERS.acme, DEMO_OWNERS.initech] },
  { id: 'cmp_partner_b', name: 'Partner B (Globex)', kind: 'partner', programs: [DEMO_OWNERS.acme] },
];

const USERS: Array<{ login: string } & Omit<User, 'createdAt'>> = [
  { login: 'operator', id: 'usr_operator', companyId: 'cmp_platform', name: 'Olive (platform operator)', email: 'olive@propeller.example', roles: ['operator'], attributes: {} },
  { login: 'admin', id: 'usr_admin', companyId: 'cmp_acme', name: 'Ada Admin', email: 'ada@acme.example', roles: ['admin'], department: 'Operations', attributes: {} },
  { login: 'sales', id: 'usr_sales', companyId: 'cmp_acme', name: 'Sam Sales', email: 'sam@acme.example', roles: ['sales'], department: 'Sales', attributes: { region: 'EMEA' } },
  { login: 'initech_admin', id: 'usr_initech_admin', companyId: 'cmp_initech', name: 'Ida (Initech admin)', email: 'ida@initech.example', roles: ['admin'], department: 'Operations', attributes: {} },
  { login: 'initech_sales', id: 'usr_initech_sales', companyId: 'cmp_initech', name: 'Ivan (Initech sales)', email: 'ivan@initech.example', roles: ['sales'], department: 'Sales', attributes: {} },
  { login: 'partnerA_admin', id: 'usr_pa_admin', companyId: 'cmp_partner_a', name: 'Pat (Partner A admin)', email: 'pat@northwind.example', roles: ['partner_admin'], attributes: {} },
  { login: 'partnerA_user', id: 'usr_pa_user', companyId: 'cmp_partner_a', name: 'Paula (Partner A)', email: 'paula@northwind.example', roles: ['partner_user'], attributes: {} },
  { login: 'partnerB_admin', id: 'usr_pb_admin', companyId: 'cmp_partner_b', name: 'Bob (Partner B admin)', email: 'bob@globex.example', roles: ['partner_admin'], attributes: {} },
  { login: 'partnerB_user', id: 'usr_pb_user', companyId: 'cmp_partner_b', name: 'Betty (Partner B)', email: 'betty@globex.example', roles: ['partner_user'], attributes: {} },
];

function readCredentials(file: string): DemoCredentials | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as DemoCredentials;
  } catch {
    return undefined;
  }
}

/**
 * Seeds the demo world once: the platform company with its operator, two
 * owning companies (Acme and Initech) with an admin and a sales user each,
 * partner companies A and B with two users each. Later starts change
 * nothing for the logins the credentials file already holds; a login it
 * lacks (a deleted file, or one added by an upgrade) gets a fresh key, and
 * that user's old keys are revoked.
 */
export async function seedDemoWorld(stores: Stores, credentialsFile: string): Promise<{ credentials: DemoCredentials; created: boolean }> {
  const existing = readCredentials(credentialsFile) ?? {};
  const seeded = await Promise.all(USERS.map((u) => stores.people.getUser(u.id)));
  const kept = (i: number) => seeded[i] !== undefined && existing[USERS[i]!.login]?.userId === USERS[i]!.id;
  if (USERS.every((_, i) => kept(i))) return { credentials: existing, created: false };

  const now = new Date().toISOString();
  for (const company of COMPANIES) {
    const stored = await stores.people.getCompany(company.id);
    if (!stored) {
      await stores.people.upsertCompany({ ...company, createdAt: now });
      continue;
    }
    // A demo world from before the second owner: its partners join the programs they are in today.
    for (const owner of (company.programs ?? []).filter((o) => !stored.programs?.includes(o))) {
      await stores.people.setProgramMembership(company.id, owner, true, now);
    }
  }
  const credentials: DemoCredentials = {};
  for (const [i, { login, ...user }] of USERS.entries()) {
    const company = COMPANIES.find((c) => c.id === user.companyId)!.name;
    if (kept(i)) {
      credentials[login] = { ...existing[login]!, company };
      continue;
    }
    if (!seeded[i]) await stores.people.upsertUser({ ...user, createdAt: now });
    for (const old of await stores.people.listApiKeys(user.id)) await stores.people.revokeApiKey(old.id, now);
    const { key } = await stores.people.createApiKey(user.id, now);
    credentials[login] = { apiKey: key, userId: user.id, companyId: user.companyId, company, roles: user.roles };
  }
  fs.mkdirSync(path.dirname(credentialsFile), { recursive: true });
  fs.writeFileSync(credentialsFile, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return { credentials, created: true };
}

/** Each owning company's own programs: Acme's partners have 7 days to accept and 30 to convert, Initech's 3 and 14. */
const DEMO_PROGRAMS = [
  { companyId: DEMO_OWNERS.acme, templates: () => [partnerLeadTemplate(), opportunityPropulsionTemplate()] },
  { companyId: DEMO_OWNERS.initech, templates: () => [partnerLeadTemplate({ acceptWithin: '3d', convertWithin: '14d' }), opportunityPropulsionTemplate()] },
];

/**
 * Publishes the built-in templates (Partner lead, Opportunity propulsion) for
 * each demo owner the first time; an existing pipeline of the same key is left
 * as that company's admins made it. Answers `<companyId>/<key>` of each published.
 */
export async function seedTemplates(stores: Stores): Promise<string[]> {
  const published: string[] = [];
  const now = new Date().toISOString();
  for (const { companyId, templates } of DEMO_PROGRAMS) {
    for (const template of templates()) {
      if (await stores.pipelines.get(companyId, template.key)) continue;
      await stores.pipelines.createDraft(companyId, template, 'system', now);
      await stores.pipelines.publish(companyId, template.key, 'system', now);
      published.push(`${companyId}/${template.key}`);
    }
  }
  return published;
}
