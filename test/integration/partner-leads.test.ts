import crypto from 'node:crypto';
import { COLLECTIONS } from '../../activities/store';
import { LEAD_STAGES, partnerLeadTemplate } from '../../workflows/domain/templates/partner-lead';
import { opportunityPropulsionTemplate, OPPORTUNITY_KEY } from '../../workflows/domain/templates/opportunity-propulsion';
import type { InstanceState, PipelineDefinition } from '../../workflows/domain/types';
import { stateQuery } from '../../workflows/messages';
import * as sa from '../../workflows/search-attributes';
import { call, type TestUser } from '../support/auth';
import { seedDemo, type DemoWorld } from '../support/demo';
import { uid } from '../support/factories';
import { eventually, startHarness, type Harness } from '../support/harness';
import { contactInstanceId, instancePath, publishPipeline, recordInstanceId, startInstance, testPipeline } from '../support/pipelines';
import { DEMO_OWNERS } from '../../scripts/seed';

// jest reads testTimeout only from the root config, not from the integration project's.
jest.setTimeout(90_000);

/** The slow program: every lead with a partner that is not marked `fast`. */
const LEAD_KEY = 'partner-lead';
/** The same program with a 3-second conversion window, for leads created with `fast: true`. */
const FAST_KEY = 'partner-lead-fast';
/** Its stage field: only one enabled pipeline may hold a type's stage field. */
const FAST_FIELD = 'programStatus';
const HOUR_MS = 3_600_000;
/** Slack for "≈ now + 1h": the time between the API's clock and the workflow's step, never a speed bar. */
const SLACK_MS = 60_000;

/** The demo world's owning company, which runs the partner program here. */
const ACME = DEMO_OWNERS.acme;
const leadInstanceId = (leadId: string, key = LEAD_KEY) => recordInstanceId(ACME, key, 'lead', leadId);
const oppInstanceId = (oppId: string) => recordInstanceId(ACME, OPPORTUNITY_KEY, 'opportunity', oppId);
const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();

/** Every key in a JSON body, at any depth. */
function keysOf(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => keysOf(v, into));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      into.add(k);
      keysOf(v, into);
    }
  }
  return into;
}

describe('Partner lead program through the HTTP API', () => {
  let h: Harness;
  let demo: DemoWorld;
  let admin: TestUser;
  let sales: TestUser;
  let paAdmin: TestUser;
  let paUser: TestUser;
  let pbAdmin: TestUser;
  let pbUser: TestUser;
  let A: string;
  let B: string;

  beforeAll(async () => {
    h = await startHarness();
    demo = await seedDemo(h);
    ({ admin, sales, partnerA_admin: paAdmin, partnerA_user: paUser, partnerB_admin: pbAdmin, partnerB_user: pbUser } = demo.users);
    ({ partnerA: A, partnerB: B } = demo.companies);

    const slow = partnerLeadTemplate({ key: LEAD_KEY, acceptWithin: '1h', convertWithin: '1h' });
    slow.filter = {
      and: [
        { op: 'exists', path: 'record.partnerCompanyId', value: true },
        { op: 'ne', path: 'record.fast', value: true },
      ],
    };
    const fast = partnerLeadTemplate({ key: FAST_KEY, acceptWithin: '1h', convertWithin: '3s', stageField: FAST_FIELD });
    fast.filter = {
      and: [
        { op: 'exists', path: 'record.partnerCompanyId', value: true },
        { op: 'eq', path: 'record.fast', value: true },
      ],
    };
    await publishPipeline(h, admin, slow);
    await publishPipeline(h, admin, fast);
    await publishPipeline(h, admin, opportunityPropulsionTemplate());
  });
  afterAll(async () => {
    demo?.cleanup();
    await h?.stop();
  });

  interface Lead {
    id: string;
    instanceId: string;
    createdAt: string;
    amount: number;
    contactPhone: string;
  }

  /**
   * Sales sends a lead to a partner; returns once its instance has entered
   * Pending (the trigger starts it durably, a moment after the 201).
   */
  async function createLead(opts: { partner?: string; fields?: Record<string, unknown>; key?: string } = {}): Promise<Lead> {
    const amount = 10_000 + crypto.randomInt(80_000);
    const contactPhone = `+1-555-${crypto.randomInt(1_000_000, 9_999_999)}`;
    const res = await call(h, 'POST', '/v1/records/lead', {
      user: sales,
      body: {
        fields: { title: `Lead ${uid('t')}`, amount, contactPhone, contactName: 'Jo Contact', ...opts.fields },
        partnerCompanyId: opts.partner ?? A,
      },
    });
    expect(res.status).toBe(201);
    const instanceId = leadInstanceId(res.body.id, opts.key);
    expect(res.body.instances).toEqual([{ instanceId, outcome: 'started' }]);
    // The 201 comes once the instance stands in Pending: the lead can be acted on at once.
    expect(res.body.fields[opts.key === FAST_KEY ? FAST_FIELD : 'status']).toBe(LEAD_STAGES.pending);
    expect((await h.stores.instances.get(instanceId))?.stage).toBe(LEAD_STAGES.pending);
    return { id: res.body.id, instanceId, createdAt: res.body.createdAt, amount, contactPhone };
  }

  const act = (user: TestUser, leadId: string, action: string, body: unknown = {}) =>
    call(h, 'POST', `/v1/leads/${leadId}/${action}`, { user, body });
  const getInstance = (user: TestUser, instanceId: string) => call(h, 'GET', instancePath(instanceId), { user });
  const getLead = (user: TestUser, leadId: string) => call(h, 'GET', `/v1/records/lead/${leadId}`, { user });
  const stored = async (id: string) => (await h.stores.records.get(id))!;
  const workflowState = (instanceId: string) => h.client.workflow.getHandle(instanceId).query(stateQuery) as Promise<InstanceState>;
  const moveKeys = (body: { allowedMoves: Array<{ key: string }> }) => body.allowedMoves.map((m) => m.key);
  const opportunitiesFrom = (leadId: string) =>
    h.db.collection(COLLECTIONS.records).countDocuments({ type: 'opportunity', 'fields.sourceLeadId': leadId });

  /** What a refused action must leave exactly as it was: the record, its audit trail and the workflow's state. */
  async function snapshot(lead: Lead) {
    return {
      record: await stored(lead.id),
      events: (await h.stores.events.forRecord(lead.id)).length,
      state: await workflowState(lead.instanceId),
      opportunities: await opportunitiesFrom(lead.id),
    };
  }

  async function waitForStage(instanceId: string, stage: string) {
    return eventually(async () => {
      const projection = await h.stores.instances.get(instanceId);
      return projection?.stage === stage ? projection : undefined;
    });
  }

  /** A search attribute as the workflow last upserted it (what the Web UI and `temporal workflow list` filter on). */
  async function searchAttribute<T>(instanceId: string, key: (typeof sa.SEARCH_ATTRIBUTES)[number]): Promise<T | undefined> {
    const described = await h.client.workflow.getHandle(instanceId).describe();
    return described.typedSearchAttributes.get(key) as T | undefined;
  }

  it('When sales sends a lead and partner A accepts and converts it, then the lead closes converted and the new opportunity runs its own pipeline', async () => {
    const lead = await createLead();

    // Pending, with the program's 1h window.
    const pending = await getInstance(sales, lead.instanceId);
    expect(pending.status).toBe(200);
    expect(pending.body).toMatchObject({ status: 'running', stage: { key: 'pending', name: 'Pending' }, pipeline: { key: LEAD_KEY } });
    const expiresAt = String(pending.body.record.fields.expiresAt);
    expect(Math.abs(Date.parse(expiresAt) - (Date.parse(lead.createdAt) + HOUR_MS))).toBeLessThan(SLACK_MS);
    expect(pending.body.deadline).toMatchObject({ at: new Date(expiresAt).toISOString(), to: 'expired', source: 'field' });
    const pendingRecord = await stored(lead.id);
    expect(pendingRecord).toMatchObject({ partnerCompanyId: A, companyId: demo.companies.owner, archived: false });
    expect(pendingRecord.fields).toMatchObject({ status: 'pending', expiresAt, amount: lead.amount, contactPhone: lead.contactPhone });
    expect((await workflowState(lead.instanceId)).stage).toBe('pending');
    expect(await eventually(async () => (await searchAttribute<string>(lead.instanceId, sa.Stage)) === 'Pending')).toBe(true);

    // Accept: acceptedAt recorded, the deadline restarts at acceptance + convertWithin.
    const accepted = await act(paUser, lead.id, 'accept');
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ stage: { key: 'accepted' }, status: 'running' });
    const { acceptedAt, acceptedBy, expiresAt: renewed } = accepted.body.record.fields;
    expect(acceptedBy).toBe(paUser.actor.userId);
    expect(Date.parse(renewed) - Date.parse(acceptedAt)).toBe(HOUR_MS);
    expect(accepted.body.deadline).toMatchObject({ at: new Date(renewed).toISOString(), to: 'expired' });
    expect((await stored(lead.id)).fields).toMatchObject({ status: 'accepted', acceptedAt, acceptedBy, expiresAt: renewed });
    expect((await workflowState(lead.instanceId)).deadline?.at).toBe(new Date(renewed).toISOString());

    // Convert, creating the opportunity from the lead.
    const converted = await act(paUser, lead.id, 'convert', { opportunity: { fields: { amount: 9000 } } });
    expect(converted.status).toBe(200);
    expect(converted.body).toMatchObject({ stage: { key: 'closed_converted', name: 'Closed-Converted' }, status: 'finished', allowedMoves: [] });
    const oppId = converted.body.record.fields.opportunityId as string;
    expect(oppId).toEqual(expect.any(String));

    const leadAfter = await stored(lead.id);
    expect(leadAfter.fields).toMatchObject({ status: 'closed_converted', opportunityId: oppId, convertedAt: expect.any(String) });
    const opp = await stored(oppId);
    expect(opp).toMatchObject({
      type: 'opportunity',
      partnerCompanyId: A,
      companyId: demo.companies.owner,
      ownerId: sales.actor.userId,
      creatorId: paUser.actor.userId,
    });
    expect(opp.fields).toMatchObject({
      sourceLeadId: lead.id,
      amount: 9000,
      title: pendingRecord.fields.title,
      contactName: 'Jo Contact',
      contactPhone: lead.contactPhone,
    });

    // The opportunity's own pipeline runs.
    const oppInstance = await waitForStage(oppInstanceId(oppId), 'demand_analysis');
    expect(oppInstance).toMatchObject({ status: 'running', pipelineKey: OPPORTUNITY_KEY, recordId: oppId, partnerCompanyId: A });
    const oppView = await eventually(async () => {
      const res = await getInstance(sales, oppInstanceId(oppId));
      return res.status === 200 ? res : undefined;
    });
    expect(oppView.body).toMatchObject({ status: 'running', stage: { key: 'demand_analysis' } });
    expect(oppView.body.tasks.open.map((t: { key: string }) => t.key)).toEqual(['upload_proposal']);
    // Started by the lead's step itself, from the triggers it planned: no trigger workflow in between, and no
    // child start in the lead's history. The opportunity is its instance's to write from its insert on.
    await expect(h.client.workflow.getHandle(`trigger:${oppId}:created`).describe()).rejects.toThrow(/not found/i);
    const leadHistory = (await h.client.workflow.getHandle(lead.instanceId).fetchHistory()).events ?? [];
    expect(leadHistory.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toEqual([]);
    expect(await h.stores.records.getWritable(oppId)).toMatchObject({ writer: oppInstanceId(oppId) });

    // The lead's run is over, in Temporal and in the projection.
    const described = await eventually(async () => {
      const d = await h.client.workflow.getHandle(lead.instanceId).describe();
      return d.status.name === 'COMPLETED' ? d : undefined;
    });
    expect(described.status.name).toBe('COMPLETED');
    expect(await h.client.workflow.getHandle(lead.instanceId).result()).toMatchObject({ status: 'finished', stage: 'closed_converted' });
    expect(await h.stores.instances.get(lead.instanceId)).toMatchObject({ status: 'finished', stage: 'closed_converted', stageType: 'success' });
    const events = await h.stores.events.forRecord(lead.id);
    expect(events.map((e) => [e.kind, e.from ?? null, e.to, e.actor.userId])).toEqual([
      ['started', null, 'pending', sales.actor.userId],
      ['moved', 'pending', 'accepted', paUser.actor.userId],
      ['moved', 'accepted', 'closed_converted', paUser.actor.userId],
    ]);
    expect(events[2]!.details).toEqual({ createdRecord: { id: oppId, type: 'opportunity' } });
  });

  it('When partner A converts by linking an opportunity it can see, then the lead is linked; an opportunity of partner B is refused with 422 and nothing changes', async () => {
    const lead = await createLead();
    expect((await act(paUser, lead.id, 'accept')).status).toBe(200);

    const ofB = await call(h, 'POST', '/v1/records/opportunity', { user: sales, body: { fields: { title: 'B deal' }, partnerCompanyId: B } });
    expect(ofB.status).toBe(201);
    const before = await snapshot(lead);
    const refused = await act(paUser, lead.id, 'convert', { opportunityId: ofB.body.id });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('linked_record_not_found');
    expect(await snapshot(lead)).toEqual(before);
    expect((await getInstance(paUser, lead.instanceId)).body.stage.key).toBe('accepted');

    const missing = await act(paUser, lead.id, 'convert', { opportunityId: 'opp_does_not_exist' });
    expect(missing.status).toBe(422);
    expect(await snapshot(lead)).toEqual(before);

    const ofA = await call(h, 'POST', '/v1/records/opportunity', { user: sales, body: { fields: { title: 'A deal', amount: 1 }, partnerCompanyId: A } });
    expect(ofA.status).toBe(201);
    const linked = await act(paUser, lead.id, 'convert', { opportunityId: ofA.body.id });
    expect(linked.status).toBe(200);
    expect(linked.body).toMatchObject({ stage: { key: 'closed_converted' }, status: 'finished', record: { fields: { opportunityId: ofA.body.id } } });
    expect((await stored(lead.id)).fields).toMatchObject({ status: 'closed_converted', opportunityId: ofA.body.id });
    // Linking creates nothing new.
    expect(await opportunitiesFrom(lead.id)).toBe(0);
    expect((await stored(ofA.body.id)).fields).toEqual(expect.not.objectContaining({ sourceLeadId: expect.anything() }));
    const events = await h.stores.events.forRecord(lead.id);
    expect(events.at(-1)).toMatchObject({ kind: 'moved', from: 'accepted', to: 'closed_converted', actor: { userId: paUser.actor.userId } });
    expect(events.at(-1)?.details).toBeUndefined();
  });

  it("When a conversion creates an opportunity of a contact whose per-contact instance is bound elsewhere, then the record's trigger starts its own pipeline and records the ignored one", async () => {
    // Multiple runs off: one instance per contact, bound to the contact's first opportunity that matches.
    const perContact = testPipeline(
      'Per-contact deals',
      'opportunity',
      [
        { key: 'open', name: 'Open', type: 'normal', initial: true },
        { key: 'won', name: 'Won', type: 'success' },
      ],
      {
        // Its own stage field: the opportunity template holds `stage`.
        stageField: 'contactStage',
        trigger: { onCreate: true, manual: false, reinitiate: false },
        multipleRuns: false,
        filter: { op: 'eq', path: 'record.perContact', value: true },
      },
    );
    await publishPipeline(h, admin, perContact);
    const contact = await call(h, 'POST', '/v1/records/contact', { user: sales, body: { fields: { name: 'Bo Contact' } } });
    expect(contact.status).toBe(201);
    const contactInstance = contactInstanceId(ACME, perContact.key, contact.body.id);
    const first = await call(h, 'POST', '/v1/records/opportunity', {
      user: sales,
      body: { fields: { title: 'First deal', perContact: true }, contactId: contact.body.id },
    });
    expect(first.status).toBe(201);
    expect(first.body.instances).toContainEqual({ instanceId: contactInstance, outcome: 'started' });

    const created = await call(h, 'POST', '/v1/records/lead', {
      user: sales,
      body: { fields: { title: `Lead ${uid('t')}`, amount: 5_000 }, partnerCompanyId: A, contactId: contact.body.id },
    });
    expect(created.status).toBe(201);
    const lead = { id: created.body.id as string, instanceId: leadInstanceId(created.body.id) };
    expect((await act(paUser, lead.id, 'accept')).status).toBe(200);
    const converted = await act(paUser, lead.id, 'convert', { opportunity: { fields: { perContact: true } } });
    expect(converted.status).toBe(200);
    const oppId = converted.body.record.fields.opportunityId as string;
    expect((await stored(oppId)).contactId).toBe(contact.body.id);

    // The plan holds more than starts (the contact's instance is bound to the first deal): the lead's run hands it to the durable trigger.
    const trigger = h.client.workflow.getHandle(`trigger:${oppId}:created`);
    // The lead's step starts it, after its writes.
    await eventually(async () => (await trigger.describe()).workflowId === `trigger:${oppId}:created`);
    expect(await trigger.result()).toEqual(
      expect.arrayContaining([
        { instanceId: oppInstanceId(oppId), outcome: 'started' },
        { instanceId: contactInstance, outcome: 'ignored' },
      ]),
    );
    const oppInstance = await waitForStage(oppInstanceId(oppId), 'demand_analysis');
    expect(oppInstance).toMatchObject({ status: 'running', recordId: oppId });
    expect(await h.stores.instances.get(contactInstance)).toMatchObject({ recordId: first.body.id, status: 'running' });
    const ignored = (await h.stores.events.forRecord(oppId)).filter((e) => e.kind === 'trigger_ignored');
    expect(ignored).toEqual([
      expect.objectContaining({ instanceId: contactInstance, pipelineKey: perContact.key, reason: expect.stringContaining(first.body.id) }),
    ]);
    expect(await h.client.workflow.getHandle(lead.instanceId).result()).toMatchObject({ status: 'finished', stage: 'closed_converted' });
  });

  it('When a pending lead passes its expiresAt, then the system moves it to Expired', async () => {
    const expiresAt = inSeconds(3);
    const lead = await createLead({ fields: { expiresAt } });
    const pending = await getInstance(sales, lead.instanceId);
    expect(pending.body.deadline).toMatchObject({ at: expiresAt, to: 'expired', source: 'field' });

    const expired = await waitForStage(lead.instanceId, 'expired');
    expect(expired.status).toBe('finished');
    await eventually(async () => (await h.client.workflow.getHandle(lead.instanceId).describe()).status.name === 'COMPLETED');
    const record = await stored(lead.id);
    expect(record.fields).toMatchObject({ status: 'expired', expiresAt, expiredAt: expect.any(String) });
    expect(Date.parse(String(record.fields.expiredAt))).toBeGreaterThanOrEqual(Date.parse(expiresAt));
    const last = (await h.stores.events.forRecord(lead.id)).at(-1);
    expect(last).toMatchObject({ kind: 'deadline_fired', from: 'pending', to: 'expired', actor: { kind: 'system', userId: 'system' } });

    const view = await getInstance(sales, lead.instanceId);
    expect(view.body).toMatchObject({ stage: { key: 'expired', name: 'Expired' }, deadline: null });
    // Only the sourcing company may do anything with it now: reassign it.
    expect(moveKeys(view.body)).toEqual(['pending']);
    expect(moveKeys((await getInstance(paUser, lead.instanceId)).body)).toEqual([]);
    expect((await workflowState(lead.instanceId)).stage).toBe('expired');
    expect(await eventually(async () => (await searchAttribute<string>(lead.instanceId, sa.Stage)) === 'Expired')).toBe(true);
    // Too late to accept.
    const late = await act(paUser, lead.id, 'accept');
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('invalid_transition');
  });

  it('When an accepted lead is neither converted nor closed within the conversion window, then it expires', async () => {
    const lead = await createLead({ fields: { fast: true }, key: FAST_KEY });
    expect(await h.stores.instances.get(leadInstanceId(lead.id, LEAD_KEY))).toBeUndefined();
    const pending = await getInstance(sales, lead.instanceId);
    expect(Math.abs(Date.parse(pending.body.deadline.at) - (Date.parse(lead.createdAt) + HOUR_MS))).toBeLessThan(SLACK_MS);

    const accepted = await act(paAdmin, lead.id, 'accept');
    expect(accepted.status).toBe(200);
    expect(accepted.body.pipeline.key).toBe(FAST_KEY);
    const { acceptedAt, expiresAt } = accepted.body.record.fields;
    expect(Date.parse(expiresAt) - Date.parse(acceptedAt)).toBe(3_000);

    await waitForStage(lead.instanceId, 'expired');
    const record = await stored(lead.id);
    expect(record.fields).toMatchObject({ [FAST_FIELD]: 'expired', acceptedAt, expiresAt, expiredAt: expect.any(String) });
    const events = await h.stores.events.forRecord(lead.id);
    expect(events.map((e) => [e.kind, e.from ?? null, e.to])).toEqual([
      ['started', null, 'pending'],
      ['moved', 'pending', 'accepted'],
      ['deadline_fired', 'accepted', 'expired'],
    ]);
    expect(events[2]).toMatchObject({ actor: { kind: 'system' }, details: { deadlineAt: new Date(expiresAt).toISOString() } });
    const late = await act(paAdmin, lead.id, 'convert', { opportunity: { fields: {} } });
    expect(late.status).toBe(409);
    expect(await opportunitiesFrom(lead.id)).toBe(0);
  });

  it('When partner A declines without a reason, then 400 and nothing changes; with a reason, the lead is declined, archived and dated, and sales may hand it to partner B', async () => {
    const lead = await createLead();
    const before = await snapshot(lead);
    for (const body of [{}, { reason: '' }, { reason: '   ' }, { reason: 42 }, { why: 'x' }]) {
      const res = await act(paUser, lead.id, 'decline', body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
    expect(await snapshot(lead)).toEqual(before);

    const declined = await act(paUser, lead.id, 'decline', { reason: 'Outside our territory' });
    expect(declined.status).toBe(200);
    expect(declined.body).toMatchObject({ stage: { key: 'declined', name: 'Declined' }, status: 'finished', deadline: null });
    const record = await stored(lead.id);
    expect(record).toMatchObject({ archived: true, version: before.record.version + 1 });
    expect(record.fields).toMatchObject({ status: 'declined', declineReason: 'Outside our territory', declinedAt: expect.any(String) });
    const last = (await h.stores.events.forRecord(lead.id)).at(-1);
    expect(last).toMatchObject({ kind: 'moved', from: 'pending', to: 'declined', reason: 'Outside our territory', actor: { userId: paUser.actor.userId } });
    expect((await workflowState(lead.instanceId)).stage).toBe('declined');
    // A declined lead cannot be accepted after all.
    expect((await act(paUser, lead.id, 'accept')).status).toBe(409);

    // The sourcing company hands it to partner B, who starts over in Pending.
    const reassigned = await act(sales, lead.id, 'reassign', { partnerCompanyId: B });
    expect(reassigned.status).toBe(200);
    expect(reassigned.body).toMatchObject({ stage: { key: 'pending' }, record: { partnerCompanyId: B, archived: false } });
    const again = await stored(lead.id);
    expect(again.partnerCompanyId).toBe(B);
    expect(again.archived).toBe(false);
    expect(again.fields).toMatchObject({ status: 'pending', declineReason: null, declinedAt: null });
    expect((await getLead(paUser, lead.id)).status).toBe(404);
    expect((await act(pbUser, lead.id, 'accept')).status).toBe(200);
    // The declined run completed; the reassignment reopened the instance in a second run, with a fresh deadline.
    const runs = await eventually(async () => {
      const found: string[] = [];
      for await (const run of h.client.workflow.list({ query: `WorkflowId='${lead.instanceId}'` })) found.push(run.status.name);
      return found.length === 2 && found.sort();
    });
    expect(runs).toEqual(['COMPLETED', 'RUNNING']);
    expect((await getInstance(sales, lead.instanceId)).body).toMatchObject({ status: 'running', stage: { key: 'accepted' }, deadline: { to: 'expired' } });
  });

  it('When a pending lead is converted or closed, then 409 invalid_transition and nothing changes', async () => {
    const lead = await createLead();
    const opp = await call(h, 'POST', '/v1/records/opportunity', { user: sales, body: { fields: { title: 'A deal' }, partnerCompanyId: A } });
    const before = await snapshot(lead);
    for (const [action, body] of [
      ['convert', { opportunity: { fields: { amount: 1 } } }],
      ['convert', { opportunityId: opp.body.id }],
      ['close', { reason: 'not interested' }],
    ] as const) {
      const res = await act(paUser, lead.id, action, body);
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('invalid_transition');
      expect(res.body.error.message).toMatch(/Accepted/);
    }
    expect(await snapshot(lead)).toEqual(before);
    expect(before.opportunities).toBe(0);
    expect((await getInstance(paUser, lead.instanceId)).body.stage.key).toBe('pending');
  });

  it('When the sourcing company or partner B tries a partner action, then the sourcing company gets 409 not_allowed, partner B gets 404, and nothing changes', async () => {
    const lead = await createLead();
    const salesView = await getInstance(sales, lead.instanceId);
    expect(salesView.status).toBe(200);
    expect(moveKeys(salesView.body)).toEqual([]);
    expect(moveKeys((await getInstance(admin, lead.instanceId)).body)).toEqual([]);
    expect(moveKeys((await getInstance(paUser, lead.instanceId)).body)).toEqual(['accepted', 'declined']);
    expect(moveKeys((await getInstance(paAdmin, lead.instanceId)).body)).toEqual(['accepted', 'declined']);

    const refuse = async (user: TestUser, method: string, path: string, body: unknown, status: number, code: string) => {
      const before = await snapshot(lead);
      const res = await call(h, method, path, { user, body });
      expect({ path, status: res.status, code: res.body?.error?.code }).toEqual({ path, status, code });
      expect(await snapshot(lead)).toEqual(before);
    };
    const opp = await call(h, 'POST', '/v1/records/opportunity', { user: sales, body: { fields: { title: 'A deal' }, partnerCompanyId: A } });
    const leadActions = [
      ['accept', {}],
      ['decline', { reason: 'no' }],
      ['convert', { opportunity: { fields: {} } }],
      ['convert', { opportunityId: opp.body.id }],
      ['close', { reason: 'no' }],
    ] as const;

    // Pending: accept and decline are the partner's.
    for (const user of [sales, admin]) {
      await refuse(user, 'POST', `/v1/leads/${lead.id}/accept`, {}, 409, 'not_allowed');
      await refuse(user, 'POST', `/v1/leads/${lead.id}/decline`, { reason: 'no' }, 409, 'not_allowed');
      await refuse(user, 'POST', `${instancePath(lead.instanceId)}/moves`, { to: 'accepted' }, 409, 'not_allowed');
      await refuse(user, 'POST', `${instancePath(lead.instanceId)}/moves`, { to: 'declined', reason: 'no', fields: { declineReason: 'no' } }, 409, 'not_allowed');
    }
    for (const user of [pbUser, pbAdmin]) {
      for (const [action, body] of leadActions) await refuse(user, 'POST', `/v1/leads/${lead.id}/${action}`, body, 404, 'not_found');
      await refuse(user, 'POST', `/v1/leads/${lead.id}/reassign`, { partnerCompanyId: B }, 404, 'not_found');
      await refuse(user, 'POST', `/v1/leads/${lead.id}/reassign`, { partnerCompanyId: 'cmp_nowhere' }, 404, 'not_found');
      await refuse(user, 'PUT', `/v1/leads/${lead.id}/expiration`, { expiresAt: inSeconds(600) }, 404, 'not_found');
      await refuse(user, 'POST', `${instancePath(lead.instanceId)}/moves`, { to: 'accepted' }, 404, 'not_found');
      await refuse(user, 'GET', instancePath(lead.instanceId), undefined, 404, 'not_found');
      await refuse(user, 'GET', `${instancePath(lead.instanceId)}/events`, undefined, 404, 'not_found');
      await refuse(user, 'GET', `/v1/records/lead/${lead.id}`, undefined, 404, 'not_found');
      await refuse(user, 'GET', `/v1/records/lead/${lead.id}/events`, undefined, 404, 'not_found');
    }

    // Accepted: convert and close are the partner's too.
    expect((await act(paUser, lead.id, 'accept')).status).toBe(200);
    expect(moveKeys((await getInstance(sales, lead.instanceId)).body)).toEqual([]);
    expect(moveKeys((await getInstance(paUser, lead.instanceId)).body)).toEqual(['closed_converted', 'closed_not_converted']);
    for (const user of [sales, admin]) {
      await refuse(user, 'POST', `/v1/leads/${lead.id}/convert`, { opportunity: { fields: {} } }, 409, 'not_allowed');
      await refuse(user, 'POST', `/v1/leads/${lead.id}/convert`, { opportunityId: opp.body.id }, 409, 'not_allowed');
      await refuse(user, 'POST', `/v1/leads/${lead.id}/close`, { reason: 'no' }, 409, 'not_allowed');
      await refuse(user, 'POST', `${instancePath(lead.instanceId)}/moves`, { to: 'closed_not_converted', reason: 'no', fields: { closeReason: 'no' } }, 409, 'not_allowed');
      // Nor may it expire the lead by hand.
      await refuse(user, 'POST', `${instancePath(lead.instanceId)}/moves`, { to: 'expired' }, 409, 'not_allowed');
    }
    for (const user of [pbUser, pbAdmin]) {
      for (const [action, body] of leadActions) await refuse(user, 'POST', `/v1/leads/${lead.id}/${action}`, body, 404, 'not_found');
      await refuse(user, 'GET', instancePath(lead.instanceId), undefined, 404, 'not_found');
    }
    expect(await opportunitiesFrom(lead.id)).toBe(0);

    // The partner may close it.
    const closed = await act(paUser, lead.id, 'close', { reason: 'Budget frozen' });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ stage: { key: 'closed_not_converted' }, status: 'finished' });
    expect((await stored(lead.id)).fields).toMatchObject({ status: 'closed_not_converted', closeReason: 'Budget frozen', closedAt: expect.any(String) });
  });

  it("When partner B lists or reads leads, then partner A's lead is not among them", async () => {
    const lead = await createLead();
    const ofB = await createLead({ partner: B });

    const listB = await call(h, 'GET', '/v1/records/lead?limit=100', { user: pbUser });
    expect(listB.status).toBe(200);
    const idsB = listB.body.items.map((r: { id: string }) => r.id);
    expect(idsB).toContain(ofB.id);
    expect(idsB).not.toContain(lead.id);
    expect(listB.body.items.every((r: { partnerCompanyId: string }) => r.partnerCompanyId === B)).toBe(true);

    const listA = await call(h, 'GET', '/v1/records/lead?limit=100', { user: paUser });
    expect(listA.body.items.map((r: { id: string }) => r.id)).toContain(lead.id);
    expect(listA.body.items.map((r: { id: string }) => r.id)).not.toContain(ofB.id);

    const read = await getLead(pbUser, lead.id);
    expect(read.status).toBe(404);
    expect(read.body.error.code).toBe('not_found');
    expect((await getLead(pbAdmin, lead.id)).status).toBe(404);

    const instancesB = await call(h, 'GET', `/v1/instances?pipelineKey=${LEAD_KEY}&limit=100`, { user: pbAdmin });
    expect(instancesB.status).toBe(200);
    const instanceIdsB = instancesB.body.items.map((i: { instanceId: string }) => i.instanceId);
    expect(instanceIdsB).toContain(ofB.instanceId);
    expect(instanceIdsB).not.toContain(lead.instanceId);
    const instancesA = await call(h, 'GET', `/v1/instances?pipelineKey=${LEAD_KEY}&limit=100`, { user: paUser });
    expect(instancesA.body.items.map((i: { instanceId: string }) => i.instanceId)).toContain(lead.instanceId);
  });

  it("When a lead is pending, then partner A sees none of the sourcing company's private fields anywhere; the sourcing company does; after Accept partner A does too", async () => {
    const lead = await createLead({ fields: { internalNotes: 'walk away below 5k' } });
    const secrets = ['amount', 'contactPhone', 'internalNotes'];
    const secretValues = [String(lead.amount), lead.contactPhone, 'walk away below 5k'];
    const hidden = (label: string, body: unknown) => {
      const text = JSON.stringify(body);
      const leakedKeys = secrets.filter((k) => keysOf(body).has(k));
      const leakedValues = secretValues.filter((v) => text.includes(v));
      expect({ label, leakedKeys, leakedValues }).toEqual({ label, leakedKeys: [], leakedValues: [] });
    };
    const shown = (label: string, body: unknown) => {
      const text = JSON.stringify(body);
      expect({ label, amount: text.includes(String(lead.amount)), phone: text.includes(lead.contactPhone) }).toEqual({ label, amount: true, phone: true });
    };

    // Stored in full, marked private while Pending.
    const record = await stored(lead.id);
    expect(record.fields).toMatchObject({ amount: lead.amount, contactPhone: lead.contactPhone });
    expect(record.privateFields).toEqual(expect.arrayContaining(secrets));

    const partnerReads = async (user: TestUser) => ({
      record: await getLead(user, lead.id),
      list: await call(h, 'GET', '/v1/records/lead?limit=100', { user }),
      instance: await getInstance(user, lead.instanceId),
      instanceList: await call(h, 'GET', `/v1/instances?pipelineKey=${LEAD_KEY}&limit=100`, { user }),
      events: await call(h, 'GET', `/v1/records/lead/${lead.id}/events`, { user }),
      instanceEvents: await call(h, 'GET', `${instancePath(lead.instanceId)}/events`, { user }),
    });
    for (const user of [paUser, paAdmin]) {
      const reads = await partnerReads(user);
      for (const [label, res] of Object.entries(reads)) {
        expect({ label, status: res.status }).toEqual({ label, status: 200 });
        // The list also holds this file's accepted leads, whose fields partner A may see: look at this lead's entry.
        hidden(label, label === 'list' ? res.body.items.find((r: { id: string }) => r.id === lead.id) : res.body);
      }
      expect(reads.record.body.fields).toMatchObject({ title: expect.any(String), contactName: 'Jo Contact', status: 'pending' });
      expect(reads.list.body.items.map((r: { id: string }) => r.id)).toContain(lead.id);
      expect(JSON.stringify(reads.list.body)).not.toContain(lead.contactPhone);
      // Refused actions and bad input do not echo the record either.
      hidden('refused convert', (await act(user, lead.id, 'convert', { opportunity: { fields: {} } })).body);
      hidden('bad decline', (await act(user, lead.id, 'decline', {})).body);
    }
    // The sourcing company sees everything.
    const salesReads = await partnerReads(sales);
    shown('sales record', salesReads.record.body);
    shown('sales list', salesReads.list.body);
    shown('sales instance', salesReads.instance.body);
    expect(salesReads.instance.body.record.fields.internalNotes).toBe('walk away below 5k');

    // A second lead declined while private: the decline answer hides them too.
    const other = await createLead();
    const declined = await act(paUser, other.id, 'decline', { reason: 'No capacity' });
    expect(declined.status).toBe(200);
    expect(keysOf(declined.body).has('amount')).toBe(false);
    expect(keysOf(declined.body).has('contactPhone')).toBe(false);
    expect(JSON.stringify(declined.body)).not.toContain(other.contactPhone);

    // Accepting lifts the privacy: the accept answer and every later read show them.
    const accepted = await act(paUser, lead.id, 'accept');
    expect(accepted.status).toBe(200);
    expect(accepted.body.record.fields).toMatchObject({ amount: lead.amount, contactPhone: lead.contactPhone, internalNotes: 'walk away below 5k' });
    expect((await stored(lead.id)).privateFields).toEqual([]);
    const after = await partnerReads(paUser);
    shown('record after accept', after.record.body);
    shown('list after accept', after.list.body);
    shown('instance after accept', after.instance.body);
  });

  it('When an expired lead is reassigned, then only the sourcing company may do it and it starts over in Pending for the new partner', async () => {
    const lead = await createLead({ fields: { expiresAt: inSeconds(2) } });
    await waitForStage(lead.instanceId, 'expired');

    const before = await snapshot(lead);
    for (const user of [paUser, paAdmin]) {
      const res = await act(user, lead.id, 'reassign', { partnerCompanyId: B });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('not_allowed');
    }
    const unknown = await act(sales, lead.id, 'reassign', { partnerCompanyId: demo.companies.owner });
    expect(unknown.status).toBe(422);
    expect((await act(sales, lead.id, 'reassign', {})).status).toBe(400);
    expect(await snapshot(lead)).toEqual(before);

    const reassignedAt = Date.now();
    const res = await act(sales, lead.id, 'reassign', { partnerCompanyId: B });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ stage: { key: 'pending' }, status: 'running', record: { partnerCompanyId: B } });
    const record = await stored(lead.id);
    expect(record.partnerCompanyId).toBe(B);
    expect(record.fields.status).toBe('pending');
    expect(record.fields.acceptedAt ?? null).toBeNull();
    expect(record.fields.expiredAt ?? null).toBeNull();
    const freshExpiry = Date.parse(String(record.fields.expiresAt));
    expect(Math.abs(freshExpiry - (reassignedAt + HOUR_MS))).toBeLessThan(SLACK_MS);
    expect(res.body.deadline).toMatchObject({ at: new Date(freshExpiry).toISOString(), to: 'expired' });
    expect(await h.stores.instances.get(lead.instanceId)).toMatchObject({ stage: 'pending', status: 'running', partnerCompanyId: B });
    expect((await workflowState(lead.instanceId)).record.partnerCompanyId).toBe(B);
    expect(await eventually(async () => (await searchAttribute<string>(lead.instanceId, sa.PartnerCompanyId)) === B)).toBe(true);

    // Partner A lost it; partner B has it.
    expect((await getLead(paUser, lead.id)).status).toBe(404);
    expect((await getInstance(paUser, lead.instanceId)).status).toBe(404);
    expect((await act(paUser, lead.id, 'accept')).status).toBe(404);
    expect((await getLead(pbUser, lead.id)).status).toBe(200);
    const view = await getInstance(pbUser, lead.instanceId);
    expect(view.status).toBe(200);
    expect(moveKeys(view.body)).toEqual(['accepted', 'declined']);
    const accepted = await act(pbUser, lead.id, 'accept');
    expect(accepted.status).toBe(200);
    expect(accepted.body.record.fields.acceptedBy).toBe(pbUser.actor.userId);

    // A lead the partner is working on is not the sourcing company's to take back.
    const taken = await act(sales, lead.id, 'reassign', { partnerCompanyId: A });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('invalid_transition');
    expect((await stored(lead.id)).partnerCompanyId).toBe(B);

    const trail = await call(h, 'GET', `/v1/records/lead/${lead.id}/events`, { user: sales });
    expect(trail.status).toBe(200);
    expect(trail.body.items.map((e: any) => [e.kind, e.from ?? null, e.to, e.actor.userId])).toEqual([
      ['started', null, 'pending', sales.actor.userId],
      ['deadline_fired', 'pending', 'expired', 'system'],
      ['moved', 'expired', 'pending', sales.actor.userId],
      ['moved', 'pending', 'accepted', pbUser.actor.userId],
    ]);
    expect(trail.body.items[2]).toMatchObject({ reason: expect.stringMatching(/reassigned/), details: { partnerCompanyId: { from: A, to: B } } });
  });

  it('When sales sets a lead’s expiration, then the deadline moves (and fires); partners get 403 and a bad date gets 400', async () => {
    const lead = await createLead();
    const later = new Date(Date.now() + 2 * HOUR_MS).toISOString();
    const moved = await call(h, 'PUT', `/v1/leads/${lead.id}/expiration`, { user: sales, body: { expiresAt: later } });
    expect(moved.status).toBe(200);
    expect(moved.body.fields.expiresAt).toBe(later);
    const view = await getInstance(sales, lead.instanceId);
    expect(view.body.deadline).toMatchObject({ at: later, to: 'expired', source: 'field' });
    expect((await stored(lead.id)).fields.expiresAt).toBe(later);
    expect((await workflowState(lead.instanceId)).deadline?.at).toBe(later);
    expect((await h.stores.events.forRecord(lead.id)).at(-1)).toMatchObject({ kind: 'record_updated', details: { fields: ['expiresAt'] } });

    const before = await snapshot(lead);
    for (const user of [paUser, paAdmin]) {
      const res = await call(h, 'PUT', `/v1/leads/${lead.id}/expiration`, { user, body: { expiresAt: inSeconds(1) } });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
    for (const expiresAt of ['tomorrow', '2030-13-45T00:00:00Z', '', 12345, null]) {
      const res = await call(h, 'PUT', `/v1/leads/${lead.id}/expiration`, { user: sales, body: { expiresAt } });
      expect({ expiresAt, status: res.status }).toEqual({ expiresAt, status: 400 });
    }
    expect((await call(h, 'PUT', `/v1/leads/${lead.id}/expiration`, { user: sales, body: {} })).status).toBe(400);
    expect(await snapshot(lead)).toEqual(before);

    // Two seconds ahead: it expires.
    const soon = inSeconds(2);
    const shortened = await call(h, 'PUT', `/v1/leads/${lead.id}/expiration`, { user: sales, body: { expiresAt: soon } });
    expect(shortened.status).toBe(200);
    expect((await getInstance(sales, lead.instanceId)).body.deadline).toMatchObject({ at: soon });
    await waitForStage(lead.instanceId, 'expired');
    expect((await h.stores.events.forRecord(lead.id)).at(-1)).toMatchObject({ kind: 'deadline_fired', details: { deadlineAt: soon } });
  });

  it("When an SRE lists running Pending partner leads in Temporal, then the answer is exactly the leads pending in MongoDB's projection", async () => {
    const leads = [await createLead(), await createLead(), await createLead()];
    expect((await act(paUser, leads[0]!.id, 'accept')).status).toBe(200);
    const pendingIds = leads.slice(1).map((l) => l.instanceId);

    const query = `PipelineKey='${LEAD_KEY}' AND Stage='Pending' AND ExecutionStatus='Running' AND TaskQueue='${h.taskQueue}'`;
    const { temporal, mongo } = await eventually(async () => {
      const temporalIds = new Set<string>();
      for await (const wf of h.client.workflow.list({ query })) temporalIds.add(wf.workflowId);
      const { instances: projected } = await h.stores.instances.page({ pipelineKey: LEAD_KEY, stage: 'pending', status: 'running' }, { limit: 1_000 });
      const mongoIds = new Set(projected.map((p) => p.instanceId));
      const same = temporalIds.size === mongoIds.size && [...temporalIds].every((id) => mongoIds.has(id));
      return same && pendingIds.every((id) => temporalIds.has(id)) && !temporalIds.has(leads[0]!.instanceId)
        ? { temporal: temporalIds, mongo: mongoIds }
        : undefined;
    });
    expect([...temporal].sort()).toEqual([...mongo].sort());
    expect([...temporal]).toEqual(expect.arrayContaining(pendingIds));
    expect(temporal.has(leads[0]!.instanceId)).toBe(false);

    const acceptedQuery = `PipelineKey='${LEAD_KEY}' AND Stage='Accepted' AND TaskQueue='${h.taskQueue}'`;
    await eventually(async () => {
      for await (const wf of h.client.workflow.list({ query: acceptedQuery })) if (wf.workflowId === leads[0]!.instanceId) return true;
      return false;
    });
  });

  describe('seed 004: finer controls', () => {
    function dealPipeline(overrides: Partial<PipelineDefinition> = {}): PipelineDefinition {
      return {
        key: uid('deal'),
        name: 'Joint deals',
        objectType: 'deal',
        stageField: 'stage',
        trigger: { onCreate: false, manual: true, reinitiate: false },
        multipleRuns: true,
        policy: { reversible: true, skippable: false, repeatable: true, reactivatable: false },
        stages: [
          { key: 'draft', name: 'Draft', type: 'normal', initial: true },
          { key: 'submitted', name: 'Submitted for review', type: 'normal', rules: { back: { roles: ['partner_admin'] } } },
          { key: 'won', name: 'Won', type: 'success' },
        ],
        ...overrides,
      };
    }

    async function startDeal(def: PipelineDefinition) {
      await publishPipeline(h, admin, def);
      const created = await call(h, 'POST', `/v1/records/${def.objectType}`, { user: sales, body: { fields: { title: 'Joint deal' }, partnerCompanyId: A } });
      expect(created.status).toBe(201);
      const started = await startInstance(h, sales, def.key, created.body.id);
      expect(started.status).toBe(201);
      return { recordId: created.body.id as string, instanceId: started.body.instanceId as string };
    }
    const move = (user: TestUser, instanceId: string, to: string) => call(h, 'POST', `${instancePath(instanceId)}/moves`, { user, body: { to } });

    it('When a stage may only be rolled back by a program admin, then a partner user (or sales) gets 409 not_allowed and the partner admin moves it back', async () => {
      const { recordId, instanceId } = await startDeal(dealPipeline());
      expect((await move(paUser, instanceId, 'submitted')).status).toBe(200);
      expect(moveKeys((await getInstance(paUser, instanceId)).body)).not.toContain('draft');
      expect(moveKeys((await getInstance(paAdmin, instanceId)).body)).toContain('draft');

      const before = { record: await stored(recordId), events: (await h.stores.events.forInstance(instanceId)).length };
      for (const user of [paUser, sales]) {
        const res = await move(user, instanceId, 'draft');
        expect(res.status).toBe(409);
        expect(res.body.error.code).toBe('not_allowed');
        expect(res.body.error.message).toMatch(/partner_admin/);
      }
      expect({ record: await stored(recordId), events: (await h.stores.events.forInstance(instanceId)).length }).toEqual(before);
      expect((await workflowState(instanceId)).stage).toBe('submitted');

      const back = await move(paAdmin, instanceId, 'draft');
      expect(back.status).toBe(200);
      expect(back.body.stage.key).toBe('draft');
      expect((await stored(recordId)).fields.stage).toBe('draft');
      expect((await h.stores.events.forInstance(instanceId)).at(-1)).toMatchObject({
        kind: 'moved',
        from: 'submitted',
        to: 'draft',
        actor: { userId: paAdmin.actor.userId },
      });
      // Forward moves stay open to the partner user.
      expect((await move(paUser, instanceId, 'submitted')).status).toBe(200);
    });

    it('When a stage invites partner B as a participant, then partner B gets 404 on the record before that stage and 200 after', async () => {
      const def = dealPipeline({
        objectType: 'solution',
        stages: [
          { key: 'draft', name: 'Draft', type: 'normal', initial: true },
          { key: 'joint', name: 'Joint selling', type: 'normal', effects: { invite: { companies: [B] } } },
          { key: 'won', name: 'Won', type: 'success' },
        ],
      });
      const { recordId, instanceId } = await startDeal(def);
      for (const user of [pbUser, pbAdmin]) {
        expect((await call(h, 'GET', `/v1/records/solution/${recordId}`, { user })).status).toBe(404);
        expect((await getInstance(user, instanceId)).status).toBe(404);
        const list = await call(h, 'GET', '/v1/records/solution', { user });
        expect(list.body.items.map((r: { id: string }) => r.id)).not.toContain(recordId);
      }
      expect((await stored(recordId)).participants.companies).toEqual([]);

      expect((await move(sales, instanceId, 'joint')).status).toBe(200);
      expect((await stored(recordId)).participants.companies).toEqual([B]);
      for (const user of [pbUser, pbAdmin]) {
        const read = await call(h, 'GET', `/v1/records/solution/${recordId}`, { user });
        expect(read.status).toBe(200);
        expect(read.body).toMatchObject({ id: recordId, participants: { companies: [B] }, fields: { stage: 'joint' } });
        expect((await getInstance(user, instanceId)).status).toBe(200);
        const list = await call(h, 'GET', '/v1/records/solution', { user });
        expect(list.body.items.map((r: { id: string }) => r.id)).toContain(recordId);
      }
      // Partner A (the assigned partner) saw it all along.
      expect((await call(h, 'GET', `/v1/records/solution/${recordId}`, { user: paUser })).status).toBe(200);
    });
  });
});
