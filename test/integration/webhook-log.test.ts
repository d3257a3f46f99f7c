import crypto from 'node:crypto';
import { partnerLeadTemplate } from '../../workflows/domain/templates/partner-lead';
import { call, type TestUser } from '../support/auth';
import { seedDemo, type DemoWorld } from '../support/demo';
import { eventually, startHarness, type Harness } from '../support/harness';
import { publishPipeline } from '../support/pipelines';
import { RECEIVER_NETWORKS, startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

jest.setTimeout(90_000);

describe('The delivery log and redelivery', () => {
  let h: Harness;
  let demo: DemoWorld;
  let admin: TestUser;
  let rx: WebhookReceiver;
  let hookId: string;
  const leads: string[] = [];

  const deliveries = (query = '', user: TestUser = admin, id = hookId) => call(h, 'GET', `/v1/webhooks/${id}/deliveries${query}`, { user });
  const redeliver = (deliveryId: string, user: TestUser = admin, id = hookId) =>
    call(h, 'POST', `/v1/webhooks/${id}/deliveries/${encodeURIComponent(deliveryId)}/redeliver`, { user });
  /** The log of this test's hook once every delivery of these leads is over. */
  const settled = (n: number) =>
    eventually(async () => {
      const res = await deliveries();
      return res.body.items.length >= n && res.body.items.every((d: { status: string }) => d.status === 'delivered') && res.body.items;
    }, 30_000);

  beforeAll(async () => {
    h = await startHarness({ webhookAllowNetworks: RECEIVER_NETWORKS, webhookRetry: { schedule: [0, 200, 400, 800], disableAfterMs: 86_400_000 } });
    demo = await seedDemo(h);
    admin = demo.users.admin;
    rx = await startWebhookReceiver();
    await publishPipeline(h, admin, partnerLeadTemplate({ key: 'partner-lead' }));
    const res = await call(h, 'POST', '/v1/webhooks', { user: admin, body: { companyId: demo.companies.owner, url: rx.url, events: ['stage.entered'] } });
    expect(res.status).toBe(201);
    hookId = res.body.id;
    // Three leads, one event each; the first answered 503 twice before its 204.
    rx.failNext(2, 503);
    for (let i = 0; i < 3; i++) {
      const lead = await call(h, 'POST', '/v1/records/lead', { user: demo.users.sales, body: { fields: { title: `Roof ${crypto.randomUUID()}` }, partnerCompanyId: demo.companies.partnerA } });
      expect(lead.status).toBe(201);
      leads.push(lead.body.id);
      await eventually(async () => rx.accepted().some((r) => r.body.record.id === lead.body.id), 30_000);
    }
  });
  afterAll(async () => {
    demo?.cleanup();
    await h?.stop();
    await rx?.close();
  });

  it('When a delivery took three tries, then its log shows each: status, response code, error, time and next attempt', async () => {
    const items = await settled(3);
    const first = items.find((d: { id: string }) => rx.received[0]!.eventId === d.id);
    expect(first).toMatchObject({ webhookId: hookId, type: 'stage.entered', status: 'delivered', attempts: 3, lastStatus: 204, deliveredAt: expect.any(String) });
    expect(first).not.toHaveProperty('lastError');
    expect(first.log).toEqual([
      { at: expect.any(String), status: 'retrying', responseCode: 503, error: 'the receiver answered 503', nextAttemptAt: expect.any(String) },
      { at: expect.any(String), status: 'retrying', responseCode: 503, error: 'the receiver answered 503', nextAttemptAt: expect.any(String) },
      { at: expect.any(String), status: 'delivered', responseCode: 204 },
    ]);
    expect(Date.parse(first.log[1].at)).toBeGreaterThanOrEqual(Date.parse(first.log[0].nextAttemptAt) - 50);
    // The stored document is the answer.
    expect(await h.stores.webhooks.getOutcome(first.id)).toMatchObject({ attempts: 3, log: first.log });
  });

  it('When the log is paged and filtered, then pages hold every delivery once, newest first, and the filters hold', async () => {
    const all = await settled(3);
    const createdOrder = [...all].map((d: { createdAt: string }) => d.createdAt);
    expect(createdOrder).toEqual([...createdOrder].sort().reverse());
    const page1 = await deliveries('?limit=2');
    expect(page1.status).toBe(200);
    expect(page1.body.items).toHaveLength(2);
    expect(page1.headers.get('link')).toContain('rel="next"');
    const page2 = await deliveries(`?limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body).toMatchObject({ nextCursor: null });
    expect([...page1.body.items, ...page2.body.items].map((d: { id: string }) => d.id)).toEqual(all.map((d: { id: string }) => d.id));

    expect((await deliveries('?status=failed')).body.items).toEqual([]);
    expect((await deliveries('?status=delivered')).body.items).toHaveLength(3);
    const newest = all[0].createdAt as string;
    expect((await deliveries(`?since=${encodeURIComponent(newest)}`)).body.items.map((d: { id: string }) => d.id)).toEqual([all[0].id]);
    expect((await deliveries(`?until=${encodeURIComponent(newest)}`)).body.items).toHaveLength(2);
    expect((await deliveries(`?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).body.items).toEqual([]);
  });

  it.each([
    ['an unknown status', '?status=lost', 'status'],
    ['a since that is no date', '?since=yesterday', 'since'],
    ['since after until', '?since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z', 'until'],
    ['an unknown filter', '?webhookId=other', 'webhookId'],
    ['a cursor of other filters', '?status=delivered&cursor=eyJxIjoieCIsImF0IjpbIngiLCJ5Il19', 'cursor'],
  ])('When the log is asked with %s, then 400 says why', async (_name, query, named) => {
    const res = await deliveries(query);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain(named);
  });

  it('When another company’s admin asks for the log or a redelivery, then 404, and nothing is sent', async () => {
    const before = rx.received.length;
    const [one] = await settled(3);
    expect((await deliveries('', demo.users.partnerA_admin)).status).toBe(404);
    expect((await redeliver(one.id, demo.users.partnerA_admin)).status).toBe(404);
    expect((await redeliver('evt_nope:whk_nope:stage.entered')).status).toBe(404);
    expect(rx.received.length).toBe(before);
  });

  it('When a delivery is redelivered, then the receiver gets it again, same id and body, now, and its log shows the second try', async () => {
    const items = await settled(3);
    const target = items.find((d: { attempts: number }) => d.attempts === 1);
    const original = rx.accepted().find((r) => r.eventId === target.id)!;
    const res = await redeliver(target.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ deliveryId: target.id, webhookId: hookId, status: 'redelivering' });
    const again = await eventually(async () => {
      const got = rx.accepted().filter((r) => r.eventId === target.id);
      return got.length === 2 && got[1];
    }, 30_000);
    expect(again.raw).toBe(original.raw);
    const stored = await eventually(async () => {
      const o = await h.stores.webhooks.getOutcome(target.id);
      return o?.attempts === 2 && o;
    });
    expect(stored.log).toHaveLength(2);
    expect(stored.log!.map((a) => a.status)).toEqual(['delivered', 'delivered']);
  });

  it('When the webhook is disabled, then a redelivery is refused 409 with the reason and nothing is sent', async () => {
    const [one] = await settled(3);
    expect((await call(h, 'POST', `/v1/webhooks/${hookId}/disable`, { user: admin })).status).toBe(200);
    const before = rx.received.length;
    const res = await redeliver(one.id);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: { code: 'webhook_disabled' } });
    expect((await h.stores.webhooks.getOutcome(one.id))?.attempts).toBe(one.attempts);
    expect(rx.received.length).toBe(before);
  });
});
