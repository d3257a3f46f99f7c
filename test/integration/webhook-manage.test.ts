import crypto from 'node:crypto';
import { partnerLeadTemplate } from '../../workflows/domain/templates/partner-lead';
import { signWebhook, verifyStandardWebhook } from '../../lib/webhook-signature';
import { call, type TestUser } from '../support/auth';
import { seedDemo, type DemoWorld } from '../support/demo';
import { eventually, startHarness, type Harness } from '../support/harness';
import { publishPipeline } from '../support/pipelines';
import { isAuthentic, RECEIVER_NETWORKS, startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

jest.setTimeout(90_000);

describe('Managing an endpoint: PATCH active, rotate-secret, test', () => {
  let h: Harness;
  let demo: DemoWorld;
  let admin: TestUser;
  let rx: WebhookReceiver;

  const stored = (id: string) => h.db.collection('webhooks').findOne({ _id: id as never });
  async function endpoint() {
    const res = await call(h, 'POST', '/v1/webhooks', { user: admin, body: { companyId: demo.companies.owner, url: rx.url, events: ['stage.entered'] } });
    expect(res.status).toBe(201);
    return { id: res.body.id as string, secret: res.body.secret as string };
  }
  const sendLead = async () => {
    const res = await call(h, 'POST', '/v1/records/lead', { user: demo.users.sales, body: { fields: { title: `Roof ${crypto.randomUUID()}` }, partnerCompanyId: demo.companies.partnerA } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };

  beforeAll(async () => {
    h = await startHarness({ webhookAllowNetworks: RECEIVER_NETWORKS, webhookRetry: { schedule: [0, 200], disableAfterMs: 86_400_000 } });
    demo = await seedDemo(h);
    admin = demo.users.admin;
    rx = await startWebhookReceiver();
    await publishPipeline(h, admin, partnerLeadTemplate({ key: 'partner-lead' }));
  });
  afterAll(async () => {
    demo?.cleanup();
    await h?.stop();
    await rx?.close();
  });

  it('When a webhook disabled by a 410 is turned back on, then the reason and the failing streak are gone; a stale If-Match or a bad body changes nothing', async () => {
    const { id } = await endpoint();
    expect(await stored(id)).toMatchObject({ scheme: 'propeller-v1' });
    await h.db.collection('webhooks').updateOne({ _id: id as never }, { $set: { failingSince: new Date().toISOString() } });
    await h.stores.webhooks.disable(demo.companies.owner, id, new Date().toISOString(), 'the receiver answered 410 Gone');
    const read = await call(h, 'GET', `/v1/webhooks/${id}`, { user: admin });
    expect(read.body).toMatchObject({ active: false, disabledReason: 'the receiver answered 410 Gone' });
    const etag = read.headers.get('etag')!;

    const bad = await call(h, 'PATCH', `/v1/webhooks/${id}`, { user: admin, body: { active: 'yes' }, headers: { 'if-match': etag } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('active');
    const stale = await call(h, 'PATCH', `/v1/webhooks/${id}`, { user: admin, body: { active: true }, headers: { 'if-match': '"1"' } });
    expect(stale.status).toBe(412);
    expect(await stored(id)).toMatchObject({ active: false, disabledReason: 'the receiver answered 410 Gone' });

    const on = await call(h, 'PATCH', `/v1/webhooks/${id}`, { user: admin, body: { active: true }, headers: { 'if-match': etag } });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ active: true });
    const doc = await stored(id);
    expect(doc).toMatchObject({ active: true });
    for (const gone of ['disabledAt', 'disabledReason', 'failingSince']) expect(doc).not.toHaveProperty(gone);
    const off = await call(h, 'PATCH', `/v1/webhooks/${id}`, { user: admin, body: { active: false } });
    expect(off.body).toMatchObject({ active: false, disabledAt: expect.any(String) });
  });

  it('When a secret is rotated, then the new one is shown once, and deliveries carry both signatures for a day, then only the new', async () => {
    const { id, secret: old } = await endpoint();
    const res = await call(h, 'POST', `/v1/webhooks/${id}/rotate-secret`, { user: admin });
    expect(res.status).toBe(200);
    const fresh = res.body.secret as string;
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(old);
    expect(JSON.stringify((await call(h, 'GET', `/v1/webhooks/${id}`, { user: admin })).body)).not.toContain(fresh);
    const doc = await stored(id);
    expect(doc).toMatchObject({ secret: fresh, previousSecret: old });
    expect(Date.parse(doc!.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(23.9 * 3_600_000);

    const lead = await sendLead();
    const got = await eventually(async () => rx.accepted().find((r) => r.body.record?.id === lead && r.eventId.includes(id)), 30_000);
    expect(got.signature.split(' ')).toEqual([signWebhook(fresh, got.timestamp, got.raw), signWebhook(old, got.timestamp, got.raw)]);
    expect(isAuthentic(got, fresh) && isAuthentic(got, old)).toBe(true);

    await h.db.collection('webhooks').updateOne({ _id: id as never }, { $set: { previousSecretExpiresAt: new Date(Date.now() - 1000).toISOString() } });
    const later = await sendLead();
    const after = await eventually(async () => rx.accepted().find((r) => r.body.record?.id === later && r.eventId.includes(id)), 30_000);
    expect(after.signature).toBe(signWebhook(fresh, after.timestamp, after.raw));
    expect(isAuthentic(after, old)).toBe(false);
    await h.stores.webhooks.disable(demo.companies.owner, id, new Date().toISOString());
  });

  it('When a test event is asked for, then the receiver gets a signed webhook.test now, whatever the webhook hears, and the log has it; disabled: 409, nothing sent', async () => {
    const { id, secret } = await endpoint();
    const res = await call(h, 'POST', `/v1/webhooks/${id}/test`, { user: admin });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ webhookId: id, type: 'webhook.test', status: 'sending', deliveryId: expect.stringContaining(id) });
    const got = await eventually(async () => rx.accepted().find((r) => r.eventId === res.body.deliveryId), 30_000);
    expect(got.body).toEqual({ id: res.body.deliveryId, type: 'webhook.test', occurredAt: expect.any(String), companyId: demo.companies.owner, webhookId: id, actor: { userId: admin.actor.userId } });
    expect(isAuthentic(got, secret)).toBe(true);
    const log = await eventually(async () => {
      const items = (await call(h, 'GET', `/v1/webhooks/${id}/deliveries`, { user: admin })).body.items;
      return items.length === 1 && items[0].status === 'delivered' && items;
    });
    expect(log[0]).toMatchObject({ id: res.body.deliveryId, type: 'webhook.test', attempts: 1 });

    await h.stores.webhooks.disable(demo.companies.owner, id, new Date().toISOString());
    const before = rx.received.length;
    const refused = await call(h, 'POST', `/v1/webhooks/${id}/test`, { user: admin });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'webhook_disabled' });
    expect((await call(h, 'POST', `/v1/webhooks/${id}/test`, { user: demo.users.partnerA_admin })).status).toBe(404);
    expect((await call(h, 'POST', `/v1/webhooks/${id}/test`, { user: admin, body: { type: 'stage.entered' } })).status).toBe(400);
    expect(rx.received.length).toBe(before);
  });

  it('When an endpoint is made standard-v1, then deliveries carry the Standard Webhooks headers, signature and envelope with the sequence; propeller-v1 stays the default', async () => {
    const bad = await call(h, 'POST', '/v1/webhooks', { user: admin, body: { companyId: demo.companies.owner, url: rx.url, events: ['stage.entered'], scheme: 'standard-v2' } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('scheme');
    const res = await call(h, 'POST', '/v1/webhooks', { user: admin, body: { companyId: demo.companies.owner, url: rx.url, events: ['stage.entered'], scheme: 'standard-v1' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ scheme: 'standard-v1' });
    const { id, secret } = res.body as { id: string; secret: string };
    expect(Buffer.from(secret.replace(/^whsec_/, ''), 'base64')).toHaveLength(32);
    expect(await stored(id)).toMatchObject({ scheme: 'standard-v1' });

    const lead = await sendLead();
    const got = await eventually(async () => rx.accepted().find((r) => r.eventId.includes(id) && r.body?.data?.record?.id === lead), 30_000);
    expect(verifyStandardWebhook(secret, got.standard, got.raw)).toEqual({ ok: true });
    expect(verifyStandardWebhook(secret, got.standard, got.raw, Math.floor(Date.now() / 1000) + 301)).toEqual({ ok: false, reason: 'timestamp_out_of_tolerance' });
    expect(got.signature).toBe('');
    expect(got.body).toEqual({
      id: got.standard.id,
      type: 'stage.entered',
      timestamp: expect.any(String),
      data: expect.objectContaining({ pipelineKey: 'partner-lead', stage: { from: null, to: 'pending' }, record: expect.objectContaining({ id: lead }), sequence: 1 }),
    });

    const rotated = await call(h, 'POST', `/v1/webhooks/${id}/rotate-secret`, { user: admin });
    expect(rotated.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const later = await sendLead();
    const both = await eventually(async () => rx.accepted().find((r) => r.eventId.includes(id) && r.body?.data?.record?.id === later), 30_000);
    expect(both.standard.signature!.split(' ')).toHaveLength(2);
    expect(verifyStandardWebhook(secret, both.standard, both.raw)).toEqual({ ok: true });
    expect(verifyStandardWebhook(rotated.body.secret, both.standard, both.raw)).toEqual({ ok: true });
    await h.stores.webhooks.disable(demo.companies.owner, id, new Date().toISOString());
  });
});
