import type { LookupAddress } from 'node:dns';
import { COLLECTIONS } from '../../activities/store';
import { webhookDeliveryId } from '../../workflows/domain/webhooks';
import { partnerLeadTemplate } from '../../workflows/domain/templates/partner-lead';
import { call, type TestUser } from '../support/auth';
import { seedDemo, type DemoWorld } from '../support/demo';
import { uid } from '../support/factories';
import { eventually, startHarness, type Harness } from '../support/harness';
import { createRecord, publishPipeline, recordInstanceId } from '../support/pipelines';
import { RECEIVER_NETWORKS, startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

jest.setTimeout(120_000);

/**
 * Issue 32, item 2 (OWASP API7:2023, SSRF): a webhook cannot reach the
 * server's own network. Addresses outside this machine's loopback range are
 * only ever registered (refused, nothing delivered); refusals at delivery use
 * loopback addresses outside the allowed 127.0.0.1/32, and names this test's
 * resolver maps to them. Nothing here sends a packet beyond loopback.
 */

/** The names the workers resolve, as a DNS server answering with internal addresses would. Any other name: not found. */
const NAMES: Record<string, LookupAddress[]> = {
  'rebind.test': [{ address: '127.0.0.2', family: 4 }],
  'ipv6-loopback.test': [{ address: '::1', family: 6 }],
  'mixed.test': [
    { address: '127.0.0.1', family: 4 },
    { address: '127.0.0.2', family: 4 },
  ],
  'allowed.test': [{ address: '127.0.0.1', family: 4 }],
};
const resolve = async (name: string): Promise<LookupAddress[]> => {
  const found = NAMES[name];
  if (!found) throw Object.assign(new Error(`${name} not found`), { code: 'ENOTFOUND' });
  return found;
};

/** URLs refused at registration, with what the refusal names. */
const BAD_URLS: Array<[string, string]> = [
  ['http://127.0.0.2:8080/hook', 'loopback'],
  ['http://127.2/hook', 'loopback'],
  ['http://2130706434/hook', 'loopback'],
  ['http://0x7f.0.0.2/hook', 'loopback'],
  ['http://0177.0.0.2/hook', 'loopback'],
  ['http://localhost:3000/hook', 'loopback name'],
  ['http://LOCALHOST./hook', 'loopback name'],
  ['http://api.localhost/hook', 'loopback name'],
  ['http://10.0.0.1/hook', 'private'],
  ['http://172.16.5.4/hook', 'private'],
  ['http://192.168.1.10/hook', 'private'],
  ['http://169.254.169.254/latest/meta-data/', 'link-local'],
  ['http://0.0.0.0:3000/hook', 'unspecified'],
  ['http://100.64.0.1/hook', 'shared'],
  ['http://224.0.0.251/hook', 'multicast'],
  ['http://255.255.255.255/hook', 'broadcast'],
  ['http://[::1]:3000/hook', 'loopback'],
  ['http://[::]/hook', 'unspecified'],
  ['http://[fe80::1]/hook', 'link-local'],
  ['http://[fc00::1]/hook', 'unique-local'],
  ['http://[fd00:ec2::254]/hook', 'unique-local'],
  ['http://[ff02::1]/hook', 'multicast'],
  ['http://[::ffff:127.0.0.2]/hook', 'loopback'],
  ['http://[::ffff:10.0.0.1]/hook', 'private'],
  ['http://[::ffff:169.254.169.254]/hook', 'link-local'],
  ['http://[::ffff:a9fe:a9fe]/hook', 'link-local'],
  ['https://[64:ff9b::a9fe:a9fe]/hook', 'public unicast'],
];

describe('Webhooks cannot reach the server’s own network', () => {
  let h: Harness;
  let demo: DemoWorld;
  let partnerAdmin: TestUser;
  /** Receivers on loopback addresses no webhook may reach (127.0.0.2, ::1), and allowed ones on 127.0.0.1. */
  let forbidden: WebhookReceiver;
  let forbidden6: WebhookReceiver;
  let allowed: WebhookReceiver;
  let redirectTarget: WebhookReceiver;
  const port = (rx: WebhookReceiver) => new URL(rx.url).port;
  const webhookCount = () => h.db.collection(COLLECTIONS.webhooks).countDocuments({});

  beforeAll(async () => {
    // A failed try is tried again 200 ms later, then given up on.
    h = await startHarness({ webhookAllowNetworks: RECEIVER_NETWORKS, webhookResolve: resolve, webhookRetry: { schedule: [0, 200], disableAfterMs: 86_400_000 } });
    demo = await seedDemo(h);
    partnerAdmin = demo.users.partnerB_admin;
    await publishPipeline(h, demo.users.admin, partnerLeadTemplate());
    [forbidden, forbidden6, allowed, redirectTarget] = await Promise.all([
      startWebhookReceiver({ host: '127.0.0.2' }),
      startWebhookReceiver({ host: '::1' }),
      startWebhookReceiver(),
      startWebhookReceiver(),
    ]);
  });
  const figures = { registrationsRefused: 0, deliveriesRefused: 0, delivered: 0 };
  afterAll(async () => {
    process.stdout.write(
      `SSRF: ${figures.registrationsRefused} URLs refused at registration (422 forbidden_url), ${figures.deliveriesRefused} deliveries refused after resolution or redirect, ` +
        `${figures.delivered} delivered into the allowed network; requests that reached 127.0.0.2 or ::1: ${(forbidden?.received.length ?? 0) + (forbidden6?.received.length ?? 0)}\n`,
    );
    await Promise.all([forbidden, forbidden6, allowed, redirectTarget].map((rx) => rx?.close()));
    demo?.cleanup();
    await h?.stop();
  });

  const register = (url: string) =>
    call(h, 'POST', '/v1/webhooks', { user: partnerAdmin, body: { companyId: demo.companies.partnerB, url, events: ['stage.entered'] } });

  /**
   * A webhook of partner B at `hookId`, and one lead assigned to partner B:
   * the outcome of the one delivery that lead's first step raises for it.
   */
  async function deliveryTo(hookId: string) {
    try {
      const lead = await createRecord(h, demo.users.sales, 'lead', { fields: { title: `Lead ${uid('l')}` }, partnerCompanyId: demo.companies.partnerB });
      const instanceId = recordInstanceId(demo.companies.owner, 'partner-lead', 'lead', lead.id);
      const started = await eventually(async () => (await h.stores.events.forInstance(instanceId))[0]);
      const id = webhookDeliveryId(started.eventId, hookId, 'stage.entered');
      const outcome = await eventually(async () => {
        const found = await h.stores.webhooks.getOutcome(id);
        return (found?.status === 'failed' || found?.status === 'delivered') && found;
      }, 30_000);
      if (outcome.status === 'failed') figures.deliveriesRefused += 1;
      else figures.delivered += 1;
      return outcome;
    } finally {
      await h.stores.webhooks.disable(demo.companies.partnerB, hookId, new Date().toISOString());
    }
  }

  describe('at registration', () => {
    it.each(BAD_URLS)('When a webhook is registered at %s, then 422 forbidden_url naming a %s address and nothing is stored', async (url, range) => {
      const before = await webhookCount();
      const res = await register(url);
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('forbidden_url');
      expect(res.body.error.message).toContain(range);
      expect(res.body.error.message).toContain('WEBHOOK_ALLOW_NETWORKS');
      expect(res.body.error.details).toMatchObject({ url, reason: expect.stringContaining(range) });
      expect(await webhookCount()).toBe(before);
      figures.registrationsRefused += 1;
    });

    it('When a webhook is moved to an internal URL, then 422 and it keeps its URL', async () => {
      const created = await register(allowed.url);
      expect(created.status).toBe(201);
      const moved = await call(h, 'PATCH', `/v1/webhooks/${created.body.id}`, { user: partnerAdmin, body: { url: 'http://169.254.169.254/' } });
      expect(moved.status).toBe(422);
      expect(moved.body.error.code).toBe('forbidden_url');
      expect((await h.stores.webhooks.getFor(demo.companies.partnerB, created.body.id))?.url).toBe(allowed.url);
      await h.stores.webhooks.disable(demo.companies.partnerB, created.body.id, new Date().toISOString());
    });
  });

  describe('at delivery, after DNS resolution', () => {
    it('When a name resolves to a loopback address outside the allowed networks, then the delivery fails at once and nothing reaches that address', async () => {
      const created = await register(`http://rebind.test:${port(forbidden)}/hooks`);
      expect(created.status).toBe(201);
      const outcome = await deliveryTo(created.body.id);
      expect(outcome).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringContaining('rebind.test resolves to 127.0.0.2 is a loopback address') });
      expect(outcome.lastStatus).toBeUndefined();
      expect(forbidden.received).toEqual([]);
    });

    it('When a name resolves to ::1, then the delivery fails at once and the IPv6 receiver gets nothing', async () => {
      const created = await register(`http://ipv6-loopback.test:${port(forbidden6)}/hooks`);
      expect(created.status).toBe(201);
      expect(await deliveryTo(created.body.id)).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringContaining('::1 is a loopback address') });
      expect(forbidden6.received).toEqual([]);
    });

    it('When a name resolves to an allowed and a forbidden address, then it is refused whole', async () => {
      const created = await register(`http://mixed.test:${port(allowed)}/hooks`);
      const before = allowed.received.length;
      expect(await deliveryTo(created.body.id)).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringContaining('127.0.0.2') });
      expect(allowed.received.length).toBe(before);
    });

    it('When a name resolves only into the allowed network, then the delivery reaches the receiver there', async () => {
      const created = await register(`http://allowed.test:${port(allowed)}/hooks`);
      const before = allowed.received.length;
      expect(await deliveryTo(created.body.id)).toMatchObject({ status: 'delivered', lastStatus: 204 });
      expect(allowed.received.length).toBe(before + 1);
    });

    it.each([
      ['127.0.0.2', () => `http://127.0.0.2:${port(forbidden)}/hooks`, () => forbidden],
      ['[::1]', () => `http://[::1]:${port(forbidden6)}/hooks`, () => forbidden6],
    ])('When a webhook stored before the check names %s, then its delivery is refused too and nothing is sent', async (_name, url, receiver) => {
      const hook = await h.stores.webhooks.create({ companyId: demo.companies.partnerB, url: url(), events: ['stage.entered'], createdBy: partnerAdmin.actor.userId }, new Date().toISOString());
      expect(await deliveryTo(hook.id)).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringContaining('loopback') });
      expect(receiver().received).toEqual([]);
    });

    it('When the receiver answers with a redirect, then it is not followed: the try failed, and the next one goes to the same URL', async () => {
      const created = await register(allowed.url);
      const before = allowed.received.length;
      allowed.redirectNext(redirectTarget.url);
      expect(await deliveryTo(created.body.id)).toMatchObject({ status: 'delivered', attempts: 2, lastStatus: 204 });
      expect(allowed.received.slice(before).map((r) => r.answered)).toEqual([302, 204]);
      expect(redirectTarget.received).toEqual([]);
    });
  });
});
