import type { Document } from 'mongodb';
import type { PipelineDefinition } from '../../workflows/domain/types';
import { COLLECTIONS } from '../../activities/store/collections';
import { opportunityPropulsionTemplate } from '../../workflows/domain/templates/opportunity-propulsion';
import { call, seedUser, type TestUser } from '../support/auth';
import { uid } from '../support/factories';
import { eventually, startHarness, type Harness } from '../support/harness';
import { createRecord, instancePath, publishPipeline, startInstance, testPipeline, recordInstanceId } from '../support/pipelines';

// jest reads testTimeout only from the root config, not from the integration project's.
jest.setTimeout(120_000);

/** Open → Working → Won | Lost, started by hand; a finished instance may not be reopened. */
function manualPipeline(overrides: Partial<PipelineDefinition> = {}): PipelineDefinition {
  return testPipeline(
    'Deals',
    uid('deal'),
    [
      { key: 'open', name: 'Open', type: 'normal', initial: true },
      { key: 'working', name: 'Working', type: 'normal' },
      { key: 'won', name: 'Won', type: 'success' },
      { key: 'lost', name: 'Lost', type: 'failure', rules: { requireReason: true } },
    ],
    overrides,
  );
}

interface TaskView {
  id: string;
  key: string;
  status: string;
}

/** Documents as stored, keyed by the application's string ids. */
type RawDoc = Document & { _id: string };

describe('instance lifecycle', () => {
  let h: Harness;
  let admin: TestUser;
  let sales: TestUser;
  let sales2: TestUser;
  let partner: TestUser;
  const company = uid('cmp');
  /** Opportunity templates published by the current test: every one of them starts on each new opportunity. */
  const live: string[] = [];

  beforeAll(async () => {
    h = await startHarness();
    admin = await seedUser(h, { companyId: company, roles: ['admin'] });
    sales = await seedUser(h, { companyId: company, roles: ['sales'], department: 'Sales' });
    sales2 = await seedUser(h, { companyId: company, roles: ['sales'], department: 'Sales' });
    partner = await seedUser(h, { companyKind: 'partner', roles: ['partner_user'] });
  });
  afterEach(async () => {
    // A later test's opportunities must not start this test's pipelines too.
    for (const key of live.splice(0)) expect((await call(h, 'POST', `/v1/pipelines/${key}/disable`, { user: admin })).status).toBe(200);
  });
  afterAll(async () => h?.stop());

  async function publishTemplate(): Promise<PipelineDefinition> {
    const def = opportunityPropulsionTemplate(uid('opp-prop'));
    await publishPipeline(h, admin, def);
    live.push(def.key);
    return def;
  }

  /** Creates an opportunity; the template's trigger starts its instance in demand analysis. */
  async function opportunity(def: PipelineDefinition, user: TestUser, fields: Record<string, unknown>) {
    const res = await call(h, 'POST', '/v1/records/opportunity', { user, body: { fields } });
    expect(res.status).toBe(201);
    const instanceId = recordInstanceId(company, def.key, 'opportunity', res.body.id);
    expect(res.body.instances).toEqual([{ instanceId, outcome: 'started' }]);
    await eventually(async () => (await h.stores.instances.get(instanceId)) ?? false);
    return { record: res.body as { id: string; fields: Record<string, unknown> }, instanceId };
  }

  const move = (user: TestUser, instanceId: string, body: unknown) => call(h, 'POST', `${instancePath(instanceId)}/moves`, { user, body });
  const reactivate = (user: TestUser, instanceId: string, body: unknown = {}) =>
    call(h, 'POST', `${instancePath(instanceId)}/reactivate`, { user, body });
  const cancel = (user: TestUser, instanceId: string, body: unknown) => call(h, 'POST', `${instancePath(instanceId)}/cancel`, { user, body });
  const view = async (user: TestUser, instanceId: string) => {
    const res = await call(h, 'GET', instancePath(instanceId), { user });
    expect(res.status).toBe(200);
    return res.body;
  };
  const allowed = (state: { allowedMoves: Array<{ key: string }> }) => state.allowedMoves.map((m) => m.key);

  describe('reactivation', () => {
    it('When a lost opportunity is reactivated, then it is back in its last working stage and may move on again', async () => {
      const def = await publishTemplate();
      const { record, instanceId } = await opportunity(def, sales, { title: 'Solar roof', amount: 5000 });
      expect((await move(sales, instanceId, { to: 'door_to_door' })).status).toBe(200);

      const withoutReason = await move(sales, instanceId, { to: 'lost', reason: 'went quiet' });
      expect(withoutReason.status).toBe(409);
      expect(withoutReason.body.error).toMatchObject({ code: 'missing_fields', message: expect.stringContaining('lostReason') });
      const lost = await move(sales, instanceId, { to: 'lost', fields: { lostReason: 'price' }, reason: 'Chose a cheaper offer' });
      expect(lost.status).toBe(200);
      expect(lost.body).toMatchObject({ stage: { key: 'lost', type: 'failure' }, record: { fields: { lostReason: 'price', stage: 'lost' } } });

      const reopened = await reactivate(sales, instanceId, { reason: 'They called back' });
      expect(reopened.status).toBe(200);
      expect(reopened.body).toMatchObject({ status: 'running', stage: { key: 'door_to_door', type: 'normal' } });
      expect(allowed(reopened.body)).toEqual(expect.arrayContaining(['quotation', 'lost', 'telephone']));
      expect(reopened.body.history.map((v: { stage: string }) => v.stage)).toEqual(['demand_analysis', 'door_to_door', 'lost', 'door_to_door']);
      expect((await h.stores.records.get(record.id))?.fields.stage).toBe('door_to_door');
      expect(await h.stores.instances.get(instanceId)).toMatchObject({ status: 'running', stage: 'door_to_door', stageType: 'normal' });
      expect((await h.stores.events.forInstance(instanceId)).at(-1)).toMatchObject({
        kind: 'moved',
        from: 'lost',
        to: 'door_to_door',
        reason: 'They called back',
        actor: { userId: sales.actor.userId },
      });

      const notFinished = await reactivate(sales, instanceId);
      expect(notFinished.status).toBe(409);
      expect(notFinished.body.error.code).toBe('not_finished');
      expect((await view(sales, instanceId)).stage.key).toBe('door_to_door');

      const onwards = await move(sales, instanceId, { to: 'quotation' });
      expect(onwards.status).toBe(200);
      expect(onwards.body.stage.key).toBe('quotation');
    });

    it('When a pipeline does not allow reactivation, then reactivating its finished instance is refused with 409 and it stays finished', async () => {
      const def = manualPipeline();
      await publishPipeline(h, admin, def);
      const record = await createRecord(h, sales, def.objectType, { fields: { title: 'Done deal' } });
      const started = await startInstance(h, sales, def.key, record.id);
      expect(started.status).toBe(201);
      const instanceId = started.body.instanceId as string;
      const won = await move(sales, instanceId, { to: 'won' });
      expect(won.body.status).toBe('finished');

      const refused = await reactivate(sales, instanceId);
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('not_reactivatable');
      const state = await view(sales, instanceId);
      expect(state).toMatchObject({ status: 'finished', stage: { key: 'won' }, allowedMoves: [] });
      expect((await h.stores.events.forInstance(instanceId)).map((e) => e.kind)).toEqual(['started', 'moved']);
    });
  });

  describe('cancellation', () => {
    it('When an admin cancels an instance with a reason, then it is cancelled, its record and history stay, and it takes no more moves', async () => {
      const def = manualPipeline();
      await publishPipeline(h, admin, def);
      const record = await createRecord(h, sales, def.objectType, { fields: { title: 'Duplicate deal', amount: 10 } });
      const started = await startInstance(h, sales, def.key, record.id);
      const instanceId = started.body.instanceId as string;
      expect((await move(sales, instanceId, { to: 'working' })).status).toBe(200);
      const records = h.db.collection<RawDoc>(COLLECTIONS.records);
      const before = await records.findOne({ _id: record.id });
      const eventsBefore = await h.stores.events.forInstance(instanceId);

      const bySales = await cancel(sales, instanceId, { reason: 'not mine to cancel' });
      expect(bySales.status).toBe(403);
      expect(bySales.body.error.code).toBe('forbidden');
      for (const body of [{}, { reason: '' }, { reason: '   ' }]) {
        const noReason = await cancel(admin, instanceId, body);
        expect(noReason.status).toBe(400);
      }
      expect((await view(sales, instanceId)).status).toBe('running');
      expect(await h.stores.events.forInstance(instanceId)).toEqual(eventsBefore);

      const cancelled = await cancel(admin, instanceId, { reason: 'Duplicate of another deal' });
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ status: 'cancelled', stage: { key: 'working' }, allowedMoves: [] });

      // The record stays as it was; only its writer is gone: the instance no longer writes it.
      const { writer, ...unchanged } = before!;
      expect(writer).toBe(instanceId);
      expect(await records.findOne({ _id: record.id })).toEqual(unchanged);
      const events = await h.stores.events.forInstance(instanceId);
      expect(events.map((e) => e.kind)).toEqual(['started', 'moved', 'cancelled']);
      expect(events[2]).toMatchObject({ reason: 'Duplicate of another deal', actor: { userId: admin.actor.userId } });
      const state = await view(sales, instanceId);
      expect(state).toMatchObject({ status: 'cancelled', stage: { key: 'working' }, record: { fields: { title: 'Duplicate deal', stage: 'working' } } });
      expect(state.history.map((v: { stage: string }) => v.stage)).toEqual(['open', 'working']);
      expect(await h.stores.instances.get(instanceId)).toMatchObject({ status: 'cancelled', stage: 'working' });
      await eventually(async () => (await h.client.workflow.getHandle(instanceId).describe()).status.name === 'COMPLETED');

      const moved = await move(sales, instanceId, { to: 'won' });
      expect(moved.status).toBe(409);
      expect(moved.body.error.code).toBe('not_running');
      const again = await cancel(admin, instanceId, { reason: 'twice' });
      expect(again.status).toBe(409);
      const reopened = await reactivate(admin, instanceId);
      expect(reopened.status).toBe(409);
      expect(await records.findOne({ _id: record.id })).toEqual(unchanged);
      expect(await h.stores.events.forInstance(instanceId)).toHaveLength(3);
    });
  });

  describe('opportunity propulsion (seed 001)', () => {
    it('When an opportunity is driven through the tasks of every stage, then it reaches won with every field the tasks asked for', async () => {
      const def = await publishTemplate();
      const { record, instanceId } = await opportunity(def, sales, { title: 'Factory automation', amount: 120_000 });
      const stageIs = (key: string) =>
        eventually(async () => {
          const state = await view(sales, instanceId);
          return state.stage.key === key && state;
        });
      const complete = async (taskKey: string, fields: Record<string, unknown>) => {
        const state = await view(sales, instanceId);
        const task = (state.tasks.open as TaskView[]).find((t) => t.key === taskKey);
        expect(task).toBeDefined();
        const done = await call(h, 'POST', `${instancePath(instanceId)}/tasks/${encodeURIComponent(task!.id)}/complete`, {
          user: sales,
          body: { fields },
        });
        expect(done.status).toBe(200);
      };

      const first = await stageIs('demand_analysis');
      expect((first.tasks.open as TaskView[]).map((t) => t.key)).toEqual(['upload_proposal']);
      await complete('upload_proposal', { schemeDesign: 'att_scheme_design_v1.pdf' });
      await stageIs('telephone');

      expect((await move(sales, instanceId, { to: 'door_to_door' })).status).toBe(200);
      await complete('customer_demo', { demoSatisfaction: 'satisfied' });
      await stageIs('quotation');

      const quotation = await createRecord(h, sales, 'quotation', { fields: { total: 118_000 } });
      await complete('create_quotation', { quotationId: quotation.id });
      await stageIs('negotiation');

      await complete('record_negotiation', {
        finalPlan: 'att_final_plan.pdf',
        implementationStart: '2026-01-05',
        implementationEnd: '2026-03-31',
        finalDeliverable: 'att_delivery.zip',
      });
      await stageIs('contract');

      const contract = await createRecord(h, sales, 'contract', { fields: { value: 118_000 } });
      await complete('sign_contract', { contractId: contract.id });
      const won = await stageIs('won');
      expect(won).toMatchObject({ stage: { key: 'won', type: 'success', winRate: 100 }, tasks: { open: [] } });
      expect((won.tasks.done as TaskView[]).map((t) => t.key)).toEqual([
        'upload_proposal',
        'customer_demo',
        'create_quotation',
        'record_negotiation',
        'sign_contract',
      ]);

      const events = await h.stores.events.forInstance(instanceId);
      expect(events.map((e) => [e.kind, e.from ?? null, e.to ?? null])).toEqual([
        ['started', null, 'demand_analysis'],
        ['task_completed', null, null],
        ['auto_advanced', 'demand_analysis', 'telephone'],
        ['moved', 'telephone', 'door_to_door'],
        ['task_completed', null, null],
        ['auto_advanced', 'door_to_door', 'quotation'],
        ['task_completed', null, null],
        ['auto_advanced', 'quotation', 'negotiation'],
        ['task_completed', null, null],
        ['auto_advanced', 'negotiation', 'contract'],
        ['task_completed', null, null],
        ['auto_advanced', 'contract', 'won'],
      ]);
      expect(events.filter((e) => e.to).map((e) => e.to)).toEqual([
        'demand_analysis',
        'telephone',
        'door_to_door',
        'quotation',
        'negotiation',
        'contract',
        'won',
      ]);
      expect((await h.stores.records.get(record.id))?.fields).toEqual({
        title: 'Factory automation',
        amount: 120_000,
        schemeDesign: 'att_scheme_design_v1.pdf',
        demoSatisfaction: 'satisfied',
        quotationId: quotation.id,
        finalPlan: 'att_final_plan.pdf',
        implementationStart: '2026-01-05',
        implementationEnd: '2026-03-31',
        finalDeliverable: 'att_delivery.zip',
        contractId: contract.id,
        stage: 'won',
      });
      expect(await h.stores.instances.get(instanceId)).toMatchObject({ stage: 'won', stageType: 'success', winRate: 100 });
    });
  });

  describe('forecast', () => {
    const forecast = (user: TestUser, query: string) => call(h, 'GET', `/v1/forecast${query}`, { user });
    const empty = { count: 0, amount: 0, weightedAmount: 0 };

    it('When open opportunities sit in weighted stages, then the forecast sums amount × win rate by stage and owner and leaves won ones out', async () => {
      const def = await publishTemplate();
      const small = await opportunity(def, sales, { title: 'Small', amount: 1000 });
      const medium = await opportunity(def, sales2, { title: 'Medium', amount: 2000 });
      const big = await opportunity(def, sales, { title: 'Big', amount: 5000 });
      expect((await move(sales2, medium.instanceId, { to: 'quotation' })).status).toBe(200);
      expect((await move(sales, big.instanceId, { to: 'won' })).status).toBe(200);

      const all = await forecast(sales, `?pipelineKey=${def.key}`);
      expect(all.status).toBe(200);
      expect(all.body).toEqual({
        pipelineKey: def.key,
        ownerId: null,
        // 1000 × 10% + 2000 × 50%; the won 5000 is not open any more.
        total: { count: 2, amount: 3000, weightedAmount: 1100 },
        byStage: [
          { stage: 'demand_analysis', name: 'Demand analysis', winRate: 10, count: 1, amount: 1000, weightedAmount: 100 },
          { stage: 'telephone', name: 'Telephone communication', winRate: 20, ...empty },
          { stage: 'door_to_door', name: 'Door-to-door communication', winRate: 30, ...empty },
          { stage: 'quotation', name: 'Plan quotation', winRate: 50, count: 1, amount: 2000, weightedAmount: 1000 },
          { stage: 'negotiation', name: 'Business negotiation', winRate: 70, ...empty },
          { stage: 'contract', name: 'Contract signing', winRate: 90, ...empty },
        ],
        byOwner: [
          { ownerId: sales2.actor.userId, count: 1, amount: 2000, weightedAmount: 1000 },
          { ownerId: sales.actor.userId, count: 1, amount: 1000, weightedAmount: 100 },
        ],
      });

      const mine = await forecast(sales, `?pipelineKey=${def.key}&ownerId=${sales.actor.userId}`);
      expect(mine.status).toBe(200);
      expect(mine.body).toMatchObject({
        ownerId: sales.actor.userId,
        total: { count: 1, amount: 1000, weightedAmount: 100 },
        byOwner: [{ ownerId: sales.actor.userId, count: 1, amount: 1000, weightedAmount: 100 }],
      });
      expect(mine.body.byStage.find((r: { stage: string }) => r.stage === 'quotation')).toMatchObject(empty);

      // The amount is the record's at the instance's latest step.
      expect((await call(h, 'PATCH', `/v1/records/opportunity/${small.record.id}`, { user: sales, body: { fields: { amount: 1500 } } })).status).toBe(200);
      const updated = await forecast(admin, `?pipelineKey=${def.key}`);
      expect(updated.body.total).toEqual({ count: 2, amount: 3500, weightedAmount: 1150 });
      expect(updated.body.byStage[0]).toMatchObject({ stage: 'demand_analysis', amount: 1500, weightedAmount: 150 });
    });

    it('When the forecast is asked for by a partner, for an unknown pipeline or without a pipeline, then 403, 404 and 400', async () => {
      const def = await publishTemplate();
      const byPartner = await forecast(partner, `?pipelineKey=${def.key}`);
      expect(byPartner.status).toBe(403);
      expect(byPartner.body.error.code).toBe('forbidden');
      const unknown = await forecast(sales, `?pipelineKey=${uid('nope')}`);
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('not_found');
      const missing = await forecast(sales, '');
      expect(missing.status).toBe(400);
      expect(JSON.stringify(missing.body.error)).toMatch(/pipelineKey/);
    });
  });
});
