import { z } from 'zod';
import * as Out from '../../api/schemas/responses';
import { call, seedUser, type TestUser } from '../support/auth';
import { eventually, startHarness, type Harness } from '../support/harness';
import { RECEIVER_NETWORKS, startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { uid } from '../support/factories';
import { instancePath, publishPipeline, testPipeline } from '../support/pipelines';
import { partnerLeadTemplate } from '../../workflows/domain/templates/partner-lead';
import { ErrorBody } from '../../api/openapi/route-spec';
import { watchErrorCodes } from '../support/error-codes';

// Every error any test of this file is answered, checked at the end against the codes the document lists for its operation and status.
const errors = watchErrorCodes();

/**
 * The output schemas are the contract the typed client is generated from:
 * real answers of real flows must parse with them, and parsing must keep every
 * field (zod strips what a schema does not know, so a missing field shows).
 */
function conforms(schema: z.ZodType, res: { status: number; body: unknown }, status = 200): void {
  expect([res.status, res.body]).toEqual([status, expect.anything()]);
  const parsed = schema.safeParse(res.body);
  expect(parsed.success ? 'conforms' : z.prettifyError(parsed.error)).toBe('conforms');
  expect(parsed.data).toEqual(res.body);
}

const stages = [
  {
    key: 'qualify', name: 'Qualify', type: 'normal' as const, initial: true, winRate: 20,
    tasks: [{ key: 'call', name: 'Call the buyer', kind: 'edit_fields' as const, fields: ['notes'], assignee: { kind: 'owner' as const }, required: true }],
    deadline: { after: '7d', to: 'lost' },
  },
  { key: 'proposal', name: 'Proposal', type: 'normal' as const, winRate: 60 },
  { key: 'won', name: 'Won', type: 'success' as const, winRate: 100 },
  { key: 'lost', name: 'Lost', type: 'failure' as const, winRate: 0 },
];

describe('the answers conform to their output schemas', () => {
  let h: Harness;
  let admin: TestUser;
  const def = testPipeline('Contract deals', 'opportunity', stages);

  beforeAll(async () => {
    h = await startHarness();
    admin = await seedUser(h, { roles: ['admin', 'sales'], department: 'Sales' });
    await publishPipeline(h, admin, def);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('When a pipeline, its versions and the caller are read, then each answer is its schema', async () => {
    conforms(Out.Pipeline, await call(h, 'GET', `/v1/pipelines/${def.key}`, { user: admin }));
    conforms(Out.PipelineList, await call(h, 'GET', '/v1/pipelines', { user: admin }));
    conforms(Out.PipelineVersionList, await call(h, 'GET', `/v1/pipelines/${def.key}/versions`, { user: admin }));
    conforms(Out.PipelineVersion, await call(h, 'GET', `/v1/pipelines/${def.key}/versions/1`, { user: admin }));
    conforms(Out.Me, await call(h, 'GET', '/v1/me', { user: admin }));
    conforms(Out.UserList, await call(h, 'GET', '/v1/users?limit=10', { user: admin }));
    conforms(Out.ApiKeyList, await call(h, 'GET', `/v1/users/${admin.actor.userId}/api-keys`, { user: admin }));
  });

  it('When a record is created, started, moved, its task completed and it is listed, then each answer is its schema', async () => {
    const created = await call(h, 'POST', '/v1/records/opportunity', { user: admin, body: { fields: { name: 'Acme rollout', amount: 48000 } } });
    conforms(Out.CreatedRecord, created, 201);
    const recordId = (created.body as { id: string }).id;

    const started = await call(h, 'POST', '/v1/instances', { user: admin, body: { pipelineKey: def.key, recordId } });
    conforms(Out.Instance, started, 201);
    const instance = started.body as z.output<typeof Out.Instance>;
    expect(instance.stage).toEqual({ key: 'qualify', name: 'Qualify', type: 'normal', winRate: 20 });
    expect(instance.deadline).toMatchObject({ to: 'lost', toName: 'Lost', source: 'after' });
    const path = instancePath(instance.instanceId);

    conforms(Out.Instance, await call(h, 'GET', path, { user: admin }));
    const task = instance.tasks.open[0]!;
    const done = await call(h, 'POST', `${path}/tasks/${encodeURIComponent(task.id)}/complete`, { user: admin, body: { fields: { notes: 'budget confirmed' } } });
    conforms(Out.Instance, done);
    expect((done.body as z.output<typeof Out.Instance>).tasks.done.map((t) => t.key)).toEqual(['call']);
    const moved = await call(h, 'POST', `${path}/moves`, { user: admin, body: { to: 'proposal', reason: 'call went well' } });
    conforms(Out.Instance, moved);
    expect((moved.body as z.output<typeof Out.Instance>).history.map((v) => v.stage)).toEqual(['qualify', 'proposal']);

    conforms(Out.RecordWithInstances, await call(h, 'GET', `/v1/records/opportunity/${recordId}?shape=instance`, { user: admin }));
    conforms(Out.RecordWithInstanceSummaries, await call(h, 'GET', `/v1/records/opportunity/${recordId}`, { user: admin }));
    const version = (await call(h, 'GET', `/v1/records/opportunity/${recordId}`, { user: admin })).body.version as number;
    conforms(Out.ObjectRecord, await call(h, 'PATCH', `/v1/records/opportunity/${recordId}`, { user: admin, body: { fields: { amount: 50000 }, version } }));
    conforms(Out.RecordPage, await call(h, 'GET', '/v1/records/opportunity?limit=5', { user: admin }));
    conforms(Out.RecordPage, await call(h, 'POST', '/v1/records/opportunity/search', { user: admin, body: { filter: { op: 'gte', path: 'record.amount', value: 1 } } }));
    const shaped = await call(h, 'GET', `/v1/instances?pipelineKey=${def.key}&limit=5&shape=instance`, { user: admin });
    conforms(Out.InstancePage, shaped);
    expect((shaped.body as z.output<typeof Out.InstancePage>).items[0]!.stage).toEqual((moved.body as z.output<typeof Out.Instance>).stage);
    conforms(Out.InstancePage, await call(h, 'GET', `/v1/instances?pipelineKey=${def.key}&limit=5&offset=0&shape=instance`, { user: admin }));
    conforms(Out.InstanceSummaryPage, await call(h, 'GET', `/v1/instances?pipelineKey=${def.key}&limit=5`, { user: admin }));
    conforms(Out.InstanceSummaryPage, await call(h, 'GET', `/v1/instances?pipelineKey=${def.key}&limit=5&offset=0`, { user: admin }));
    conforms(Out.AuditEventList, await call(h, 'GET', `${path}/events`, { user: admin }));
    conforms(Out.AuditEventList, await call(h, 'GET', `/v1/records/opportunity/${recordId}/events?limit=2`, { user: admin }));
    conforms(Out.Forecast, await call(h, 'GET', `/v1/forecast?pipelineKey=${def.key}`, { user: admin }));
    conforms(Out.Funnel, await call(h, 'GET', `/v1/pipelines/${def.key}/analytics`, { user: admin }));
  });

  it('When requests are refused, then each error is the error schema with its code', async () => {
    const created = await call(h, 'POST', '/v1/records/opportunity', { user: admin, body: { fields: { name: 'Refusals', amount: 1000 } } });
    const recordId = (created.body as { id: string }).id;
    const started = await call(h, 'POST', '/v1/instances', { user: admin, body: { pipelineKey: def.key, recordId } });
    const path = instancePath((started.body as { instanceId: string }).instanceId);
    const refusals: Array<[Promise<{ status: number; body: unknown }>, number, string]> = [
      [call(h, 'POST', `${path}/moves`, { user: admin, body: { to: 'qualify' } }), 409, 'same_stage'],
      [call(h, 'POST', `${path}/moves`, { user: admin, body: { to: 'nowhere' } }), 422, 'unknown_stage'],
      [call(h, 'POST', `${path}/tasks/nothing/complete`, { user: admin, body: { fields: { notes: 'x' } } }), 409, 'unknown_task'],
      [call(h, 'POST', '/v1/instances', { user: admin, body: { pipelineKey: def.key, recordId } }), 409, 'already_running'],
      [call(h, 'POST', '/v1/instances', { user: admin, body: { pipelineKey: def.key } }), 400, 'invalid_request'],
      [call(h, 'POST', '/v1/instances', { user: admin, body: '{"pipelineKey":' }), 400, 'malformed_json'],
      [call(h, 'GET', `/v1/records/opportunity/${uid('rec')}`, { user: admin }), 404, 'not_found'],
      [call(h, 'PATCH', `/v1/records/opportunity/${recordId}`, { user: admin, body: { fields: { amount: 2 } }, headers: { 'if-match': '"999"' } }), 412, 'stale_version'],
      [call(h, 'GET', '/v1/me'), 401, 'unauthenticated'],
      [call(h, 'DELETE', '/v1/me', { user: admin }), 405, 'method_not_allowed'],
    ];
    for (const [answer, status, code] of refusals) {
      const res = await answer;
      conforms(ErrorBody, res, status);
      expect((res.body as z.output<typeof ErrorBody>).error.code).toBe(code);
    }
  });

  it('When a key is issued and revoked and the audit trail read, then each answer is its schema', async () => {
    const issued = await call(h, 'POST', `/v1/users/${admin.actor.userId}/api-keys`, { user: admin, body: {} });
    conforms(Out.CreatedApiKey, issued, 201);
    conforms(Out.ApiKey, await call(h, 'POST', `/v1/api-keys/${(issued.body as { id: string }).id}/revoke`, { user: admin }));
    conforms(Out.AuditEntryPage, await call(h, 'GET', '/v1/audit?limit=5', { user: admin }));
    conforms(Out.ApiKeyList, await call(h, 'GET', '/v1/api-keys', { user: admin }));
  });
});

describe('the partner program answers conform to their output schemas', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('When companies are made, a lead is sent, accepted and given an expiry, and the scorecard read, then each answer is its schema', async () => {
    const operator = await seedUser(h, { companyKind: 'platform', roles: ['operator'] });
    const owner = await call(h, 'POST', '/v1/companies', { user: operator, body: { name: uid('Owner'), kind: 'owner', admin: { name: 'Ada Admin', email: `${uid('ada')}@example.test` } } });
    conforms(Out.CreatedCompany, owner, 201);
    const ownerId = (owner.body as z.output<typeof Out.CreatedCompany>).company.id;
    const admin = await seedUser(h, { companyId: ownerId, roles: ['admin', 'sales'] });
    await publishPipeline(h, admin, partnerLeadTemplate());

    const partner = await call(h, 'POST', '/v1/companies', { user: admin, body: { name: uid('Partner'), kind: 'partner' } });
    conforms(Out.CreatedCompany, partner, 201);
    const partnerId = (partner.body as z.output<typeof Out.CreatedCompany>).company.id;
    conforms(Out.Company, await call(h, 'GET', `/v1/companies/${partnerId}`, { user: admin }));
    conforms(Out.Company, await call(h, 'PUT', `/v1/companies/${partnerId}/programs/${ownerId}`, { user: admin }));
    conforms(Out.CompanyList, await call(h, 'GET', '/v1/companies', { user: admin }));
    const partnerUser = await seedUser(h, { companyId: partnerId, roles: ['partner_user'] });

    const lead = await call(h, 'POST', '/v1/records/lead', { user: admin, body: { fields: { title: 'Rooftop solar', amount: 12000 }, partnerCompanyId: partnerId } });
    conforms(Out.CreatedRecord, lead, 201);
    const leadId = (lead.body as { id: string }).id;
    const accepted = await call(h, 'POST', `/v1/leads/${leadId}/accept`, { user: partnerUser, body: {} });
    conforms(Out.Instance, accepted);
    expect((accepted.body as z.output<typeof Out.Instance>).stage.key).toBe('accepted');
    const expiresAt = new Date(Date.now() + 30 * 86_400_000).toISOString();
    conforms(Out.ObjectRecord, await call(h, 'PUT', `/v1/leads/${leadId}/expiration`, { user: admin, body: { expiresAt } }));
    conforms(Out.Scorecard, await call(h, 'GET', '/v1/partners/scorecard', { user: admin }));
    conforms(Out.InstancePage, await call(h, 'GET', '/v1/instances?limit=5&shape=instance', { user: partnerUser }));
    conforms(Out.InstanceSummaryPage, await call(h, 'GET', '/v1/instances?limit=5', { user: partnerUser }));
  });
});

describe('the webhook, user and health answers conform to their output schemas', () => {
  // No worker: nothing is ever delivered, so the example URL is never resolved or called.
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ worker: false });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('When a webhook is registered, read, changed and disabled, then each answer is its schema', async () => {
    const admin = await seedUser(h, { roles: ['admin'] });
    const body = { companyId: admin.actor.companyId, url: 'https://hooks.example.com/propeller', events: ['stage.entered'] };
    const created = await call(h, 'POST', '/v1/webhooks', { user: admin, body });
    conforms(Out.CreatedWebhook, created, 201);
    const path = `/v1/webhooks/${(created.body as { id: string }).id}`;
    conforms(Out.Webhook, await call(h, 'GET', path, { user: admin }));
    conforms(Out.WebhookList, await call(h, 'GET', '/v1/webhooks', { user: admin }));
    conforms(Out.Webhook, await call(h, 'PATCH', path, { user: admin, body: { events: ['stage.entered', 'task.completed'] } }));
    conforms(Out.Webhook, await call(h, 'POST', `${path}/disable`, { user: admin }));
  });

  it('When a user is created, read, changed and deactivated, and health is asked, then each answer is its schema', async () => {
    const admin = await seedUser(h, { roles: ['admin'] });
    const created = await call(h, 'POST', '/v1/users', { user: admin, body: { companyId: admin.actor.companyId, name: 'Sam Sales', email: `${uid('sam')}@example.test`, roles: ['sales'] } });
    conforms(Out.User, created, 201);
    const path = `/v1/users/${(created.body as { id: string }).id}`;
    conforms(Out.User, await call(h, 'GET', path, { user: admin }));
    conforms(Out.User, await call(h, 'PATCH', path, { user: admin, body: { department: 'Sales EMEA', attributes: { region: 'emea' } } }));
    conforms(Out.User, await call(h, 'DELETE', path, { user: admin }));
    conforms(Out.Health, await call(h, 'GET', '/healthz'));
    conforms(Out.Ready, await call(h, 'GET', '/readyz'));
  });
});

describe('the delivery log, redelivery, rotation, test event and event feed answers conform to their output schemas', () => {
  // A worker and a receiver on loopback: the test event and a security notice are really delivered.
  let h: Harness;
  let rx: WebhookReceiver;
  beforeAll(async () => {
    [h, rx] = await Promise.all([startHarness({ webhookAllowNetworks: RECEIVER_NETWORKS }), startWebhookReceiver()]);
  });
  afterAll(async () => {
    await h?.stop();
    await rx?.close();
  });

  it('When a webhook is tested, its log read, a delivery sent again, its secret rotated and the feed read, then each answer is its schema', async () => {
    const admin = await seedUser(h, { roles: ['admin'] });
    const created = await call(h, 'POST', '/v1/webhooks', { user: admin, body: { companyId: admin.actor.companyId, url: rx.url, events: ['security.api_key_issued'], scheme: 'standard-v1' } });
    conforms(Out.CreatedWebhook, created, 201);
    const path = `/v1/webhooks/${(created.body as { id: string }).id}`;

    const tested = await call(h, 'POST', `${path}/test`, { user: admin });
    conforms(Out.TestDelivery, tested);
    const deliveryId = (tested.body as { deliveryId: string }).deliveryId;
    const log = await eventually(async () => {
      const res = await call(h, 'GET', `${path}/deliveries?limit=10`, { user: admin });
      return (res.body as { items?: Array<{ id: string; status: string }> }).items?.some((d) => d.id === deliveryId && d.status === 'delivered') && res;
    }, 20_000);
    conforms(Out.DeliveryPage, log);
    conforms(Out.Redelivery, await call(h, 'POST', `${path}/deliveries/${encodeURIComponent(deliveryId)}/redeliver`, { user: admin }));

    conforms(Out.RotatedWebhook, await call(h, 'POST', `${path}/rotate-secret`, { user: admin }));
    conforms(Out.Webhook, await call(h, 'GET', path, { user: admin }));

    // A key issued for the admin is a security notice: an event of the company's feed (read a second behind now).
    expect((await call(h, 'POST', `/v1/users/${admin.actor.userId}/api-keys`, { user: admin, body: {} })).status).toBe(201);
    const feed = await eventually(async () => {
      const res = await call(h, 'GET', '/v1/events?limit=10', { user: admin });
      return ((res.body as { items?: unknown[] }).items?.length ?? 0) > 0 && res;
    }, 10_000);
    conforms(Out.EventPage, feed);
  });
});

describe('the error answers of these tests', () => {
  afterAll(() => errors.stop());

  it('When every error answered above is read, then its code is listed in the document for its operation and status', () => {
    expect(errors.answered()).toBeGreaterThanOrEqual(10);
    expect(errors.undocumented()).toEqual([]);
  });
});
