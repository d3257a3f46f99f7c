import crypto from 'node:crypto';
import type { CommandStartedEvent } from 'mongodb';
import { recordCreatedNotices } from '../../activities/record-created';
import { COLLECTIONS, inRevisionScope } from '../../activities/store';
import { keyedRecordId } from '../../api/use-cases/records';
import { newRecord } from '../../workflows/domain';
import { partnerLeadTemplate } from '../../workflows/domain/templates/partner-lead';
import type { PipelineDefinition } from '../../workflows/domain/types';
import { recordCreatedEventId } from '../../workflows/domain/webhooks';
import { webhookDeliveriesWorkflowId, type WebhookDeliveriesResult } from '../../workflows/webhook-deliveries';
import { call, type TestUser } from '../support/auth';
import { seedDemo, type DemoWorld } from '../support/demo';
import { uid } from '../support/factories';
import { registerObjectTypes } from '../support/object-types';
import { eventually, startHarness, type Harness } from '../support/harness';
import { instancePath, publishPipeline, startInstance, testPipeline } from '../support/pipelines';
import { isAuthentic, RECEIVER_NETWORKS, startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../support/webhook-receiver';

jest.setTimeout(120_000);

const RETRY = { schedule: [0, 200, 400, 800, 1_600], disableAfterMs: 86_400_000 };
/** The partner-lead template's fields private while Pending. */
const PRIVATE = ['amount', 'contactPhone', 'internalNotes'];

const deliveryIdOf = (recordId: string, webhookId: string) => `${recordCreatedEventId(recordId)}:${webhookId}:record.created`;

describe('record.created: once per record, from whatever wrote it', () => {
  let h: Harness;
  let demo: DemoWorld;
  let admin: TestUser;
  let sales: TestUser;
  const rx: Record<'owner' | 'partnerA' | 'partnerB' | 'deaf', WebhookReceiver> = {} as never;
  const hooks: Record<string, { id: string; secret: string }> = {};
  /** The commands sent while `counting`: what announcing records costs. */
  const commands: CommandStartedEvent[] = [];
  let counting = false;

  async function register(name: keyof typeof rx, companyId: string, by: TestUser, events: string[]) {
    const res = await call(h, 'POST', '/v1/webhooks', { user: by, body: { companyId, url: rx[name].url, events } });
    expect(res.status).toBe(201);
    hooks[name] = { id: res.body.id, secret: res.body.secret };
  }

  /** The record.created requests `name`'s receiver accepted for the record. */
  const createdFor = (name: keyof typeof rx, recordId: string): ReceivedWebhook[] =>
    rx[name].accepted().filter((r) => r.body?.type === 'record.created' && r.body.recordId === recordId);

  /**
   * Waits for the record's delivery workflow to finish (every delivery it
   * carries is then sent and answered), and answers what it came to.
   */
  async function deliveriesSettled(recordId: string): Promise<WebhookDeliveriesResult> {
    const handle = h.client.workflow.getHandle(webhookDeliveriesWorkflowId(recordCreatedEventId(recordId)));
    await eventually(async () => handle.describe().then(() => true, () => false), 30_000);
    return handle.result();
  }

  /** Exactly one signed record.created for the record reached `name`, and its delivery log says delivered at the first try. */
  async function theOneDelivery(name: keyof typeof rx, recordId: string): Promise<ReceivedWebhook> {
    const got = createdFor(name, recordId);
    expect(got).toHaveLength(1);
    const [one] = got as [ReceivedWebhook];
    const hook = hooks[name]!;
    expect(isAuthentic(one, hook.secret)).toBe(true);
    expect(one.eventId).toBe(deliveryIdOf(recordId, hook.id));
    const log = await call(h, 'GET', `/v1/webhooks/${hook.id}/deliveries?limit=100`, { user: name === 'owner' ? admin : name === 'partnerA' ? demo.users.partnerA_admin : demo.users.partnerB_admin });
    expect(log.status).toBe(200);
    const logged = log.body.items.filter((d: { id: string }) => d.id === one.eventId);
    expect(logged).toEqual([expect.objectContaining({ webhookId: hook.id, type: 'record.created', status: 'delivered', attempts: 1, lastStatus: 204 })]);
    return one;
  }

  /** No record.created of the record reached the webhook (nor any request naming it), nor is one planned. */
  async function nothingFor(name: keyof typeof rx, recordId: string) {
    expect(rx[name].received.filter((r) => r.body?.type === 'record.created' && r.raw.includes(recordId))).toEqual([]);
    expect(await h.stores.webhooks.outboxed(deliveryIdOf(recordId, hooks[name]!.id))).toBeUndefined();
  }

  /** A pipeline of Acme's on `type` whose only task makes a record of `recordType`. */
  function quotePipeline(type: string, recordType: string): PipelineDefinition {
    return testPipeline('Quotes', type, [
      {
        key: 'draft',
        name: 'Draft',
        type: 'normal',
        initial: true,
        tasks: [{ key: 'quote', name: 'Create a quotation', kind: 'create_record', recordType, linkField: 'quotationId', assignee: { kind: 'owner' }, required: false }],
      },
      { key: 'won', name: 'Won', type: 'success' },
    ]);
  }

  beforeAll(async () => {
    h = await startHarness({ webhookAllowNetworks: RECEIVER_NETWORKS, webhookRetry: RETRY, onCommand: (e) => counting && commands.push(e) });
    demo = await seedDemo(h);
    ({ admin, sales } = demo.users);
    const [owner, partnerA, partnerB, deaf] = await Promise.all([startWebhookReceiver(), startWebhookReceiver(), startWebhookReceiver(), startWebhookReceiver()]);
    Object.assign(rx, { owner, partnerA, partnerB, deaf });
    await publishPipeline(h, admin, partnerLeadTemplate({ key: 'partner-lead' }));
    await register('owner', demo.companies.owner, admin, ['record.created']);
    await register('partnerA', demo.companies.partnerA, demo.users.partnerA_admin, ['record.created', 'stage.entered']);
    await register('partnerB', demo.companies.partnerB, demo.users.partnerB_admin, ['record.created']);
    // Acme's, listening to everything but record.created.
    await register('deaf', demo.companies.owner, admin, ['stage.entered', 'task.completed', 'lead.converted', 'instance.finished']);
  });
  afterAll(async () => {
    demo?.cleanup();
    await h?.stop();
    await Promise.all(Object.values(rx).map((r) => r.close()));
  });

  it('When no webhook of the company listens for record.created, then announcing its records sends MongoDB nothing beyond the webhook read its step made already', async () => {
    const recordsCreated = recordCreatedNotices(h.stores, { client: h.client, taskQueue: h.taskQueue });
    const initech = demo.users.initech_sales.actor;
    const made = [uid('note'), uid('note')].map((id) =>
      newRecord({ id, type: 'note', ownerId: initech.userId, creatorId: initech.userId, companyId: demo.companies.owner2, fields: {} }, new Date().toISOString()),
    );
    await inRevisionScope(async () => {
      // What every step that raises an event (each step that creates records does) reads first: the active webhooks.
      await h.stores.webhooks.matching([demo.companies.owner2], ['stage.entered']);
      counting = true;
      await recordsCreated(made, initech);
      counting = false;
    });
    // Webhook bookkeeping only: the API and the worker share the client, and may sweep meanwhile.
    const mine = [COLLECTIONS.revisions, COLLECTIONS.webhooks, COLLECTIONS.webhookOutbox, COLLECTIONS.eventFeed];
    expect(commands.filter((c) => mine.includes(c.command[c.commandName])).map((c) => c.commandName)).toEqual([]);
  });

  it('When a record no pipeline runs on is created through the API, then the owner gets one signed record.created with the whole record, and a webhook not listening gets none', async () => {
    const type = uid('note');
    await registerObjectTypes(h, admin, type);
    const res = await call(h, 'POST', `/v1/records/${type}`, { user: sales, body: { fields: { title: 'Call back', amount: 12 } } });
    expect(res.status).toBe(201);
    const id = res.body.id as string;

    expect(await deliveriesSettled(id)).toEqual({ delivered: 1, skipped: 0, failed: 0 });
    const got = await theOneDelivery('owner', id);
    expect(got.body).toEqual({
      id: deliveryIdOf(id, hooks.owner!.id),
      type: 'record.created',
      occurredAt: res.body.createdAt,
      companyId: demo.companies.owner,
      recordId: id,
      actor: { userId: sales.actor.userId, companyId: demo.companies.owner },
      record: { id, type, version: 1, fields: { title: 'Call back', amount: 12 } },
      sequence: 0,
    });
    await nothingFor('deaf', id);
    await nothingFor('partnerA', id);

    // The company's event feed has it too, under the event's id.
    const feed = await eventually(async () => {
      const page = await call(h, 'GET', '/v1/events?limit=100', { user: admin });
      return page.body.items?.find((e: { recordId?: string }) => e.recordId === id);
    }, 10_000);
    expect(feed).toMatchObject({ id: `${recordCreatedEventId(id)}:record.created`, type: 'record.created', sequence: 0 });
  });

  it('When a keyed create is sent again, even after its kept answer is lost, then the record is still announced once', async () => {
    const type = uid('note');
    await registerObjectTypes(h, admin, type);
    const send = () => call(h, 'POST', `/v1/records/${type}`, { user: sales, body: { fields: { title: 'Once' } }, headers: { 'idempotency-key': key } });
    const key = uid('key');
    const first = await send();
    expect(first.status).toBe(201);
    const id = first.body.id as string;
    expect((await send()).body.id).toBe(id);
    // A process that died before it kept the answer: the retry reaches the create again, which finds the record.
    await h.db.collection(COLLECTIONS.idempotency).deleteMany({});
    const retried = await send();
    expect(retried.status).toBeLessThan(300);
    expect(retried.body.id).toBe(id);

    expect(await deliveriesSettled(id)).toEqual({ delivered: 1, skipped: 0, failed: 0 });
    await theOneDelivery('owner', id);
    expect(rx.owner.received.filter((r) => r.raw.includes(id))).toHaveLength(1);
  });

  it('When a keyed create wrote its record and died before announcing it, then its retry announces it, once', async () => {
    const type = uid('note');
    await registerObjectTypes(h, admin, type);
    const key = uid('key');
    const id = keyedRecordId(type, demo.companies.owner, sales.actor.userId, key);
    const at = new Date().toISOString();
    // What the first attempt left: the record, and neither an outbox entry nor a kept answer.
    await h.stores.records.insert(newRecord({ id, type, ownerId: sales.actor.userId, creatorId: sales.actor.userId, companyId: demo.companies.owner, fields: { title: 'Orphan' } }, at));
    const retried = await call(h, 'POST', `/v1/records/${type}`, { user: sales, body: { fields: { title: 'Orphan' } }, headers: { 'idempotency-key': key } });
    expect(retried.status).toBeLessThan(300);
    expect(retried.body.id).toBe(id);

    expect(await deliveriesSettled(id)).toEqual({ delivered: 1, skipped: 0, failed: 0 });
    const got = await theOneDelivery('owner', id);
    expect(got.body).toMatchObject({ occurredAt: at, recordId: id, record: { id, type, version: 1, fields: { title: 'Orphan' } }, sequence: 0 });
  });

  it('When a lead is created for partner A (its pipeline’s first step writes it), then the owner sees every field, partner A only what it may while Pending, partner B nothing', async () => {
    const phone = `+1-555-${crypto.randomInt(1_000_000, 9_999_999)}`;
    const res = await call(h, 'POST', '/v1/records/lead', {
      user: sales,
      body: { fields: { title: 'Roof', amount: 42_000, contactPhone: phone, internalNotes: 'margin 30%' }, partnerCompanyId: demo.companies.partnerA },
    });
    expect(res.status).toBe(201);
    const id = res.body.id as string;

    expect(await deliveriesSettled(id)).toEqual({ delivered: 2, skipped: 0, failed: 0 });
    const toOwner = await theOneDelivery('owner', id);
    expect(toOwner.body).toMatchObject({
      recordId: id,
      companyId: demo.companies.owner,
      actor: { userId: sales.actor.userId },
      record: { type: 'lead', fields: { title: 'Roof', amount: 42_000, contactPhone: phone, internalNotes: 'margin 30%', status: 'pending' } },
      sequence: 0,
    });
    const toPartner = await theOneDelivery('partnerA', id);
    expect(toPartner.body).toMatchObject({ recordId: id, companyId: demo.companies.owner, record: { type: 'lead', fields: { title: 'Roof', status: 'pending' } } });
    for (const field of PRIVATE) expect(toPartner.body.record.fields).not.toHaveProperty(field);
    expect(toPartner.raw).not.toContain(phone);
    await nothingFor('partnerB', id);
    await nothingFor('deaf', id);
  });

  it('When partner A converts its lead, then the opportunity the step creates is announced once to the owner and to partner A, as partner A did it', async () => {
    const created = await call(h, 'POST', '/v1/records/lead', {
      user: sales,
      body: { fields: { title: 'Gutter', amount: 8_000, contactPhone: '+1-555-0100100' }, partnerCompanyId: demo.companies.partnerA },
    });
    expect(created.status).toBe(201);
    const partner = demo.users.partnerA_user;
    expect((await call(h, 'POST', `/v1/leads/${created.body.id}/accept`, { user: partner, body: {} })).status).toBe(200);
    const converted = await call(h, 'POST', `/v1/leads/${created.body.id}/convert`, { user: partner, body: { opportunity: { fields: { amount: 9_000 } } } });
    expect(converted.status).toBe(200);
    const oppId = converted.body.record.fields.opportunityId as string;

    expect(await deliveriesSettled(oppId)).toEqual({ delivered: 2, skipped: 0, failed: 0 });
    for (const name of ['owner', 'partnerA'] as const) {
      const got = await theOneDelivery(name, oppId);
      expect(got.body).toMatchObject({
        type: 'record.created',
        recordId: oppId,
        companyId: demo.companies.owner,
        actor: { userId: partner.actor.userId, companyId: demo.companies.partnerA },
        record: { id: oppId, type: 'opportunity', fields: { amount: 9_000, sourceLeadId: created.body.id } },
        sequence: 0,
      });
    }
    await nothingFor('partnerB', oppId);
  });

  it('When a task is completed with a new record, then the step announces that record once', async () => {
    const type = uid('deal');
    const quoteType = uid('quote');
    const def = quotePipeline(type, quoteType);
    await publishPipeline(h, admin, def);
    const deal = await call(h, 'POST', `/v1/records/${type}`, { user: sales, body: { fields: { title: 'Big deal' } } });
    expect(deal.status).toBe(201);
    const started = await startInstance(h, sales, def.key, deal.body.id);
    expect(started.status).toBe(201);
    const instanceId = started.body.instanceId as string;
    const [first] = await h.stores.events.forInstance(instanceId);
    const taskId = `${first!.eventId.replace(/:1$/, '')}:1:quote`;
    const done = await call(h, 'POST', `${instancePath(instanceId)}/tasks/${encodeURIComponent(taskId)}/complete`, {
      user: sales,
      body: { record: { fields: { total: 9_500 } } },
    });
    expect(done.status).toBe(200);
    const quoteId = done.body.record.fields.quotationId as string;

    expect(await deliveriesSettled(quoteId)).toEqual({ delivered: 1, skipped: 0, failed: 0 });
    const got = await theOneDelivery('owner', quoteId);
    expect(got.body).toMatchObject({
      recordId: quoteId,
      companyId: demo.companies.owner,
      actor: { userId: sales.actor.userId, companyId: demo.companies.owner },
      record: { id: quoteId, type: quoteType, fields: { total: 9_500, [`${type}Id`]: deal.body.id } },
      sequence: 0,
    });
    // The deal itself was announced by the API when it was created, once.
    expect(createdFor('owner', deal.body.id)).toHaveLength(1);
    await nothingFor('deaf', quoteId);
  });

  it('When a record starts two pipelines (its record trigger writes it), then it is announced once', async () => {
    const type = uid('multi');
    const stages = [{ key: 'open', name: 'Open', type: 'normal' as const, initial: true }, { key: 'done', name: 'Done', type: 'success' as const }];
    const onCreate = { trigger: { onCreate: true, manual: true, reinitiate: false } };
    await publishPipeline(h, admin, testPipeline('One', type, stages, { ...onCreate, stageField: 'one' }));
    await publishPipeline(h, admin, testPipeline('Two', type, stages, { ...onCreate, stageField: 'two' }));
    const res = await call(h, 'POST', `/v1/records/${type}`, { user: sales, body: { fields: { title: 'Twice started' } } });
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    expect(res.body.instances).toHaveLength(2);
    // Written by the trigger, not by either instance's first step.
    expect((await h.client.workflow.getHandle(`trigger:${id}:created`).describe()).status.name).toBe('COMPLETED');

    expect(await deliveriesSettled(id)).toEqual({ delivered: 1, skipped: 0, failed: 0 });
    const got = await theOneDelivery('owner', id);
    expect(got.body).toMatchObject({
      recordId: id,
      companyId: demo.companies.owner,
      actor: { userId: sales.actor.userId, companyId: demo.companies.owner },
      record: { id, type, version: 1, fields: { title: 'Twice started' } },
      sequence: 0,
    });
  });
});
