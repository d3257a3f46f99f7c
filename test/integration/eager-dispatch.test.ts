import { call, seedUser, type TestUser } from '../support/auth';
import { uid } from '../support/factories';
import { eventually, startHarness, type Harness } from '../support/harness';
import { createRecord, instancePath, publishPipeline, startInstance, testPipeline } from '../support/pipelines';
import { testStack } from '../support/stack';

/**
 * The dev server's count of activity tasks it handed to a worker with a
 * workflow task's answer, on one task queue (named in its metrics with `_` for `-`).
 */
async function eagerActivities(taskQueue: string): Promise<number> {
  const label = `taskqueue="${taskQueue.replace(/-/g, '_')}"`;
  const res = await fetch(testStack().temporalMetricsUrl);
  expect(res.status).toBe(200);
  const text = await res.text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('activity_eager_execution') && line.includes(label))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe('the write of a step an update asks for, on the dev server the stack starts', () => {
  let h: Harness;
  let admin: TestUser;
  let sales: TestUser;

  beforeAll(async () => {
    h = await startHarness();
    const companyId = uid('cmp');
    admin = await seedUser(h, { companyId, roles: ['admin'] });
    sales = await seedUser(h, { companyId, roles: ['sales'] });
  });
  afterAll(async () => h?.stop());

  it('When moves are made, then each step activity is handed to the worker with the task that scheduled it, not through a poll', async () => {
    const def = testPipeline('Eager', uid('deal'), [
      { key: 'open', name: 'Open', type: 'normal', initial: true },
      { key: 'working', name: 'Working', type: 'normal' },
      { key: 'done', name: 'Done', type: 'success' },
    ]);
    await publishPipeline(h, admin, def);
    const record = await createRecord(h, sales, def.objectType, { fields: { title: 'Eager' } });
    const started = await startInstance(h, sales, def.key, record.id);
    expect(started.status).toBe(201);
    const instanceId = started.body.instanceId as string;

    for (const to of ['working', 'done']) {
      const moved = await call(h, 'POST', `${instancePath(instanceId)}/moves`, { user: sales, body: { to } });
      expect(moved.status).toBe(200);
      expect(moved.body.stage.key).toBe(to);
    }

    expect((await h.stores.records.get(record.id))?.fields.stage).toBe('done');
    // The start's step is a local activity; each move's is an activity task. The server reports its counters every second or so.
    await eventually(async () => (await eagerActivities(h.taskQueue)) === 2);
    expect(await eagerActivities(h.taskQueue)).toBe(2);
  });
});
