import crypto from 'node:crypto';
import { call } from '../support/auth';
import { eventually, type Harness } from '../support/harness';
import { startedInstanceId } from '../support/instances';
import { testPipeline } from '../support/pipelines';
import { useClusterSuite } from './cluster-suite';

/**
 * Each API process keeps pipelines in memory. On the cluster's two API
 * processes: what is published or disabled through one is what the other
 * uses on its very next request.
 */
describe('Cluster: the per-process caches agree across the two API processes', () => {
  const suite = useClusterSuite('caches');

  it('When a pipeline is published, republished and disabled through API 1, then the next record created through API 2 runs on exactly that', async () => {
    const { admin, sales } = suite.demo.users;
    const [one, two]: Harness[] = suite.apis.map((api) => ({ ...suite.h, apiUrl: api.url }));
    const type = `gadget_${crypto.randomBytes(3).toString('hex')}`;
    const def = testPipeline('Gadgets', type, [
      { key: 'open', name: 'Open', type: 'normal' },
      { key: 'done', name: 'Done', type: 'success' },
    ], { trigger: { onCreate: true, manual: true, reinitiate: false } });
    const createThroughTwo = async () => {
      const res = await call(two!, 'POST', `/v1/records/${type}`, { user: sales, body: { fields: { title: 'g' } } });
      expect(res.status).toBe(201);
      const instanceId = startedInstanceId(res.body);
      if (!instanceId) return { instances: res.body.instances };
      const projection = await eventually(async () => suite.h.stores.instances.get(instanceId));
      return { instances: res.body.instances, version: projection.version, stage: projection.stage };
    };

    // Warm API 2's cache for the type: nothing published, nothing starts.
    expect((await createThroughTwo()).instances).toEqual([]);

    expect((await call(one!, 'POST', '/v1/pipelines', { user: admin, body: def })).status).toBe(201);
    expect((await call(one!, 'POST', `/v1/pipelines/${def.key}/publish`, { user: admin })).status).toBe(201);
    expect(await createThroughTwo()).toMatchObject({ version: 1, stage: 'open' });

    const v2 = { ...def, stages: [{ key: 'intake', name: 'Intake', type: 'normal' as const }, ...def.stages] };
    expect((await call(one!, 'PUT', `/v1/pipelines/${def.key}`, { user: admin, body: v2 })).status).toBe(200);
    expect((await call(one!, 'POST', `/v1/pipelines/${def.key}/publish`, { user: admin })).status).toBe(201);
    expect(await createThroughTwo()).toMatchObject({ version: 2, stage: 'intake' });

    expect((await call(one!, 'POST', `/v1/pipelines/${def.key}/disable`, { user: admin })).status).toBe(200);
    expect((await createThroughTwo()).instances).toEqual([]);
  });
});
