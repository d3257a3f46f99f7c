import { partnerLeadTemplate } from '../../workflows/domain/templates/partner-lead';
import type { PipelineDefinition, ReminderDef } from '../../workflows/domain/types';
import type { AuditEvent } from '../../workflows/transition';
import { call, seedUser, type TestUser } from '../support/auth';
import { uid } from '../support/factories';
import { eventually, startHarness, type Harness } from '../support/harness';
import { createRecord, instancePath, publishPipeline, recordInstanceId, startInstance, testPipeline } from '../support/pipelines';
import { RECEIVER_NETWORKS, startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

// jest reads testTimeout only from the root config; each case waits out a deadline of a few seconds.
jest.setTimeout(90_000);

const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
/** Generous: a deadline must fire, however busy the machine running the tests is. */
const FIRES_WITHIN = 30_000;

/** Open (with the deadline and reminders) → Other, and Closed (failure) where the deadline sends it. */
function remindingPipeline(deadline: { after?: string; atField?: string }, reminders: ReminderDef[]): PipelineDefinition {
  return testPipeline('Reminders', uid('thing'), [
    { key: 'open', name: 'Open', type: 'normal', initial: true, deadline: { ...deadline, to: 'closed' }, reminders },
    { key: 'other', name: 'Other', type: 'normal' },
    { key: 'closed', name: 'Closed', type: 'failure' },
  ]);
}

describe('Reminders before a deadline', () => {
  let h: Harness;
  let admin: TestUser;
  let sales: TestUser;
  let rx: WebhookReceiver;
  const company = uid('cmp');

  beforeAll(async () => {
    h = await startHarness({ webhookAllowNetworks: RECEIVER_NETWORKS });
    admin = await seedUser(h, { companyId: company, roles: ['admin'] });
    sales = await seedUser(h, { companyId: company, roles: ['sales'] });
    rx = await startWebhookReceiver();
    const hook = await call(h, 'POST', '/v1/webhooks', {
      user: admin,
      body: { companyId: company, url: rx.url, events: ['deadline.approaching', 'deadline.fired'] },
    });
    expect(hook.status).toBe(201);
  });
  afterAll(async () => {
    await h?.stop();
    await rx?.close();
  });

  async function start(def: PipelineDefinition, fields: Record<string, unknown> = {}) {
    await publishPipeline(h, admin, def);
    const record = await createRecord(h, sales, def.objectType, { fields: { title: 'A thing', ...fields } });
    const started = await startInstance(h, sales, def.key, record.id);
    expect(started.status).toBe(201);
    return { record, instanceId: started.body.instanceId as string, deadlineAt: started.body.deadline?.at as string };
  }

  /** The audit trail once the deadline has moved the instance to Closed. */
  const trailWhenClosed = (instanceId: string) =>
    eventually(async () => {
      const events = await h.stores.events.forInstance(instanceId);
      return events.some((e) => e.kind === 'deadline_fired') && events;
    }, FIRES_WITHIN);
  const kinds = (events: AuditEvent[]) => events.map((e) => e.kind);
  const webhooksOf = (recordId: string, type: string) => rx.accepted().filter((r) => r.body.record.id === recordId && r.body.type === type);
  const move = (instanceId: string, to: string) => call(h, 'POST', `${instancePath(instanceId)}/moves`, { user: sales, body: { to } });

  it('When a stage has an 8 s deadline and reminders 5 s and 3 s before it, then exactly 2 deadline.approaching come before deadline.fired, in the trail and as webhooks', async () => {
    const { record, instanceId, deadlineAt } = await start(remindingPipeline({ after: '8s' }, [{ before: '5s' }, { before: '3s' }]));
    const events = await trailWhenClosed(instanceId);
    // Hand count: started, the 5 s reminder (at +3 s), the 3 s reminder (at +5 s), the deadline (at +8 s).
    expect(kinds(events)).toEqual(['started', 'deadline_approaching', 'deadline_approaching', 'deadline_fired']);
    const [, first, second, fired] = events;
    for (const [reminder, before, ms] of [[first!, '5s', 5_000], [second!, '3s', 3_000]] as const) {
      expect(reminder).toMatchObject({ actor: { kind: 'system' }, details: { stage: 'open', deadlineAt, before, to: 'closed' } });
      expect(Date.parse(reminder.at)).toBeGreaterThanOrEqual(Date.parse(deadlineAt) - ms);
      expect(Date.parse(reminder.at)).toBeLessThan(Date.parse(deadlineAt));
    }
    expect(Date.parse(fired!.at)).toBeGreaterThanOrEqual(Date.parse(deadlineAt));

    const approaching = await eventually(async () => webhooksOf(record.id, 'deadline.approaching').length >= 2 && webhooksOf(record.id, 'deadline.approaching'), FIRES_WITHIN);
    await eventually(async () => webhooksOf(record.id, 'deadline.fired').length >= 1, FIRES_WITHIN);
    expect(approaching.map((r) => r.body.deadline).sort((a, b) => a.before.localeCompare(b.before))).toEqual([
      { at: deadlineAt, to: 'closed', before: '3s' },
      { at: deadlineAt, to: 'closed', before: '5s' },
    ]);
    for (const r of approaching) expect(r.body).toMatchObject({ stage: { to: 'open' }, instanceId, actor: { userId: 'system' } });
    // Nothing after the deadline: the run has ended in Closed, with these four steps and no more.
    await h.client.workflow.getHandle(instanceId).result();
    expect(webhooksOf(record.id, 'deadline.approaching')).toHaveLength(2);
    expect(kinds(await h.stores.events.forInstance(instanceId))).toHaveLength(4);
  });

  it('When the instance leaves the stage and enters it again, then the new visit has its own reminder for its own deadline', async () => {
    const { instanceId, deadlineAt } = await start(remindingPipeline({ after: '6s' }, [{ before: '4s' }]));
    await eventually(async () => (await h.stores.events.forInstance(instanceId)).some((e) => e.kind === 'deadline_approaching'), FIRES_WITHIN);
    expect((await move(instanceId, 'other')).status).toBe(200);
    const back = await move(instanceId, 'open');
    expect(back.status).toBe(200);
    const secondDeadline = back.body.deadline.at as string;
    const events = await trailWhenClosed(instanceId);
    // Hand count: one reminder per visit of Open, one deadline (the second visit's).
    expect(kinds(events)).toEqual(['started', 'deadline_approaching', 'moved', 'moved', 'deadline_approaching', 'deadline_fired']);
    expect(events[1]!.details).toMatchObject({ deadlineAt, before: '4s' });
    expect(events[4]!.details).toMatchObject({ deadlineAt: secondDeadline, before: '4s' });
    expect(events[5]!.details).toMatchObject({ deadlineAt: secondDeadline });
  });

  it('When the reminder time had passed when the deadline was set, then it does not fire; when the field moves the deadline later, the reminder moves with it', async () => {
    // Due in 3 s, reminder 5 s before: its time is already behind, so it is not armed.
    const { record, instanceId } = await start(remindingPipeline({ atField: 'dueAt' }, [{ before: '5s' }]), { dueAt: inMs(3_000) });
    const later = inMs(9_000);
    const patched = await call(h, 'PATCH', `/v1/records/${record.type}/${record.id}`, { user: sales, body: { fields: { dueAt: later } } });
    expect(patched.status).toBe(200);
    const events = await trailWhenClosed(instanceId);
    // Hand count: started, the update, one reminder for the moved deadline (at +4 s), the deadline (at +9 s).
    expect(kinds(events)).toEqual(['started', 'record_updated', 'deadline_approaching', 'deadline_fired']);
    expect(events[2]!.details).toMatchObject({ deadlineAt: later, before: '5s' });
    expect(Date.parse(events[2]!.at)).toBeGreaterThanOrEqual(Date.parse(later) - 5_000);
  });

  it('When a reminder has fired and the field then moves the deadline later, then it does not fire again in that visit', async () => {
    const { record, instanceId } = await start(remindingPipeline({ atField: 'dueAt' }, [{ before: '4s' }]), { dueAt: inMs(6_000) });
    await eventually(async () => (await h.stores.events.forInstance(instanceId)).some((e) => e.kind === 'deadline_approaching'), FIRES_WITHIN);
    const later = inMs(6_000);
    expect((await call(h, 'PATCH', `/v1/records/${record.type}/${record.id}`, { user: sales, body: { fields: { dueAt: later } } })).status).toBe(200);
    const events = await trailWhenClosed(instanceId);
    expect(kinds(events)).toEqual(['started', 'deadline_approaching', 'record_updated', 'deadline_fired']);
    expect(events[3]!.details).toMatchObject({ deadlineAt: later });
  });

  it('When a deadline is closer than its only reminder, then the deadline fires alone', async () => {
    const { record, instanceId } = await start(remindingPipeline({ after: '2s' }, [{ before: '24h' }]));
    expect(kinds(await trailWhenClosed(instanceId))).toEqual(['started', 'deadline_fired']);
    expect(webhooksOf(record.id, 'deadline.approaching')).toEqual([]);
  });

  it('When a partner lead is accepted, then its reminder moves to the new expiry; moving the expiry later moves a reminder not yet fired', async () => {
    // The template with second-scale windows: reminders 4 s before each expiry, 9 s to convert once accepted.
    const partner = await seedUser(h, { companyKind: 'partner', programs: [company], roles: ['partner_user'] });
    await publishPipeline(h, admin, partnerLeadTemplate({ remindBefore: '4s', convertWithin: '9s' }));
    const lead = await createRecord(h, sales, 'lead', { fields: { title: 'Roof', expiresAt: inMs(3_000) }, partnerCompanyId: partner.actor.companyId });
    const instanceId = recordInstanceId(company, 'partner-lead', 'lead', lead.id);
    // Expiring in 3 s, reminder 4 s before: too late to arm. Moved to 8 s away, it is armed for 4 s from now.
    const moved = inMs(8_000);
    expect((await call(h, 'PUT', `/v1/leads/${lead.id}/expiration`, { user: sales, body: { expiresAt: moved } })).status).toBe(200);
    await eventually(async () => (await h.stores.events.forInstance(instanceId)).some((e) => e.kind === 'deadline_approaching'), FIRES_WITHIN);
    const accepted = await call(h, 'POST', `/v1/leads/${lead.id}/accept`, { user: partner, body: {} });
    expect(accepted.status).toBe(200);
    const events = await trailWhenClosed(instanceId);
    // Hand count: one reminder in Pending (for the moved expiry), one in Accepted (for the new one), then Expired.
    expect(events.map((e) => [e.kind, e.details?.stage ?? e.to ?? null])).toEqual([
      ['started', 'pending'],
      ['record_updated', null],
      ['deadline_approaching', 'pending'],
      ['moved', 'accepted'],
      ['deadline_approaching', 'accepted'],
      ['deadline_fired', 'expired'],
    ]);
    expect(events[2]!.details).toMatchObject({ deadlineAt: moved, before: '4s' });
    const expiresAt = (await h.stores.records.get(lead.id))!.fields.expiresAt;
    expect(events[4]!.details).toMatchObject({ deadlineAt: expiresAt, before: '4s', to: 'expired' });
    expect(expiresAt).not.toBe(moved);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['reminders on a stage without a deadline', { reminders: [{ before: '1h' }] }, 'a stage without a deadline has nothing to remind of'],
    ['six reminders', { deadline: { after: '7d', to: 'closed' }, reminders: ['1h', '2h', '3h', '4h', '5h', '6h'].map((before) => ({ before })) }, 'at most 5 reminders per stage'],
    ['a reminder at the deadline', { deadline: { after: '7d', to: 'closed' }, reminders: [{ before: '0s' }] }, 'some time before the deadline'],
    ['two reminders at one time', { deadline: { after: '7d', to: 'closed' }, reminders: [{ before: '1h' }, { before: '60m' }] }, 'the same time as another reminder'],
    ['a reminder that is not a duration', { deadline: { after: '7d', to: 'closed' }, reminders: [{ before: 'a day' }] }, 'is not a duration'],
  ])('When a definition has %s, then it answers 400 with the reason and writes no pipeline', async (_case, stage, reason) => {
    const def = testPipeline('Bad reminders', uid('thing'), [
      { key: 'open', name: 'Open', type: 'normal', initial: true, ...stage },
      { key: 'closed', name: 'Closed', type: 'failure' },
    ]);
    const res = await call(h, 'POST', '/v1/pipelines', { user: admin, body: def });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(JSON.stringify(res.body.error.details)).toContain(reason);
    expect((await call(h, 'GET', `/v1/pipelines/${def.key}`, { user: admin })).status).toBe(404);
  });

  it('When a reminder has a field it does not know, then it answers 400 and writes no pipeline', async () => {
    const def = testPipeline('Bad reminders', uid('thing'), [
      { key: 'open', name: 'Open', type: 'normal', initial: true, deadline: { after: '7d', to: 'closed' }, reminders: [{ before: '1h', notify: 'all' } as ReminderDef] },
      { key: 'closed', name: 'Closed', type: 'failure' },
    ]);
    const res = await call(h, 'POST', '/v1/pipelines', { user: admin, body: def });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error.details)).toContain('notify');
    expect((await call(h, 'GET', `/v1/pipelines/${def.key}`, { user: admin })).status).toBe(404);
  });
});
