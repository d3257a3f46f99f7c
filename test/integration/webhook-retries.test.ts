import crypto from 'node:crypto';
import { partnerLeadTemplate } from '../../workflows/domain/templates/partner-lead';
import { webhookDeliveriesWorkflowId, type WebhookDeliveriesResult } from '../../workflows/webhook-deliveries';
import { call, type TestUser } from '../support/auth';
import { seedDemo, type DemoWorld } from '../support/demo';
import { eventually, startHarness, type Harness } from '../support/harness';
import { publishPipeline } from '../support/pipelines';
import { isAuthentic, RECEIVER_NETWORKS, startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

jest.setTimeout(90_000);

/**
 * The published schedule (0, 5 s, 5 min, … about a day) shortened for the
 * test, step for step: eight tries, the waits growing. 1.x gave up after
 * about 15 minutes, i.e. within the first three steps of today's schedule.
 */
const SCHEDULE = [0, 200, 400, 600, 800, 1_000, 1_200, 1_200];
const DAY = 86_400_000;

describe('Webhook retries on the published schedule', () => {
  let h: Harness;
  let demo: DemoWorld;
  let partnerAdmin: TestUser;
  const receivers: WebhookReceiver[] = [];
  const created: string[] = [];

  beforeAll(async () => {
    h = await startHarness({ webhookAllowNetworks: RECEIVER_NETWORKS, webhookRetry: { schedule: SCHEDULE, disableAfterMs: 5 * DAY } });
    demo = await seedDemo(h);
    partnerAdmin = demo.users.partnerB_admin;
    await publishPipeline(h, demo.users.admin, partnerLeadTemplate({ key: 'partner-lead' }));
  });
  // Every endpoint is partner B's and hears stage.entered: one test's endpoint must not hear the next test's leads.
  afterEach(async () => {
    for (const id of created.splice(0)) await h.stores.webhooks.disable(demo.companies.partnerB, id, new Date().toISOString());
  });
  afterAll(async () => {
    demo?.cleanup();
    await h?.stop();
    await Promise.all(receivers.map((rx) => rx.close()));
  });

  /** A receiver of its own, registered by partner B's admin for stage.entered. */
  async function endpoint() {
    const rx = await startWebhookReceiver();
    receivers.push(rx);
    const res = await call(h, 'POST', '/v1/webhooks', { user: partnerAdmin, body: { companyId: demo.companies.partnerB, url: rx.url, events: ['stage.entered'] } });
    expect(res.status).toBe(201);
    created.push(res.body.id);
    return { rx, id: res.body.id as string, secret: res.body.secret as string };
  }

  /** A lead sent to partner B: one stage.entered (pending) for each of its webhooks. */
  async function sendLead() {
    const res = await call(h, 'POST', '/v1/records/lead', { user: demo.users.sales, body: { fields: { title: `Roof ${crypto.randomUUID()}` }, partnerCompanyId: demo.companies.partnerB } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  const deliveryOf = (rx: WebhookReceiver, leadId: string) => eventually(async () => rx.received.find((r) => r.body?.record?.id === leadId), 30_000);
  const eventIdOf = (deliveryId: string) => deliveryId.split(':').slice(0, -2).join(':');
  const result = (deliveryId: string): Promise<WebhookDeliveriesResult> => h.client.workflow.getHandle(webhookDeliveriesWorkflowId(eventIdOf(deliveryId))).result();

  it('When a receiver is down for six tries (longer than 1.x retried), answering 503, 500, 400 and a 302, then the seventh delivers the event once, signed, and nothing is lost', async () => {
    const { rx, id, secret } = await endpoint();
    rx.failNext(6, 503);
    const leadId = await sendLead();
    const first = await deliveryOf(rx, leadId);
    const delivered = await eventually(async () => rx.accepted().find((r) => r.eventId === first.eventId), 30_000);
    const tries = rx.received.filter((r) => r.eventId === first.eventId);
    expect(tries.map((r) => r.answered)).toEqual([503, 503, 503, 503, 503, 503, 204]);
    // Each wait at least the schedule's step (timers, not a fixed backoff).
    tries.slice(1).forEach((t, i) => expect(t.at - tries[i]!.at).toBeGreaterThanOrEqual(SCHEDULE[i + 1]! - 50));
    expect(isAuthentic(delivered, secret)).toBe(true);
    expect(rx.accepted().filter((r) => r.body.record.id === leadId)).toHaveLength(1);
    expect(await result(first.eventId)).toEqual({ delivered: 1, skipped: 0, failed: 0 });
    expect(await h.stores.webhooks.getOutcome(first.eventId)).toMatchObject({ webhookId: id, status: 'delivered', attempts: 7, lastStatus: 204 });
    // A success clears the failing streak that would disable it.
    expect((await h.db.collection('webhooks').findOne({ _id: id as never }))?.failingSince).toBeUndefined();
  });

  it('When a receiver answers 400, then it is tried again (only 410 and an internal address are final)', async () => {
    const { rx } = await endpoint();
    rx.failNext(1, 400);
    const leadId = await sendLead();
    const first = await deliveryOf(rx, leadId);
    await eventually(async () => rx.accepted().find((r) => r.eventId === first.eventId), 30_000);
    expect(rx.received.filter((r) => r.eventId === first.eventId).map((r) => r.answered)).toEqual([400, 204]);
  });

  it('When a receiver answers 429 with Retry-After: 1, then the next try waits 1 s rather than the 200 ms step, and the log says when', async () => {
    const { rx } = await endpoint();
    rx.failNext(1, 429, '1');
    const leadId = await sendLead();
    const first = await deliveryOf(rx, leadId);
    const waiting = await eventually(async () => {
      const o = await h.stores.webhooks.getOutcome(first.eventId);
      return o?.status === 'retrying' && o;
    });
    expect(waiting).toMatchObject({ attempts: 1, lastStatus: 429, nextAttemptAt: expect.any(String) });
    expect(Date.parse(waiting.nextAttemptAt!) - first.at).toBeGreaterThanOrEqual(900);
    const second = await eventually(async () => rx.accepted().find((r) => r.eventId === first.eventId), 30_000);
    expect(second.at - first.at).toBeGreaterThanOrEqual(950);
  });

  it('When a receiver never accepts, then the delivery is tried once per step of the schedule and recorded failed', async () => {
    const { rx, id } = await endpoint();
    rx.failNext(1_000, 503);
    const leadId = await sendLead();
    const first = await deliveryOf(rx, leadId);
    expect(await result(first.eventId)).toEqual({ delivered: 0, skipped: 0, failed: 1 });
    expect(rx.received.filter((r) => r.eventId === first.eventId)).toHaveLength(SCHEDULE.length);
    expect(await h.stores.webhooks.getOutcome(first.eventId)).toMatchObject({ status: 'failed', attempts: SCHEDULE.length, lastStatus: 503 });
    // One day of failing is not five: the endpoint stays on, its streak counted.
    const doc = await h.db.collection('webhooks').findOne({ _id: id as never });
    expect(doc).toMatchObject({ active: true, failingSince: expect.any(String) });
  });

  it('When an endpoint has failed for five days and fails again, then it is disabled, the API says why, and no later step sends to it', async () => {
    const { rx, id } = await endpoint();
    const since = new Date(Date.now() - 5 * DAY - 60_000).toISOString();
    await h.db.collection('webhooks').updateOne({ _id: id as never }, { $set: { failingSince: since } });
    rx.failNext(1_000, 503);
    const leadId = await sendLead();
    const first = await deliveryOf(rx, leadId);
    expect(await result(first.eventId)).toMatchObject({ failed: 1 });
    expect(rx.received.filter((r) => r.eventId === first.eventId)).toHaveLength(1);
    const read = await call(h, 'GET', `/v1/webhooks/${id}`, { user: partnerAdmin });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ active: false, disabledReason: `every delivery failed since ${since}` });
    expect(await h.stores.webhooks.getOutcome(first.eventId)).toMatchObject({ status: 'failed', lastError: expect.stringContaining('the webhook is disabled') });
    // No step plans a delivery to it any more.
    expect((await h.stores.webhooks.matching([demo.companies.partnerB], ['stage.entered'])).map((w) => w.id)).not.toContain(id);
  });
});
