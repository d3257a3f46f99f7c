import { WorkflowNotFoundError } from '@temporalio/client';
import { LEAD_STAGES, partnerLeadTemplate } from '../../workflows/domain/templates/partner-lead';
import { opportunityPropulsionTemplate, OPPORTUNITY_KEY } from '../../workflows/domain/templates/opportunity-propulsion';
import { DEMO_OWNERS } from '../../scripts/seed';
import { call, type TestUser } from '../support/auth';
import { seedDemo, type DemoWorld } from '../support/demo';
import { eventually, startHarness, startWorker, type Harness, type TestWorker } from '../support/harness';
import { instancePath, publishPipeline, recordInstanceId } from '../support/pipelines';

jest.setTimeout(150_000);

/**
 * An instance's truth is its view in MongoDB: Temporal deletes a closed run's
 * history when the namespace's retention passes (24 h on the dev server), and
 * nothing the API reads or reopens may need it.
 */
describe('the read side: instances outlive their runs', () => {
  let h: Harness;
  let demo: DemoWorld;
  let worker: TestWorker;
  let sales: TestUser;
  let admin: TestUser;
  let partnerA: TestUser;
  const lead = (id: string) => recordInstanceId(DEMO_OWNERS.acme, 'partner-lead', 'lead', id);

  beforeAll(async () => {
    h = await startHarness({ worker: false });
    worker = await startWorker(h);
    demo = await seedDemo(h);
    ({ sales, admin, partnerA_user: partnerA } = demo.users);
    await publishPipeline(h, admin, partnerLeadTemplate());
    await publishPipeline(h, admin, opportunityPropulsionTemplate());
  });
  afterAll(async () => {
    demo?.cleanup();
    await h?.stop();
  });

  /** What the namespace's retention does to a closed run: `temporal workflow delete`, by the same call. */
  async function deleteRuns(workflowId: string): Promise<void> {
    await eventually(async () => (await h.client.workflow.getHandle(workflowId).describe()).status.name !== 'RUNNING');
    for (;;) {
      let runId: string;
      try {
        runId = (await h.client.workflow.getHandle(workflowId).describe()).runId;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return;
        throw err;
      }
      await h.client.workflowService.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId, runId } });
      await eventually(async () => {
        try {
          return (await h.client.workflow.getHandle(workflowId, runId).describe()) === undefined;
        } catch (err) {
          return err instanceof WorkflowNotFoundError;
        }
        // The dev server deletes a closed run in the background, some 30 s after it is asked.
      }, 80_000);
    }
  }

  /** A declined lead and a lost opportunity, whose runs are then deleted (side by side: the server takes its time). */
  async function retainedPast() {
    const created = await call(h, 'POST', '/v1/records/lead', { user: sales, body: { fields: { title: 'Retained lead' }, partnerCompanyId: demo.companies.partnerA } });
    expect(created.status).toBe(201);
    const declined = await call(h, 'POST', `/v1/leads/${created.body.id}/decline`, { user: partnerA, body: { reason: 'out of area' } });
    expect(declined.status).toBe(200);
    const deal = await call(h, 'POST', '/v1/records/opportunity', { user: sales, body: { fields: { title: 'Retained deal', amount: 500 } } });
    expect(deal.status).toBe(201);
    const dealInstance = recordInstanceId(DEMO_OWNERS.acme, OPPORTUNITY_KEY, 'opportunity', deal.body.id);
    const lost = await call(h, 'POST', `${instancePath(dealInstance)}/moves`, { user: sales, body: { to: 'lost', fields: { lostReason: 'price' }, reason: 'too dear' } });
    expect(lost.status).toBe(200);
    await Promise.all([deleteRuns(lead(created.body.id)), deleteRuns(dealInstance)]);
    return { leadId: created.body.id as string, dealInstance };
  }
  let past: Promise<Awaited<ReturnType<typeof retainedPast>>>;
  beforeAll(() => {
    past = retainedPast();
    past.catch(() => undefined);
  });

  it('When a declined lead\'s run has been deleted, then the lead is still read, listed and reassigned to another partner through the API', async () => {
    const { leadId } = await past;
    const created = { body: { id: leadId } };
    const instanceId = lead(leadId);

    const read = await call(h, 'GET', instancePath(instanceId), { user: sales });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ status: 'finished', stage: { key: LEAD_STAGES.declined }, record: { fields: { declineReason: 'out of area' } } });
    expect(read.body.history.map((v: { stage: string }) => v.stage)).toEqual([LEAD_STAGES.pending, LEAD_STAGES.declined]);
    expect(read.body.allowedMoves.map((m: { key: string }) => m.key)).toContain(LEAD_STAGES.pending);
    const listed = await call(h, 'GET', '/v1/instances?pipelineKey=partner-lead&status=finished&limit=100', { user: sales });
    expect(listed.body.items.map((i: { instanceId: string }) => i.instanceId)).toContain(instanceId);

    const reassigned = await call(h, 'POST', `/v1/leads/${created.body.id}/reassign`, { user: sales, body: { partnerCompanyId: demo.companies.partnerB } });
    expect(reassigned.status).toBe(200);
    expect(reassigned.body).toMatchObject({ status: 'running', stage: { key: LEAD_STAGES.pending }, record: { partnerCompanyId: demo.companies.partnerB } });
    // The new run carries on from the view: its trail, its sequence, a fresh deadline.
    expect(reassigned.body.history.map((v: { stage: string }) => v.stage)).toEqual([LEAD_STAGES.pending, LEAD_STAGES.declined, LEAD_STAGES.pending]);
    expect(await h.stores.instances.get(instanceId)).toMatchObject({ status: 'running', seq: 3, partnerCompanyId: demo.companies.partnerB });
    expect((await h.client.workflow.getHandle(instanceId).describe()).status.name).toBe('RUNNING');
  });

  it('When a lost opportunity\'s run has been deleted, then it is reactivated from its view, with its trail', async () => {
    const { dealInstance: instanceId } = await past;

    const reactivated = await call(h, 'POST', `${instancePath(instanceId)}/reactivate`, { user: sales, body: { reason: 'back in budget' } });
    expect(reactivated.status).toBe(200);
    expect(reactivated.body).toMatchObject({ status: 'running', stage: { key: 'demand_analysis' } });
    expect(reactivated.body.history.map((v: { stage: string }) => v.stage)).toEqual(['demand_analysis', 'lost', 'demand_analysis']);
    const events = await call(h, 'GET', `${instancePath(instanceId)}/events`, { user: sales });
    expect(events.body.items.map((e: { kind: string }) => e.kind)).toEqual(['started', 'moved', 'moved']);
  });

  it('When no worker polls, then an instance, its record and the lists are still read from MongoDB', async () => {
    const created = await call(h, 'POST', '/v1/records/lead', { user: sales, body: { fields: { title: 'Unattended' }, partnerCompanyId: demo.companies.partnerA } });
    const instanceId = lead(created.body.id);
    await worker.stop();
    try {
      const read = await call(h, 'GET', instancePath(instanceId), { user: partnerA });
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ status: 'running', stage: { key: LEAD_STAGES.pending } });
      expect(read.body.deadline).toMatchObject({ to: LEAD_STAGES.expired });
      const listed = await call(h, 'GET', '/v1/instances?pipelineKey=partner-lead&limit=100', { user: partnerA });
      expect(listed.status).toBe(200);
      expect(listed.body.items.map((i: { instanceId: string }) => i.instanceId)).toContain(instanceId);
      expect((await call(h, 'GET', `/v1/records/lead/${created.body.id}`, { user: partnerA })).body.instances).toEqual([
        { instanceId, stage: LEAD_STAGES.pending, status: 'running' },
      ]);
    } finally {
      worker = await startWorker(h);
    }
  });

  it('When a step\'s view write arrives after a newer step\'s (a retried or late attempt), then the view keeps the newer one; a new chain replaces it', async () => {
    const def = (await h.stores.pipelines.latestPublished(DEMO_OWNERS.acme, OPPORTUNITY_KEY))!;
    const instanceId = `pipeline:${DEMO_OWNERS.acme}:${OPPORTUNITY_KEY}:opportunity:opp_${Date.now()}`;
    const step = (chainId: string, seq: number, stage: string) =>
      h.stores.instances.applyStep({
        instanceId,
        chainId,
        recordId: 'opp_late',
        pipeline: { companyId: DEMO_OWNERS.acme, key: def.key, version: def.version },
        def,
        change: { seq, status: 'running', stage, stageEnteredAt: new Date(seq * 1000).toISOString(), parties: { ownerId: 'usr_sales' } },
        at: new Date().toISOString(),
      });
    expect(await step('chainA', 1, 'demand_analysis')).toBe(true);
    expect(await step('chainA', 3, 'quotation')).toBe(true);
    expect(await step('chainA', 2, 'telephone')).toBe(false);
    expect(await step('chainA', 3, 'quotation')).toBe(false);
    expect(await h.stores.instances.get(instanceId)).toMatchObject({ seq: 3, stage: 'quotation', chains: { chainA: 3 } });
    expect(await step('chainB', 1, 'demand_analysis')).toBe(true);
    expect(await h.stores.instances.get(instanceId)).toMatchObject({ seq: 1, chainId: 'chainB', stage: 'demand_analysis', chains: { chainA: 3, chainB: 1 } });
  });
});
