import crypto from 'node:crypto';
import { partnerLeadTemplate } from '../../workflows/domain/templates/partner-lead';
import { call } from '../support/auth';
import { seedDemo, type DemoWorld } from '../support/demo';
import { eventually, startHarness, type Harness } from '../support/harness';
import { publishPipeline } from '../support/pipelines';
import { RECEIVER_NETWORKS, startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

jest.setTimeout(90_000);

describe('The event feed: GET /v1/events', () => {
  let h: Harness;
  let demo: DemoWorld;
  let rx: WebhookReceiver;
  let rx2: WebhookReceiver;

  const feed = (query = '', user = demo.users.admin) => call(h, 'GET', `/v1/events${query}`, { user });
  const sendLead = async () => {
    const res = await call(h, 'POST', '/v1/records/lead', { user: demo.users.sales, body: { fields: { title: `Roof ${crypto.randomUUID()}`, amount: 7 }, partnerCompanyId: demo.companies.partnerA } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  /** Every event of the feed from the start, page by page of `limit`. */
  async function readAll(limit: number, user = demo.users.admin) {
    const items: any[] = [];
    let after: string | null = null;
    for (let i = 0; i < 50; i++) {
      const res = await feed(`?limit=${limit}${after ? `&after=${after}` : ''}`, user);
      expect(res.status).toBe(200);
      items.push(...res.body.items);
      after = res.body.nextCursor;
      if (!res.body.more) break;
    }
    return { items, after };
  }

  beforeAll(async () => {
    h = await startHarness({ webhookAllowNetworks: RECEIVER_NETWORKS });
    demo = await seedDemo(h);
    [rx, rx2] = await Promise.all([startWebhookReceiver(), startWebhookReceiver()]);
    await publishPipeline(h, demo.users.admin, partnerLeadTemplate({ key: 'partner-lead' }));
    // Two of the owner's webhooks hear the same events; partner A's one hears its own.
    for (const [user, companyId, url] of [[demo.users.admin, demo.companies.owner, rx.url], [demo.users.admin, demo.companies.owner, rx2.url], [demo.users.partnerA_admin, demo.companies.partnerA, rx.url]] as const) {
      expect((await call(h, 'POST', '/v1/webhooks', { user, body: { companyId, url, events: ['stage.entered'] } })).status).toBe(201);
    }
  });
  afterAll(async () => {
    demo?.cleanup();
    await h?.stop();
    await Promise.all([rx, rx2].map((r) => r?.close()));
  });

  it('When leads are created, then the feed holds each event once (however many webhooks heard it), the payload as delivered, in order, and paging never skips nor repeats', async () => {
    const leads = [await sendLead(), await sendLead(), await sendLead()];
    const { items } = await eventually(async () => {
      const all = await readAll(100);
      return leads.every((id) => all.items.some((e) => e.record.id === id)) && all;
    }, 30_000);
    const ours = items.filter((e) => leads.includes(e.record.id));
    expect(ours.map((e) => e.record.id)).toEqual(leads);
    expect(ours.every((e) => e.type === 'stage.entered' && e.stage.to === 'pending')).toBe(true);
    // The payload a webhook got, its id without the webhook's.
    const delivered = await eventually(async () => rx.accepted().find((r) => r.body.record.id === leads[0] && r.body.record.fields.amount === 7), 30_000);
    const { id: deliveryId, ...body } = delivered.body;
    expect(ours[0]).toEqual({ ...body, id: expect.any(String) });
    expect(deliveryId).toContain(':whk_');
    expect(ours[0].id).not.toContain(':whk_');

    const paged = await readAll(1);
    expect(paged.items.map((e) => e.id)).toEqual(items.map((e) => e.id));
  });

  it('When the end is reached, then the cursor stays there, and polling it gives only what came since', async () => {
    const lead0 = await sendLead();
    const start = await eventually(async () => {
      const all = await readAll(100);
      return all.items.some((e) => e.record.id === lead0) && all;
    }, 30_000);
    const idle = await feed(`?after=${start.after}`);
    expect(idle.body).toEqual({ items: [], nextCursor: start.after, more: false });
    const lead = await sendLead();
    const next = await eventually(async () => {
      const res = await feed(`?after=${start.after}`);
      return res.body.items.length > 0 && res.body;
    }, 30_000);
    expect(next.items.map((e: any) => e.record.id)).toEqual([lead]);
  });

  it('When partner A’s admin reads it, then only its own company’s events, without the owner’s private fields', async () => {
    const lead = await sendLead();
    const { items } = await eventually(async () => {
      const all = await readAll(100, demo.users.partnerA_admin);
      return all.items.some((e) => e.record.id === lead) && all;
    }, 30_000);
    const mine = items.filter((e) => e.record.id === lead);
    expect(mine).toHaveLength(1);
    expect(mine[0].record.fields).not.toHaveProperty('amount');
    const stored = await h.db.collection('webhook_events').find({ 'payload.record.id': lead }).toArray();
    expect(stored.map((d) => d.companyId).sort()).toEqual([demo.companies.owner, demo.companies.partnerA].sort());
  });

  it.each([
    ['sales', () => feed('', demo.users.sales), 403],
    ['a cursor it never gave', () => feed('?after=nonsense'), 400],
    ['an unknown parameter', () => feed('?since=2026-01-01'), 400],
    ['a limit of 0', () => feed('?limit=0'), 400],
  ])('When asked by or with %s, then it is refused with a reason', async (_name, ask, status) => {
    const res = await ask();
    expect(res.status).toBe(status);
    expect(res.body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
  });

  it('When the sweep runs, then events older than 30 days are gone and the rest stay', async () => {
    const old = new Date(Date.now() - 31 * 86_400_000).toISOString();
    const _id = `${demo.companies.owner}|${old}|evt_old:stage.entered`;
    await h.db.collection('webhook_events').insertOne({ _id: _id as never, companyId: demo.companies.owner, recordedAt: old, payload: { id: 'evt_old:stage.entered', type: 'stage.entered' } });
    const before = await h.db.collection('webhook_events').countDocuments({});
    expect(await h.stores.eventFeed.sweep(new Date())).toBe(1);
    expect(await h.db.collection('webhook_events').findOne({ _id: _id as never })).toBeNull();
    expect(await h.db.collection('webhook_events').countDocuments({})).toBe(before - 1);
  });
});
