import type { WorkflowExecutionInfo } from '@temporalio/client';
import type { PipelineDefinition } from '../../workflows/domain/types';
import { opportunityPropulsionTemplate } from '../../workflows/domain/templates/opportunity-propulsion';
import { call, seedUser, type TestUser } from '../support/auth';
import { uid } from '../support/factories';
import { eventually, startHarness, startWorker, type Harness, type TestWorker } from '../support/harness';
import { createRecord, instancePath, publishPipeline, startInstance, testPipeline, recordInstanceId } from '../support/pipelines';

// jest reads testTimeout only from the root config, not from the integration project's.
jest.setTimeout(120_000);

/**
 * Outcome stages finish the instance: its run completes with the final state
 * as its result, whatever the reactivation policy; a reactivation starts a new
 * run under the same workflow id from that state.
 */
describe('outcome stages', () => {
  let h: Harness;
  let worker: TestWorker;
  let admin: TestUser;
  let sales: TestUser;
  let template: PipelineDefinition;
  const company = uid('cmp');

  beforeAll(async () => {
    h = await startHarness({ worker: false });
    worker = await startWorker(h);
    admin = await seedUser(h, { companyId: company, roles: ['admin'] });
    sales = await seedUser(h, { companyId: company, roles: ['sales'], department: 'Sales' });
    template = opportunityPropulsionTemplate(uid('opp-prop'));
    await publishPipeline(h, admin, template);
  });
  afterAll(async () => h?.stop());

  const move = (instanceId: string, body: unknown) => call(h, 'POST', `${instancePath(instanceId)}/moves`, { user: sales, body });
  const reactivate = (instanceId: string, body: unknown = {}) => call(h, 'POST', `${instancePath(instanceId)}/reactivate`, { user: sales, body });
  const listed = async (status: string) => {
    const res = await call(h, 'GET', `/v1/instances?pipelineKey=${template.key}&status=${status}&limit=100`, { user: sales });
    expect(res.status).toBe(200);
    return (res.body.items as Array<{ instanceId: string }>).map((i) => i.instanceId);
  };
  const forecastCount = async () => {
    const res = await call(h, 'GET', `/v1/forecast?pipelineKey=${template.key}`, { user: sales });
    expect(res.status).toBe(200);
    return res.body.total as { count: number; amount: number };
  };
  async function runs(instanceId: string): Promise<WorkflowExecutionInfo[]> {
    const found: WorkflowExecutionInfo[] = [];
    for await (const info of h.client.workflow.list({ query: `WorkflowId='${instanceId}'` })) found.push(info);
    return found;
  }
  const temporalStatus = async (instanceId: string) => (await h.client.workflow.getHandle(instanceId).describe()).status.name;

  async function opportunity(fields: Record<string, unknown>) {
    const res = await call(h, 'POST', '/v1/records/opportunity', { user: sales, body: { fields } });
    expect(res.status).toBe(201);
    const instanceId = recordInstanceId(company, template.key, 'opportunity', res.body.id);
    await eventually(async () => (await h.stores.instances.get(instanceId)) ?? false);
    return { recordId: res.body.id as string, instanceId };
  }

  it('When an opportunity is won, then its run completes with its outcome as its result, its view holds the final state, and the lists and the forecast count it as done', async () => {
    const { recordId, instanceId } = await opportunity({ title: 'Wind farm', amount: 1000 });
    expect(await forecastCount()).toMatchObject({ count: 1, amount: 1000 });

    const won = await move(instanceId, { to: 'won' });
    expect(won.status).toBe(200);
    expect(won.body).toMatchObject({ status: 'finished', stage: { key: 'won', type: 'success' } });
    await eventually(async () => (await temporalStatus(instanceId)) === 'COMPLETED');
    // The result says how the run ended; the state lives in the view, which outlives the run's history.
    expect(await h.client.workflow.getHandle(instanceId).result()).toEqual({ instanceId, status: 'finished', stage: 'won', seq: 2, digest: expect.any(String) });
    const final = await h.stores.instances.get(instanceId);
    expect(final).toMatchObject({ status: 'finished', stage: 'won', recordId, complete: true });
    expect(final?.deadline).toBeUndefined();
    expect(final?.history.map((v) => v.stage)).toEqual(['demand_analysis', 'won']);

    const state = await call(h, 'GET', instancePath(instanceId), { user: sales });
    expect(state.body).toMatchObject({ status: 'finished', stage: { key: 'won' } });
    expect(await listed('finished')).toContain(instanceId);
    expect(await listed('running')).not.toContain(instanceId);
    expect(await h.stores.instances.get(instanceId)).toMatchObject({ status: 'finished', stage: 'won', stageType: 'success' });
    expect(await forecastCount()).toMatchObject({ count: 0, amount: 0 });
  });

  it('When a lost opportunity is reactivated after a worker restart, then a new run under the same id carries on from its final state, version, trail and time in stage', async () => {
    const { recordId, instanceId } = await opportunity({ title: 'Heat pumps', amount: 2000 });
    expect((await move(instanceId, { to: 'door_to_door' })).status).toBe(200);
    const lost = await move(instanceId, { to: 'lost', fields: { lostReason: 'price' }, reason: 'Too dear' });
    expect(lost.status).toBe(200);
    expect(lost.body.status).toBe('finished');
    await eventually(async () => (await temporalStatus(instanceId)) === 'COMPLETED');
    const firstRun = (await runs(instanceId))[0]!;
    expect(await forecastCount()).toMatchObject({ count: 0 });

    // Nothing of the instance is left in a worker's memory, and a newer version is published meanwhile.
    await worker.stop();
    worker = await startWorker(h);
    await publishPipeline(h, admin, { ...template, name: 'Opportunity propulsion, second edition' });

    const reopened = await reactivate(instanceId, { reason: 'They called back' });
    expect(reopened.status).toBe(200);
    expect(reopened.body).toMatchObject({ instanceId, status: 'running', stage: { key: 'door_to_door', type: 'normal' } });
    // Pinned to the version it started on, not the one published meanwhile.
    expect(reopened.body.pipeline).toEqual({ key: template.key, name: template.name, version: 1 });
    const visits = reopened.body.history as Array<{ stage: string; enteredAt: string; leftAt?: string }>;
    expect(visits.map((v) => v.stage)).toEqual(['demand_analysis', 'door_to_door', 'lost', 'door_to_door']);
    // Time in Lost is kept: the visit closed when the new run reopened it.
    const [, , lostVisit, reopenedVisit] = visits;
    expect(lostVisit?.leftAt).toBe(reopenedVisit?.enteredAt);
    expect(Date.parse(lostVisit!.leftAt!)).toBeGreaterThanOrEqual(Date.parse(lostVisit!.enteredAt));

    const all = await eventually(async () => {
      const found = await runs(instanceId);
      return found.length === 2 && found;
    });
    expect(all.find((r) => r.runId === firstRun.runId)?.status.name).toBe('COMPLETED');
    expect(all.find((r) => r.runId !== firstRun.runId)?.status.name).toBe('RUNNING');

    const events = await h.stores.events.forInstance(instanceId);
    expect(events.map((e) => [e.kind, e.from ?? null, e.to])).toEqual([
      ['started', null, 'demand_analysis'],
      ['moved', 'demand_analysis', 'door_to_door'],
      ['moved', 'door_to_door', 'lost'],
      ['moved', 'lost', 'door_to_door'],
    ]);
    expect(events[3]!).toMatchObject({ reason: 'They called back', details: { reactivated: true }, actor: { userId: sales.actor.userId } });
    expect(new Set(events.map((e) => e.eventId)).size).toBe(4);
    expect(reopened.body.eventId).toBe(events[3]!.eventId);

    expect((await h.stores.records.get(recordId))?.fields).toMatchObject({ stage: 'door_to_door', lostReason: 'price' });
    expect(await h.stores.instances.get(instanceId)).toMatchObject({ status: 'running', stage: 'door_to_door', version: 1 });
    expect(await listed('running')).toContain(instanceId);
    expect(await listed('finished')).not.toContain(instanceId);
    expect(await forecastCount()).toMatchObject({ count: 1, amount: 2000 });
    const attrs = (await h.client.workflow.getHandle(instanceId).describe()).searchAttributes;
    expect(attrs).toMatchObject({ Stage: ['Door-to-door communication'], StageType: ['normal'] });

    const again = await reactivate(instanceId);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('not_finished');
    const won = await move(instanceId, { to: 'won' });
    expect(won.status).toBe(200);
    await eventually(async () => (await temporalStatus(instanceId)) === 'COMPLETED');
    expect(await eventually(async () => (await runs(instanceId)).length === 2)).toBe(true);
  });

  it('When a finished opportunity whose pipeline reactivates is moved, then it offers that move and the move reopens it in a new run', async () => {
    const { instanceId } = await opportunity({ title: 'Solar carport' });
    expect((await move(instanceId, { to: 'lost', fields: { lostReason: 'budget' } })).status).toBe(200);
    await eventually(async () => (await temporalStatus(instanceId)) === 'COMPLETED');
    const finished = await call(h, 'GET', instancePath(instanceId), { user: sales });
    expect(finished.body.status).toBe('finished');
    expect(finished.body.allowedMoves.map((m: { key: string }) => m.key)).toContain('quotation');

    const moved = await move(instanceId, { to: 'quotation', reason: 'Budget found' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ status: 'running', stage: { key: 'quotation' } });
    expect((await h.stores.events.forInstance(instanceId)).at(-1)).toMatchObject({ kind: 'moved', from: 'lost', to: 'quotation', details: { reactivated: true } });
    expect(await eventually(async () => (await runs(instanceId)).length === 2)).toBe(true);
  });

  it('When the pipeline forbids reactivation, then reactivating its finished instance is refused with 409, and no new run starts', async () => {
    const def = testPipeline('Closed deals', uid('deal'), [
      { key: 'open', name: 'Open', type: 'normal', initial: true },
      { key: 'won', name: 'Won', type: 'success' },
    ]);
    await publishPipeline(h, admin, def);
    const record = await createRecord(h, sales, def.objectType, { fields: { title: 'Signed' } });
    const started = await startInstance(h, sales, def.key, record.id);
    const instanceId = started.body.instanceId as string;
    expect((await move(instanceId, { to: 'won' })).status).toBe(200);
    await eventually(async () => (await temporalStatus(instanceId)) === 'COMPLETED');

    const refused = await reactivate(instanceId, { to: 'open' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'not_reactivatable', message: expect.stringContaining('Closed deals') });
    expect(await runs(instanceId)).toHaveLength(1);
    expect((await h.stores.events.forInstance(instanceId)).map((e) => e.kind)).toEqual(['started', 'moved']);
    expect(await h.stores.instances.get(instanceId)).toMatchObject({ status: 'finished', stage: 'won' });
  });

  it('When a reactivation names a stage its rules refuse, then 409 with the rule (422 for a stage the pipeline lacks), and the instance stays finished in one run', async () => {
    const { instanceId } = await opportunity({ title: 'Boilers' });
    expect((await move(instanceId, { to: 'lost', fields: { lostReason: 'timing' } })).status).toBe(200);
    await eventually(async () => (await temporalStatus(instanceId)) === 'COMPLETED');
    for (const [body, code] of [
      [{ to: 'nowhere' }, 'unknown_stage'],
      [{ to: 'lost' }, 'same_stage'],
    ] as const) {
      const refused = await reactivate(instanceId, body);
      expect(refused.status).toBe(code === 'unknown_stage' ? 422 : 409);
      expect(refused.body.error.code).toBe(code);
    }
    expect(await runs(instanceId)).toHaveLength(1);
    expect(await h.stores.instances.get(instanceId)).toMatchObject({ status: 'finished', stage: 'lost' });
  });
});
