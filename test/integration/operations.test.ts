import type { PipelineDefinition } from '../../workflows/domain/types';
import { spawnApi } from '../support/api-process';
import { call, seedUser, type TestUser } from '../support/auth';
import { uid } from '../support/factories';
import { eventually, startHarness, startWorker, type Harness } from '../support/harness';
import { createRecord, instancePath, publishPipeline, startInstance, testPipeline } from '../support/pipelines';
import { spawnWorker } from '../support/worker-process';

/** Open → Review (needs `amount`) → Closed, with Open timing out to Closed after a second. */
function timedPipeline(key: string): PipelineDefinition {
  return testPipeline(
    'Timed',
    // A type of its own: only one enabled pipeline may hold a type's stage field.
    `ticket_${key}`,
    [
      { key: 'open', name: 'Open', type: 'normal', initial: true, deadline: { after: '1s', to: 'closed' } },
      { key: 'review', name: 'Review', type: 'normal', rules: { requiredFields: ['amount'] } },
      { key: 'closed', name: 'Closed', type: 'success' },
    ],
    { key },
  );
}

const metricValue = (text: string, name: string, labels: Record<string, string>): number | undefined => {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

describe('operations: metrics, logs and graceful shutdown', () => {
  let h: Harness;
  let admin: TestUser;
  let sales: TestUser;

  beforeAll(async () => {
    h = await startHarness({ worker: false });
    const company = uid('cmp');
    admin = await seedUser(h, { companyId: company, roles: ['admin'] });
    sales = await seedUser(h, { companyId: company, roles: ['sales'] });
  });
  afterAll(async () => h?.stop());

  it('When a move is refused, then the API metrics count the request by route and status and the refusal by pipeline and reason', async () => {
    const worker = await startWorker(h);
    try {
      const def = timedPipeline(uid('ops'));
      await publishPipeline(h, admin, { ...def, stages: def.stages.map((s) => ({ ...s, deadline: undefined })) });
      const record = await createRecord(h, sales, def.objectType, { fields: { title: 'Printer on fire' } });
      const started = await startInstance(h, sales, def.key, record.id);
      const refused = await call(h, 'POST', `${instancePath(started.body.instanceId)}/moves`, { user: sales, body: { to: 'review' } });
      expect(refused.status).toBe(409);
      expect(refused.headers.get('x-request-id')).toMatch(/^[\w-]{36}$/);

      const metrics = await (await fetch(h.apiMetricsUrl)).text();
      expect(metricValue(metrics, 'propeller_http_requests_total', { route: '/v1/instances/:id/moves', method: 'POST', status: '409' })).toBe(1);
      expect(metricValue(metrics, 'propeller_moves_refused_total', { pipeline: def.key, reason: 'missing_fields' })).toBe(1);
      expect(metrics).toMatch(/propeller_http_request_duration_seconds_bucket\{.*route="\/v1\/instances"/);
    } finally {
      await worker.stop();
    }
  });

  it('When the worker process runs a deadline, then its metrics port shows the business counters and the SDK metrics, its logs are JSON with the workflow id, and SIGTERM ends it with 0', async () => {
    const worker = await spawnWorker(h);
    try {
      const def = timedPipeline(uid('ops'));
      await publishPipeline(h, admin, def);
      const record = await createRecord(h, sales, def.objectType, { fields: { title: 'Slow ticket' } });
      const started = await startInstance(h, sales, def.key, record.id);
      const instanceId = started.body.instanceId as string;
      await eventually(async () => (await h.stores.instances.get(instanceId))?.stage === 'closed');

      const metrics = await eventually(async () => {
        const text = await (await fetch(worker.metricsUrl)).text();
        return metricValue(text, 'propeller_deadlines_fired_total', { pipeline: def.key }) === 1 && text;
      });
      expect(metricValue(metrics, 'propeller_moves_applied_total', { pipeline: def.key, kind: 'started' })).toBe(1);
      expect(metrics).toMatch(/^temporal_\w+/m);

      const logLines = () => worker.stdout().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(logLines().every((l) => typeof l.level === 'number' && typeof l.msg === 'string')).toBe(true);
      // Workflow log lines reach the process through the SDK's sink, a moment after the step.
      const steps = await eventually(async () => {
        const found = logLines().filter((l) => l.msg === 'step applied' && l.workflowId === instanceId);
        return found.length === 2 && found;
      });
      expect(steps.map((l) => [l.kind, l.to])).toEqual([
        ['started', 'open'],
        ['deadline_fired', 'closed'],
      ]);
      expect(steps.every((l) => typeof l.runId === 'string')).toBe(true);
    } finally {
      worker.child.kill('SIGTERM');
    }
    expect(await worker.exited).toBe(0);
    expect(worker.stdout()).toContain('"worker stopped"');
  });

  it('When the API gets SIGTERM with a request in flight, then the request completes and the process exits 0', async () => {
    const def = timedPipeline(uid('ops'));
    await publishPipeline(h, admin, { ...def, trigger: { ...def.trigger, onCreate: true }, stages: def.stages.map((s) => ({ ...s, deadline: undefined })) });
    const api = await spawnApi(h);
    const exited = new Promise<number | null>((resolve) => api.child.once('exit', (code) => resolve(code)));
    // No worker yet: the create waits on its instance's first step, so it is in flight when SIGTERM lands.
    const pending = fetch(`${api.url}/v1/records/${def.objectType}`, {
      method: 'POST',
      headers: sales.headers,
      body: JSON.stringify({ fields: { title: 'In flight' } }),
    });
    await eventually(async () => {
      for await (const run of h.client.workflow.list({ query: `WorkflowType = 'pipelineInstance' AND TaskQueue = '${h.taskQueue}'` })) {
        return run.workflowId;
      }
      return undefined;
    });
    api.child.kill('SIGTERM');
    const worker = await startWorker(h);
    try {
      const res = await pending;
      expect(res.status).toBe(201);
      const body = (await res.json()) as { id: string; fields: Record<string, unknown> };
      expect(body.fields.stage).toBe('open');
      expect(await exited).toBe(0);
      expect((await h.stores.records.get(body.id))?.fields.stage).toBe('open');
    } finally {
      await worker.stop();
      await api.kill();
    }
  });
});
