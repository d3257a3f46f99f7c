import crypto from 'node:crypto';
import { registerObjectTypes } from './object-types';
import { LEAD_STAGES, partnerLeadTemplate } from '../../workflows/domain/templates/partner-lead';
import { OPPORTUNITY_KEY, opportunityPropulsionTemplate } from '../../workflows/domain/templates/opportunity-propulsion';
import { call, type TestUser } from './auth';
import { seedDemo, type DemoWorld } from './demo';
import { uid } from './factories';
import type { Harness } from './harness';
import { createRecord, instancePath, publishPipeline, recordInstanceId } from './pipelines';

/**
 * The columns of the authorization matrix: the demo logins, the admin of a
 * second owner company that has no part in the demo's records, nobody, and a
 * revoked key.
 */
export const CALLERS = ['operator', 'admin', 'owner2_admin', 'sales', 'partnerA_user', 'partnerA_admin', 'partnerB_user', 'anonymous', 'revoked'] as const;
export type Caller = (typeof CALLERS)[number];

export const LEAD_KEY = 'partner-lead';
/** A pipeline started by hand on `ticket` records (no scope: whoever sees the record may start it). */
export const MANUAL_KEY = 'manual-ticket';
export const TICKET = 'ticket';
/** A draft that admins keep replacing and publishing; it runs on a type nobody creates. */
export const SCRATCH_KEY = 'scratch';

export interface Lead {
  id: string;
  instanceId: string;
  /** Values of the fields private to the sourcing company until the lead is accepted. */
  secrets: { amount: number; contactPhone: string; internalNotes: string };
  title: string;
}

export interface SecurityWorld {
  demo: DemoWorld;
  /** A TestUser per column; `anonymous` sends no Authorization header, `revoked` an admin key that was revoked. */
  as: Record<Caller, TestUser | undefined>;
  companies: DemoWorld['companies'];
  /** A lead assigned to partner A, in Pending. */
  lead: Lead;
  /** An opportunity of the owning company in its first stage, with its task open. */
  opportunity: { id: string; instanceId: string; taskId: string };
  /** A record partner B made in its own company (nobody else sees it). */
  partnerBNote: string;
  /** A company with no records: webhooks made for it never receive a delivery. */
  quietCompany: string;
  /** A webhook of the owning company, for an event nothing here raises (deadline.fired), so no delivery is tried. */
  webhookId: string;
  /** The second owner company, whose admin is the owner2_admin column. */
  owner2: string;
  /** Every lead made so far, to check partner answers for their private values. */
  leads: Lead[];
  fresh: Factories;
}

export interface Factories {
  lead(partner?: 'A' | 'B'): Promise<Lead>;
  acceptedLead(): Promise<Lead>;
  declinedLead(): Promise<Lead>;
  opportunity(): Promise<{ id: string; instanceId: string; taskId: string }>;
  lostOpportunity(): Promise<{ id: string; instanceId: string }>;
  ticket(): Promise<string>;
  draftPipeline(): Promise<string>;
  userInPartnerA(): Promise<string>;
  /** A new key of partner A's user, with its id (the key itself is not needed). */
  keyOfPartnerAUser(): Promise<string>;
  webhook(): Promise<string>;
}

const ok = (what: string, res: { status: number; body: any }, ...statuses: number[]) => {
  if (!statuses.includes(res.status)) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res;
};

/**
 * The world both security suites work in: the demo companies and users, the
 * built-in Partner lead and Opportunity propulsion templates, a hand-started
 * pipeline, and one object of each kind; plus factories for fresh objects so a
 * request that succeeds never changes what another request finds.
 */
export async function seedSecurityWorld(h: Harness): Promise<SecurityWorld> {
  const demo = await seedDemo(h);
  const { admin, sales, partnerA_user: paUser, partnerA_admin: paAdmin, partnerB_user: pbUser } = demo.users;
  const { partnerA: A, partnerB: B } = demo.companies;

  await publishPipeline(h, admin, partnerLeadTemplate());
  await publishPipeline(h, admin, opportunityPropulsionTemplate());
  await publishPipeline(h, admin, {
    key: MANUAL_KEY,
    name: 'Manual tickets',
    objectType: TICKET,
    stageField: 'stage',
    trigger: { onCreate: false, manual: true, reinitiate: false },
    multipleRuns: true,
    policy: { reversible: true, skippable: true, repeatable: true, reactivatable: true },
    stages: [
      { key: 'open', name: 'Open', type: 'normal', initial: true },
      { key: 'done', name: 'Done', type: 'success' },
    ],
  });
  await publishPipeline(h, admin, {
    key: SCRATCH_KEY,
    name: 'Scratch',
    objectType: 'scratch_object',
    stageField: 'stage',
    trigger: { onCreate: false, manual: false, reinitiate: false },
    multipleRuns: true,
    policy: { reversible: false, skippable: false, repeatable: false, reactivatable: false },
    stages: [
      { key: 'a', name: 'A', type: 'normal', initial: true },
      { key: 'b', name: 'B', type: 'success' },
    ],
  });

  const revokedKey = await h.stores.people.createApiKey(admin.actor.userId, new Date().toISOString());
  await h.stores.people.revokeApiKey(revokedKey.id, new Date().toISOString());
  const revoked: TestUser = {
    actor: admin.actor,
    apiKey: revokedKey.key,
    headers: { authorization: `Bearer ${revokedKey.key}`, 'content-type': 'application/json' },
  };

  const quietCompany = uid('cmp_quiet');
  await h.stores.people.upsertCompany({ id: quietCompany, name: 'Quiet (no records)', kind: 'partner', createdAt: new Date().toISOString() });

  // The second owner (Initech) runs a partner program of its own, with other windows, and partner A is in it too.
  const owner2 = demo.companies.owner2;
  const { initech_admin: owner2Admin, initech_sales: owner2Sales } = demo.users;
  await publishPipeline(h, owner2Admin, partnerLeadTemplate({ acceptWithin: '3d', convertWithin: '14d' }));
  await publishPipeline(h, owner2Admin, opportunityPropulsionTemplate());

  const leads: Lead[] = [];
  let serial = 0;
  const fresh: Factories = {
    async lead(partner = 'A') {
      serial += 1;
      const tag = crypto.randomBytes(4).toString('hex');
      const secrets = { amount: 700_000 + serial * 1_000 + 0.37, contactPhone: `PRIVATE-PHONE-${tag}`, internalNotes: `PRIVATE-NOTES-${tag}` };
      const title = `LEAD-${partner}-${tag}`;
      const res = ok(
        'creating a lead',
        await call(h, 'POST', '/v1/records/lead', {
          user: sales,
          body: { fields: { title, contactName: 'Jo', ...secrets }, partnerCompanyId: partner === 'A' ? A : B },
        }),
        201,
      );
      const lead = { id: res.body.id as string, instanceId: recordInstanceId(demo.companies.owner, LEAD_KEY, 'lead', res.body.id), secrets, title };
      leads.push(lead);
      return lead;
    },
    async acceptedLead() {
      const lead = await fresh.lead();
      ok('accepting a lead', await call(h, 'POST', `/v1/leads/${lead.id}/accept`, { user: paUser }), 200);
      return lead;
    },
    async declinedLead() {
      const lead = await fresh.lead();
      ok('declining a lead', await call(h, 'POST', `/v1/leads/${lead.id}/decline`, { user: paUser, body: { reason: 'no capacity' } }), 200);
      return lead;
    },
    async opportunity() {
      const record = await createRecord(h, sales, 'opportunity', { fields: { title: `Opp ${uid('o')}`, amount: 5_000 } });
      const instanceId = recordInstanceId(demo.companies.owner, OPPORTUNITY_KEY, 'opportunity', record.id);
      const state = ok('reading an opportunity', await call(h, 'GET', instancePath(instanceId), { user: sales }), 200);
      return { id: record.id, instanceId, taskId: state.body.tasks.open[0].id as string };
    },
    async lostOpportunity() {
      const opp = await fresh.opportunity();
      ok(
        'losing an opportunity',
        await call(h, 'POST', `${instancePath(opp.instanceId)}/moves`, { user: sales, body: { to: 'lost', fields: { lostReason: 'price' } } }),
        200,
      );
      return opp;
    },
    async ticket() {
      return (await createRecord(h, sales, TICKET, { fields: { title: `Ticket ${uid('t')}` } })).id;
    },
    async draftPipeline() {
      const key = uid('draft');
      ok(
        'saving a draft',
        await call(h, 'POST', '/v1/pipelines', {
          user: admin,
          body: { key, name: 'Draft', objectType: 'draft_object', stageField: 'stage', stages: [{ key: 'a', name: 'A', initial: true }] },
        }),
        201,
      );
      return key;
    },
    async userInPartnerA() {
      const id = uid('usr');
      await h.stores.people.upsertUser({ id, companyId: A, name: id, email: `${id}@example.test`, roles: ['partner_user'], attributes: {}, createdAt: new Date().toISOString() });
      return id;
    },
    async keyOfPartnerAUser() {
      return (await h.stores.people.createApiKey(paUser.actor.userId, new Date().toISOString())).id;
    },
    async webhook() {
      const hook = ok(
        'creating a webhook',
        await call(h, 'POST', '/v1/webhooks', { user: admin, body: { companyId: demo.companies.owner, url: 'http://127.0.0.1:9/hook', events: ['deadline.fired'] } }),
        201,
      );
      return hook.body.id as string;
    },
  };

  const lead = await fresh.lead();
  const opportunity = await fresh.opportunity();
  // Partner A's lead in Initech's program: its private values are checked in every answer as Acme's are.
  const tag = crypto.randomBytes(4).toString('hex');
  const owner2Secrets = { amount: 650_000.37, contactPhone: `PRIVATE-PHONE-${tag}`, internalNotes: `PRIVATE-NOTES-${tag}` };
  const owner2Lead = ok(
    "creating Initech's lead",
    await call(h, 'POST', '/v1/records/lead', { user: owner2Sales, body: { fields: { title: `LEAD-I-${tag}`, contactName: 'Io', ...owner2Secrets }, partnerCompanyId: A } }),
    201,
  );
  leads.push({ id: owner2Lead.body.id, instanceId: recordInstanceId(owner2, LEAD_KEY, 'lead', owner2Lead.body.id), secrets: owner2Secrets, title: `LEAD-I-${tag}` });
  await registerObjectTypes(h, { companyId: pbUser.actor.companyId! }, 'note');
  // Initech creates tickets of its own (the matrix's owner2_admin column, the links suite); Acme's come with its manual pipeline.
  await registerObjectTypes(h, owner2Admin, TICKET);
  const partnerBNote = (await createRecord(h, pbUser, 'note', { fields: { title: 'B only' } })).id;
  const webhookId = await fresh.webhook();
  // The lead stands in Pending: the partner has not accepted it, so its private fields are hidden from partners.
  const stored = await h.stores.records.get(lead.id);
  if (stored?.fields.status !== LEAD_STAGES.pending) throw new Error(`the lead is in ${String(stored?.fields.status)}, not Pending`);

  return {
    demo,
    as: { operator: demo.users.operator, admin, owner2_admin: owner2Admin, sales, partnerA_user: paUser, partnerA_admin: paAdmin, partnerB_user: pbUser, anonymous: undefined, revoked },
    companies: demo.companies,
    lead,
    opportunity,
    partnerBNote,
    quietCompany,
    webhookId,
    owner2,
    leads,
    fresh,
  };
}
