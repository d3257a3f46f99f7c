import { COLLECTIONS } from '../../activities/store';
import { LEAD_STAGES } from '../../workflows/domain/templates/partner-lead';
import type { PipelineDefinition } from '../../workflows/domain/types';
import { call, type TestUser } from '../support/auth';
import { uid } from '../support/factories';
import { eventually, startHarness, type Harness } from '../support/harness';
import { createRecord, instancePath, publishPipeline, recordInstanceId, testPipeline } from '../support/pipelines';
import { LEAD_KEY, seedSecurityWorld, type SecurityWorld } from '../support/security';
import { RECEIVER_NETWORKS } from '../support/webhook-receiver';

jest.setTimeout(180_000);

/**
 * Issue 32, item 1: a record links only records of its own owning company.
 * Acme and Initech both run partner programs, and partner A is in both, so it
 * can see records of each: every way of linking must still refuse a link from
 * an Initech record to an Acme one (422 linked_record_not_found, as for an
 * unknown id) and change nothing.
 */

/** Initech's deal registrations: partner A links the opportunity in a task; Initech's sales move them to review. */
function dealRegistration(): PipelineDefinition {
  return testPipeline(
    'Deal registration',
    'deal_registration',
    [
      {
        key: 'open',
        name: 'Open',
        type: 'normal',
        initial: true,
        tasks: [
          { key: 'link_opp', name: 'Link the opportunity', kind: 'create_record', recordType: 'opportunity', linkField: 'opportunityId', assignee: { kind: 'partner_company' }, required: true },
        ],
      },
      { key: 'review', name: 'Review', type: 'normal' },
      { key: 'done', name: 'Done', type: 'success' },
    ],
    { key: 'deal-registration', trigger: { onCreate: true, manual: true, reinitiate: false } },
  );
}

describe('Links never cross tenants', () => {
  let h: Harness;
  let w: SecurityWorld;
  let initechSales: TestUser;
  let partnerA: TestUser;
  /** An opportunity of Acme that partner A sees: it made it from an Acme lead. */
  let acmeOpportunity: string;
  /** An Acme account and an Acme contact, which no Initech record may link. */
  let acmeAccount: string;
  let acmeContact: string;

  const stored = async (id: string) => (await h.stores.records.get(id))!;
  /** Refusals checked, for the figures. */
  let refused = 0;
  const refusedLink = (res: { status: number; body: any }) => {
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('linked_record_not_found');
    refused += 1;
  };
  const recordCount = () => h.db.collection(COLLECTIONS.records).countDocuments({});

  /** An Initech lead assigned to partner A, accepted by it. */
  async function initechAcceptedLead() {
    const lead = await createRecord(h, initechSales, 'lead', { fields: { title: `Initech lead ${uid('l')}` }, partnerCompanyId: w.companies.partnerA });
    const accepted = await call(h, 'POST', `/v1/leads/${lead.id}/accept`, { user: partnerA });
    expect(accepted.status).toBe(200);
    return { id: lead.id, instanceId: recordInstanceId(w.owner2, LEAD_KEY, 'lead', lead.id) };
  }

  /** An opportunity partner A converts a lead of `owner`'s into: the owner's record, assigned to partner A. */
  async function convertedOpportunity(lead: { id: string }): Promise<string> {
    const converted = await call(h, 'POST', `/v1/leads/${lead.id}/convert`, { user: partnerA, body: { opportunity: { fields: { title: 'Converted' } } } });
    expect(converted.status).toBe(200);
    return (await stored(lead.id)).fields.opportunityId as string;
  }

  /** A deal registration of Initech assigned to partner A, with its link task open. */
  async function deal() {
    const record = await createRecord(h, initechSales, 'deal_registration', { fields: { title: `Deal ${uid('d')}` }, partnerCompanyId: w.companies.partnerA });
    const instanceId = recordInstanceId(w.owner2, 'deal-registration', 'deal_registration', record.id);
    const state = await eventually(async () => {
      const res = await call(h, 'GET', instancePath(instanceId), { user: initechSales });
      return res.status === 200 && res.body.tasks.open.length === 1 && res.body;
    });
    return { id: record.id, instanceId, taskId: state.tasks.open[0].id as string };
  }

  beforeAll(async () => {
    h = await startHarness({ webhookAllowNetworks: RECEIVER_NETWORKS });
    w = await seedSecurityWorld(h);
    initechSales = w.demo.users.initech_sales;
    partnerA = w.as.partnerA_user!;
    await publishPipeline(h, w.demo.users.initech_admin, dealRegistration());
    acmeOpportunity = await convertedOpportunity(await w.fresh.acceptedLead());
    acmeAccount = (await createRecord(h, w.as.sales!, 'account', { fields: { name: 'Acme customer' } })).id;
    acmeContact = (await createRecord(h, w.as.sales!, 'contact', { fields: { name: 'Acme contact' } })).id;
  });
  afterAll(async () => {
    process.stdout.write(`Links: ${refused} cross-tenant or unknown links refused with 422, each leaving the stored records unchanged\n`);
    w?.demo.cleanup();
    await h?.stop();
  });

  describe('convert by link', () => {
    it("When partner A converts an Initech lead by linking Acme's opportunity it can see, then 422 linked_record_not_found and nothing changes", async () => {
      expect((await call(h, 'GET', `/v1/records/opportunity/${acmeOpportunity}`, { user: partnerA })).status).toBe(200);
      const lead = await initechAcceptedLead();
      const [leadBefore, oppBefore] = [await stored(lead.id), await stored(acmeOpportunity)];

      const res = await call(h, 'POST', `/v1/leads/${lead.id}/convert`, { user: partnerA, body: { opportunityId: acmeOpportunity } });
      refusedLink(res);
      expect(res.body.error).toMatchObject({ details: { field: 'opportunityId', id: acmeOpportunity } });
      // The same answer as for an id that exists nowhere: nothing of Acme's record shows.
      const unknown = await call(h, 'POST', `/v1/leads/${lead.id}/convert`, { user: partnerA, body: { opportunityId: 'opp_nowhere' } });
      expect(unknown.status).toBe(422);
      expect(unknown.body.error.code).toBe(res.body.error.code);
      expect(unknown.body.error.message).toBe(res.body.error.message.replace(acmeOpportunity, 'opp_nowhere'));

      expect(await stored(lead.id)).toEqual(leadBefore);
      expect(await stored(acmeOpportunity)).toEqual(oppBefore);
      expect((await h.stores.instances.get(lead.instanceId))?.stage).toBe(LEAD_STAGES.accepted);
    });

    it("When partner A converts an Initech lead by linking Initech's own opportunity, then the lead is converted and linked", async () => {
      const initechOpportunity = await convertedOpportunity(await initechAcceptedLead());
      const lead = await initechAcceptedLead();
      const res = await call(h, 'POST', `/v1/leads/${lead.id}/convert`, { user: partnerA, body: { opportunityId: initechOpportunity } });
      expect(res.status).toBe(200);
      expect((await stored(lead.id)).fields).toMatchObject({ status: LEAD_STAGES.converted, opportunityId: initechOpportunity });
    });

    it("When a conversion creates an opportunity whose fields link Acme's account, then 422 and no opportunity is made", async () => {
      const lead = await initechAcceptedLead();
      const [before, count] = [await stored(lead.id), await recordCount()];
      const res = await call(h, 'POST', `/v1/leads/${lead.id}/convert`, { user: partnerA, body: { opportunity: { fields: { title: 'x', accountId: acmeAccount } } } });
      refusedLink(res);
      expect(res.body.error).toMatchObject({ details: { field: 'accountId' } });
      expect(await stored(lead.id)).toEqual(before);
      expect(await recordCount()).toBe(count);
    });
  });

  describe('task links and records created by tasks', () => {
    it("When partner A completes an Initech task by linking Acme's opportunity, then 422 linked_record_not_found and the task stays open", async () => {
      const registration = await deal();
      const before = await stored(registration.id);
      const res = await call(h, 'POST', `${instancePath(registration.instanceId)}/tasks/${encodeURIComponent(registration.taskId)}/complete`, {
        user: partnerA,
        body: { fields: { opportunityId: acmeOpportunity } },
      });
      refusedLink(res);
      expect(res.body.error).toMatchObject({ details: { field: 'opportunityId', id: acmeOpportunity } });
      expect(await stored(registration.id)).toEqual(before);
      expect((await h.stores.tasks.get(registration.taskId))?.status).toBe('open');
    });

    it("When partner A completes it by linking an Initech opportunity, then the task is done and the record links it", async () => {
      const initechOpportunity = await convertedOpportunity(await initechAcceptedLead());
      const registration = await deal();
      const res = await call(h, 'POST', `${instancePath(registration.instanceId)}/tasks/${encodeURIComponent(registration.taskId)}/complete`, {
        user: partnerA,
        body: { fields: { opportunityId: initechOpportunity } },
      });
      expect(res.status).toBe(200);
      expect((await stored(registration.id)).fields.opportunityId).toBe(initechOpportunity);
    });

    it("When a task creates a record whose fields link Acme's account, then 422 and no record is created", async () => {
      const registration = await deal();
      const [before, count] = [await stored(registration.id), await recordCount()];
      const res = await call(h, 'POST', `${instancePath(registration.instanceId)}/tasks/${encodeURIComponent(registration.taskId)}/complete`, {
        user: partnerA,
        body: { record: { fields: { title: 'Made by the task', accountId: acmeAccount } } },
      });
      refusedLink(res);
      expect(res.body.error).toMatchObject({ details: { field: 'accountId', id: acmeAccount } });
      expect(await stored(registration.id)).toEqual(before);
      expect(await recordCount()).toBe(count);
    });
  });

  describe('record link fields, contacts and moves', () => {
    it.each<[string, Record<string, unknown>]>([
      ["Acme's account in accountId", { fields: { title: 'x', accountId: 'ACME_ACCOUNT' } }],
      ["Acme's contact as contactId", { fields: { title: 'x' }, contactId: 'ACME_CONTACT' }],
      ['a made-up id in a link field', { fields: { title: 'x', accountId: 'acc_nowhere' } }],
    ])('When Initech creates a record with %s, then 422 linked_record_not_found and no record is written', async (_case, body) => {
      const resolved = JSON.parse(JSON.stringify(body).replace('ACME_ACCOUNT', acmeAccount).replace('ACME_CONTACT', acmeContact));
      const count = await recordCount();
      const res = await call(h, 'POST', '/v1/records/ticket', { user: initechSales, body: resolved });
      refusedLink(res);
      expect(await recordCount()).toBe(count);
    });

    it("When Initech patches a record to link Acme's account, then 422 and the record is unchanged; its own account links", async () => {
      const ticket = await createRecord(h, initechSales, 'ticket', { fields: { title: 'Initech ticket' } });
      const own = await createRecord(h, initechSales, 'account', { fields: { name: 'Initech customer' } });
      const before = await stored(ticket.id);
      const refused = await call(h, 'PATCH', `/v1/records/ticket/${ticket.id}`, { user: initechSales, body: { fields: { accountId: acmeAccount } } });
      refusedLink(refused);
      expect(refused.body.error).toMatchObject({ details: { field: 'accountId' } });
      expect(await stored(ticket.id)).toEqual(before);
      const linked = await call(h, 'PATCH', `/v1/records/ticket/${ticket.id}`, { user: initechSales, body: { fields: { accountId: own.id } } });
      expect(linked.status).toBe(200);
      expect((await stored(ticket.id)).fields.accountId).toBe(own.id);
    });

    it("When a move of an Initech instance sets a link field to Acme's account, then 422 and the instance stays where it was", async () => {
      const registration = await deal();
      const before = await stored(registration.id);
      const res = await call(h, 'POST', `${instancePath(registration.instanceId)}/moves`, { user: initechSales, body: { to: 'review', fields: { accountId: acmeAccount } } });
      refusedLink(res);
      expect(await stored(registration.id)).toEqual(before);
      expect((await h.stores.instances.get(registration.instanceId))?.stage).toBe('open');
    });
  });
});
