import crypto from 'node:crypto';
import { RECEIVER_NETWORKS } from '../support/webhook-receiver';
import { partnerLeadTemplate } from '../../workflows/domain/templates/partner-lead';
import { moveUpdate, PIPELINE_INSTANCE_WORKFLOW, type PipelineInstanceInput } from '../../workflows/messages';
import { refOf } from '../../workflows/pipeline-ref';
import { webhookDeliveriesWorkflowId, type WebhookDeliveriesResult } from '../../workflows/webhook-deliveries';
import { call, type TestUser } from '../support/auth';
import { seedDemo, type DemoWorld } from '../support/demo';
import { buildPipelineVersion, buildRecord } from '../support/factories';
import { eventually, startHarness, type Harness } from '../support/harness';
import { publishPipeline, recordInstanceId, storeVersion } from '../support/pipelines';
import { isAuthentic, startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../support/webhook-receiver';

// jest reads testTimeout only from the root config.
jest.setTimeout(90_000);

/** The published schedule, shortened: a failed try is tried again after 200 ms, 400 ms, …. */
const RETRY = { schedule: [0, 200, 400, 800, 1_600], disableAfterMs: 86_400_000 };

const PRIVATE = ['amount', 'contactPhone', 'internalNotes'];
const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
/** `type record stage` per request, sorted: what a receiver got, comparable at a glance. */
const summary = (got: ReceivedWebhook[]) => got.map((r) => `${r.body.type} ${r.body.record.id} ${r.body.stage.to}`).sort();
const about = (rx: WebhookReceiver, ...recordIds: string[]) => rx.accepted().filter((r) => recordIds.includes(r.body?.record?.id));

describe('Webhooks: signed, per company, retried', () => {
  let h: Harness;
  let demo: DemoWorld;
  let admin: TestUser;
  let sales: TestUser;
  let ownerRx: WebhookReceiver;
  let partnerRx: WebhookReceiver;
  let flakyRx: WebhookReceiver;
  const hooks: Record<string, { id: string; secret: string; body: any }> = {};

  /**
   * Through the API, as the company's own admin: the owner's Company Admin,
   * or the partner company's partner_admin.
   */
  async function register(name: string, companyId: string, url: string, events: string[]) {
    const by = { [demo.companies.owner]: admin, [demo.companies.partnerA]: demo.users.partnerA_admin, [demo.companies.partnerB]: demo.users.partnerB_admin }[companyId];
    const res = await call(h, 'POST', '/v1/webhooks', { user: by, body: { companyId, url, events } });
    expect(res.status).toBe(201);
    hooks[name] = { id: res.body.id, secret: res.body.secret, body: res.body };
  }

  /** Sales sends a lead to a partner; returns once it stands in Pending. */
  async function createLead(partnerCompanyId: string, fields: Record<string, unknown> = {}) {
    const phone = `+1-555-${crypto.randomInt(1_000_000, 9_999_999)}`;
    const body = { fields: { title: 'Roof', amount: 42_000, contactPhone: phone, ...fields }, partnerCompanyId };
    const res = await call(h, 'POST', '/v1/records/lead', { user: sales, body });
    expect(res.status).toBe(201);
    return { id: res.body.id as string, phone };
  }

  beforeAll(async () => {
    h = await startHarness({ webhookAllowNetworks: RECEIVER_NETWORKS, webhookRetry: RETRY });
    demo = await seedDemo(h);
    ({ admin, sales } = demo.users);
    [ownerRx, partnerRx, flakyRx] = await Promise.all([startWebhookReceiver(), startWebhookReceiver(), startWebhookReceiver()]);
    await publishPipeline(h, admin, partnerLeadTemplate({ key: 'partner-lead' }));
    await register('owner', demo.companies.owner, ownerRx.url, ['stage.entered', 'deadline.fired']);
    await register('partnerA', demo.companies.partnerA, partnerRx.url, ['lead.accepted', 'stage.entered']);
  });
  afterAll(async () => {
    demo?.cleanup();
    await h?.stop();
    await Promise.all([ownerRx, partnerRx, flakyRx].map((rx) => rx?.close()));
  });

  it('When partner A accepts its lead, then each company gets only its events, signed, and A never sees B’s lead nor the private fields while Pending', async () => {
    const a = await createLead(demo.companies.partnerA);
    const b = await createLead(demo.companies.partnerB);
    expect((await call(h, 'POST', `/v1/leads/${a.id}/accept`, { user: demo.users.partnerA_user, body: {} })).status).toBe(200);

    const ownerGot = await eventually(async () => about(ownerRx, a.id, b.id).length >= 3 && about(ownerRx, a.id, b.id), 30_000);
    const partnerGot = await eventually(async () => about(partnerRx, a.id).length >= 3 && about(partnerRx, a.id), 30_000);
    expect(summary(ownerGot)).toEqual(
      [`stage.entered ${a.id} pending`, `stage.entered ${b.id} pending`, `stage.entered ${a.id} accepted`].sort(),
    );
    expect(summary(partnerGot)).toEqual(
      [`stage.entered ${a.id} pending`, `stage.entered ${a.id} accepted`, `lead.accepted ${a.id} accepted`].sort(),
    );
    expect(partnerRx.received.filter((r) => r.raw.includes(b.id))).toEqual([]);

    for (const [got, hook] of [[ownerGot, hooks.owner!], [partnerGot, hooks.partnerA!]] as const) {
      expect(got.every((r) => isAuthentic(r, hook.secret) && r.contentType === 'application/json')).toBe(true);
      expect(got.some((r) => isAuthentic(r, 'whsec_wrong'))).toBe(false);
      expect(new Set(got.map((r) => r.eventId)).size).toBe(got.length);
    }
    const pendingForA = partnerGot.filter((r) => r.body.stage.to === 'pending');
    expect(pendingForA).toHaveLength(1);
    for (const field of PRIVATE) expect(pendingForA[0]!.body.record.fields).not.toHaveProperty(field);
    expect(pendingForA[0]!.raw).not.toContain(a.phone);
    // Accepted: the fields are no longer private, and the owner always saw them.
    const acceptedForA = partnerGot.find((r) => r.body.type === 'lead.accepted')!;
    expect(acceptedForA.body).toMatchObject({
      stage: { from: 'pending', to: 'accepted' },
      actor: { userId: demo.users.partnerA_user.actor.userId, companyId: demo.companies.partnerA },
      pipelineKey: 'partner-lead',
      record: { id: a.id, type: 'lead', fields: { amount: 42_000, contactPhone: a.phone, status: 'accepted' } },
    });
    expect(ownerGot.find((r) => r.body.record.id === b.id)!.body.record.fields).toMatchObject({ amount: 42_000, contactPhone: b.phone });
  });

  it('When a pending lead runs out of time, then the owner gets deadline.fired and stage.entered from the system', async () => {
    const lead = await createLead(demo.companies.partnerB, { expiresAt: inSeconds(2) });
    const got = await eventually(async () => {
      const expired = about(ownerRx, lead.id).filter((r) => r.body.stage.to === 'expired');
      return expired.length >= 2 && expired;
    }, 30_000);
    expect(summary(got)).toEqual([`deadline.fired ${lead.id} expired`, `stage.entered ${lead.id} expired`]);
    for (const r of got) expect(r.body).toMatchObject({ stage: { from: 'pending' }, actor: { userId: 'system', companyId: null } });
    expect(got[0]!.body.id.split(':').slice(0, -2)).toEqual(got[1]!.body.id.split(':').slice(0, -2));
  });

  it('When a receiver answers 503 twice, then the third try delivers the same event once; once disabled, it gets nothing more', async () => {
    await register('partnerB', demo.companies.partnerB, flakyRx.url, ['stage.entered']);
    flakyRx.failNext(2, 503);
    const lead = await createLead(demo.companies.partnerB);
    const delivered = await eventually(async () => about(flakyRx, lead.id)[0], 30_000);
    const tries = flakyRx.received.filter((r) => r.eventId === delivered.eventId);
    expect(tries.map((r) => r.answered)).toEqual([503, 503, 204]);
    expect(tries.every((r) => isAuthentic(r, hooks.partnerB!.secret))).toBe(true);
    expect(delivered.body.record.fields).not.toHaveProperty('amount');
    const outcome = await eventually(async () => {
      const found = await h.stores.webhooks.getOutcome(delivered.eventId);
      return found?.status === 'delivered' && found;
    });
    expect(outcome).toMatchObject({ webhookId: hooks.partnerB!.id, attempts: 3, lastStatus: 204, deliveredAt: expect.any(String) });

    await h.stores.webhooks.disable(demo.companies.partnerB, hooks.partnerB!.id, new Date().toISOString());
    expect(await h.stores.webhooks.getFor(demo.companies.partnerB, hooks.partnerB!.id)).toMatchObject({ id: hooks.partnerB!.id, active: false });
    const later = await createLead(demo.companies.partnerB);
    const toOwner = await eventually(async () => about(ownerRx, later.id)[0], 30_000);
    const eventId = toOwner.body.id.split(':').slice(0, -2).join(':');
    const result: WebhookDeliveriesResult = await h.client.workflow.getHandle(webhookDeliveriesWorkflowId(eventId)).result();
    expect(result).toEqual({ delivered: 1, skipped: 0, failed: 0 });
    expect(flakyRx.received.filter((r) => r.raw.includes(later.id))).toEqual([]);
  });

  it('When a receiver answers 410 Gone, then the delivery fails at once, is not retried, and the endpoint is disabled saying why', async () => {
    const rejecting = await startWebhookReceiver();
    try {
      await register('rejected', demo.companies.partnerB, rejecting.url, ['stage.entered']);
      rejecting.failNext(1, 410);
      await createLead(demo.companies.partnerB);
      const refused = await eventually(async () => rejecting.received[0], 30_000);
      const eventId = refused.eventId.split(':').slice(0, -2).join(':');
      const result: WebhookDeliveriesResult = await h.client.workflow.getHandle(webhookDeliveriesWorkflowId(eventId)).result();
      expect(result).toMatchObject({ failed: 1 });
      expect(await h.stores.webhooks.getOutcome(refused.eventId)).toMatchObject({ status: 'failed', attempts: 1, lastStatus: 410 });
      expect(rejecting.received).toHaveLength(1);
      const read = await call(h, 'GET', `/v1/webhooks/${hooks.rejected!.id}`, { user: demo.users.partnerB_admin });
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ active: false, disabledAt: expect.any(String), disabledReason: 'the receiver answered 410 Gone' });
    } finally {
      if (hooks.rejected) await h.stores.webhooks.disable(demo.companies.partnerB, hooks.rejected.id, new Date().toISOString());
      await rejecting.close();
    }
  });

  it('When an instance continues as new and then completes, then every step it made is still delivered', async () => {
    const record = buildRecord({ companyId: demo.companies.owner });
    const definition = await storeVersion(h, record.companyId, buildPipelineVersion());
    await h.stores.records.insert(record);
    const instanceId = recordInstanceId(record.companyId, definition.key, record.type, record.id);
    const input: PipelineInstanceInput = { instanceId, pipeline: refOf(record.companyId, definition), record, startedBy: sales.actor, maxUpdatesPerRun: 2 };
    const handle = await h.client.workflow.start(PIPELINE_INSTANCE_WORKFLOW, { workflowId: instanceId, taskQueue: h.taskQueue, args: [input] });
    const moves = ['propose', 'qualify', 'propose', 'won'];
    for (const to of moves) await handle.executeUpdate(moveUpdate, { args: [{ actor: sales.actor, move: { to, fields: { amount: 10 } } }] });
    expect((await handle.result()).stage).toBe('won');

    const got = await eventually(async () => about(ownerRx, record.id).length >= 5 && about(ownerRx, record.id), 30_000);
    const steps = got.map((r) => [Number(r.body.id.split(':').at(-3)), r.body.stage.to]).sort(([a], [b]) => Number(a) - Number(b));
    expect(steps).toEqual([[1, 'qualify'], ...moves.map((to, i) => [i + 2, to])]);
  });

  it('When an instance enters its final stage, then instance.finished is raised once, after every stage.entered by sequence', async () => {
    const finishedRx = await startWebhookReceiver();
    try {
      await register('finished', demo.companies.owner, finishedRx.url, ['instance.finished', 'stage.entered']);
      const record = buildRecord({ companyId: demo.companies.owner });
      const definition = await storeVersion(h, record.companyId, buildPipelineVersion());
      await h.stores.records.insert(record);
      const instanceId = recordInstanceId(record.companyId, definition.key, record.type, record.id);
      const input: PipelineInstanceInput = { instanceId, pipeline: refOf(record.companyId, definition), record, startedBy: sales.actor };
      const handle = await h.client.workflow.start(PIPELINE_INSTANCE_WORKFLOW, { workflowId: instanceId, taskQueue: h.taskQueue, args: [input] });
      for (const to of ['propose', 'won']) await handle.executeUpdate(moveUpdate, { args: [{ actor: sales.actor, move: { to, fields: { amount: 10 } } }] });
      const got = await eventually(async () => {
        const mine = about(finishedRx, record.id);
        return mine.some((r) => r.body.type === 'instance.finished') && mine.length >= 4 && mine;
      }, 30_000);
      const finished = got.filter((r) => r.body.type === 'instance.finished');
      expect(finished).toHaveLength(1);
      expect(finished[0]!.body).toMatchObject({ stage: { from: 'propose', to: 'won' }, instanceId, record: { id: record.id } });
      // Not ordered on the wire: by sequence, the finish is the last step's.
      const bySequence = [...got].sort((a, b) => a.body.sequence - b.body.sequence || (a.body.type === 'instance.finished' ? 1 : -1));
      expect(bySequence.map((r) => [r.body.sequence, r.body.type, r.body.stage.to])).toEqual([
        [1, 'stage.entered', 'qualify'],
        [2, 'stage.entered', 'propose'],
        [3, 'stage.entered', 'won'],
        [3, 'instance.finished', 'won'],
      ]);
    } finally {
      if (hooks.finished) await h.stores.webhooks.disable(demo.companies.owner, hooks.finished.id, new Date().toISOString());
      await finishedRx.close();
    }
  });
});
