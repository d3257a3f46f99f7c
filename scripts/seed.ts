import fs from 'node:fs';
import path from 'node:path';
import type { Company, Stores, User } from '../activities/store';
import { opportunityPropulsionTemplate } from './templates/opportunity-propulsion';
import { partnerLeadTemplate } from './templates/partner-lead';

/** `.data/demo-credentials.json`: `{ "<name>": { apiKey, userId, companyId, roles } }`. */
export type DemoCredentials = Record<string, { apiKey: string; userId: string; companyId: string; roles: string[] }>;

const COMPANIES: Array<Omit<Company, 'createdAt'>> = [
  { id: 'cmp_platform', name: 'Propeller platform', kind: 'platform' },
  { id: 'cmp_acme', name: 'Acme Corp', kind: 'owner' },
  { id: 'cmp_partner_a', name: 'Partner A (Northwind)', kind: 'partner' },
  { id: 'cmp_partner_b', name: 'Partner B (Globex)', kind: 'partner' },
];

const USERS: Array<{ login: string } & Omit<User, 'createdAt'>> = [
  { login: 'operator', id: 'usr_operator', companyId: 'cmp_platform', name: 'Olive (platform operator)', email: 'olive@propeller.example', roles: ['operator'], attributes: {} },
  { login: 'admin', id: 'usr_admin', companyId: 'cmp_acme', name: 'Ada Admin', email: 'ada@acme.example', roles: ['admin'], department: 'Operations', attributes: {} },
  { login: 'sales', id: 'usr_sales', companyId: 'cmp_acme', name: 'Sam Sales', email: 'sam@acme.example', roles: ['sales'], department: 'Sales', attributes: { region: 'EMEA' } },
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
 * Seeds the demo world once: the platform company with its operator, the
 * owning company with an admin and a sales user, partner companies A and B
 * with two users each. Later starts find the users
 * and the credentials file and change nothing; a deleted credentials file gets
 * fresh keys (the old ones are revoked).
 */
export async function seedDemoWorld(stores: Stores, credentialsFile: string): Promise<{ credentials: DemoCredentials; created: boolean }> {
  const existing = readCredentials(credentialsFile);
  const seeded = await Promise.all(USERS.map((u) => stores.people.getUser(u.id)));
  if (existing && seeded.every(Boolean) && USERS.every((u) => existing[u.login])) {
    return { credentials: existing, created: false };
  }

  const now = new Date().toISOString();
  for (const company of COMPANIES) {
    if (!(await stores.people.getCompany(company.id))) await stores.people.upsertCompany({ ...company, createdAt: now });
  }
  const credentials: DemoCredentials = {};
  for (const { login, ...user } of USERS) {
    if (!(await stores.people.getUser(user.id))) await stores.people.upsertUser({ ...user, createdAt: now });
    for (const old of await stores.people.listApiKeys(user.id)) await stores.people.revokeApiKey(old.id, now);
    const { key } = await stores.people.createApiKey(user.id, now);
    credentials[login] = { apiKey: key, userId: user.id, companyId: user.companyId, roles: user.roles };
  }
  fs.mkdirSync(path.dirname(credentialsFile), { recursive: true });
  fs.writeFileSync(credentialsFile, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return { credentials, created: true };
}

/**
 * Publishes the built-in templates (Partner lead, Opportunity propulsion) the
 * first time; an existing pipeline of the same key is left as its admins made it.
 */
export async function seedTemplates(stores: Stores): Promise<string[]> {
  const published: string[] = [];
  const now = new Date().toISOString();
  for (const template of [partnerLeadTemplate(), opportunityPropulsionTemplate()]) {
    if (await stores.pipelines.get(template.key)) continue;
    await stores.pipelines.createDraft(template, 'system', now);
    await stores.pipelines.publish(template.key, 'system', now);
    published.push(template.key);
  }
  return published;
}
