import { WorkflowNotFoundError } from '@temporalio/client';
import { COLLECTIONS, prepareDatabase } from '../../activities/store';
import { toRecordView } from '../../activities/store/records';
import { moveUpdate, PIPELINE_INSTANCE_WORKFLOW, type PipelineInstanceInput } from '../../workflows/messages';
import { backfillViews } from '../../workers/view-backfill';
import type { PipelineVersion } from '../../workflows/domain/types';
import { call, seedUser, type TestUser } from '../support/auth';
import { buildRecord, uid } from '../support/factories';
import { eventually, startHarness, type Harness } from '../support/harness';
import { instancePath, recordInstanceId, testPipeline } from '../support/pipelines';

/**
 * A database as the version before companies owned pipelines left it: its
 * pipelines and versions keyed by the pipeline key alone, the unique index on
 * (pipelineKey, version), and an instance running under the id of that time.
 */
describe('upgrading a database written before companies owned pipelines', () => {
  let h: Harness;
  let admin: TestUser;
  let sales: TestUser;
  let laterAdmin: TestUser;
  const owner = uid('cmp_first');
  const partner = uid('cmp_partner');
  const type = uid('deal');
  const def = testPipeline(
    'Deals',
    type,
    [
      { key: 'open', name: 'Open', type: 'normal', initial: true },
      { key: 'proposal', name: 'Proposal', type: 'normal' },
      { key: 'won', name: 'Won', type: 'success' },
    ],
    { trigger: { onCreate: true, manual: true, reinitiate: false } },
  );
  const version: PipelineVersion = { ...def, version: 1, publishedAt: '2026-06-01T00:00:00.000Z' };
  const recordId = uid('rec');
  const globalId = `pipeline:${def.key}:${type}:${recordId}`;
  const pipelines = () => h.db.collection(COLLECTIONS.pipelines);
  const versions = () => h.db.collection(COLLECTIONS.pipelineVersions);

  beforeAll(async () => {
    h = await startHarness();
    // The owner company the old demo world made first, then one made later.
    await h.stores.people.upsertCompany({ id: owner, name: 'First owner', kind: 'owner', createdAt: '2026-01-01T00:00:00.000Z' });
    admin = await seedUser(h, { companyId: owner, roles: ['admin'] });
    sales = await seedUser(h, { companyId: owner, roles: ['sales'] });
    laterAdmin = await seedUser(h, { roles: ['admin'] });
    // A partner company of that time: no program membership yet.
    await h.stores.people.upsertCompany({ id: partner, name: 'Old partner', kind: 'partner', createdAt: '2026-01-02T00:00:00.000Z' });

    await versions().createIndex({ pipelineKey: 1, version: -1 }, { name: 'by_pipeline_version', unique: true });
    await pipelines().insertOne({
      _id: def.key as never,
      draft: def,
      status: 'published',
      latestVersion: 1,
      createdAt: version.publishedAt,
      updatedAt: version.publishedAt,
      createdBy: admin.actor.userId,
      updatedBy: admin.actor.userId,
    });
    const { version: _v, publishedAt, ...definition } = version;
    await versions().insertOne({ _id: `${def.key}@1` as never, pipelineKey: def.key, version: 1, definition, publishedAt, publishedBy: admin.actor.userId });

    const record = buildRecord({ id: recordId, type, companyId: owner, ownerId: sales.actor.userId, fields: { title: 'Old deal' } });
    await h.stores.records.insert(record);
    const input: PipelineInstanceInput = { instanceId: globalId, definition: version, record: toRecordView(record), startedBy: sales.actor };
    await h.client.workflow.start(PIPELINE_INSTANCE_WORKFLOW, { workflowId: globalId, taskQueue: h.taskQueue, args: [input] });
    await eventually(async () => (await h.stores.instances.get(globalId)) ?? false);
  });
  afterAll(async () => h?.stop());

  it('When every process prepares the database on start, then the first owner company owns the old pipeline and its version, its partner joins that program, and a second run changes nothing', async () => {
    const [first, again] = [await prepareDatabase(h.db, h.stores), await prepareDatabase(h.db, h.stores)];
    expect(first).toEqual({ adoptedBy: owner, pipelines: 1, versions: 1, partners: 1 });
    expect(again).toEqual({ pipelines: 0, versions: 0, partners: 0 });
    expect(await h.db.collection(COLLECTIONS.companies).findOne({ _id: partner as never })).toMatchObject({ programs: [owner] });

    expect(await pipelines().find({ key: def.key }).toArray()).toEqual([
      expect.objectContaining({ _id: `${owner}/${def.key}`, companyId: owner, key: def.key, status: 'published', latestVersion: 1, globalIds: true }),
    ]);
    expect(await pipelines().findOne({ _id: def.key as never })).toBeNull();
    expect(await versions().find({ pipelineKey: def.key }).toArray()).toEqual([
      expect.objectContaining({ _id: `${owner}/${def.key}@1`, companyId: owner, version: 1, definition: expect.objectContaining({ name: 'Deals' }) }),
    ]);
    const indexes = (await versions().listIndexes().toArray()).map((i) => i.name);
    expect(indexes).not.toContain('by_pipeline_version');
    expect(indexes).toContain('by_company_pipeline_version');

    const read = await call(h, 'GET', `/v1/pipelines/${def.key}`, { user: admin });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ companyId: owner, key: def.key, status: 'published', latestVersion: 1 });
    expect((await call(h, 'GET', `/v1/pipelines/${def.key}`, { user: laterAdmin })).status).toBe(404);
  });

  it('When the old instance is read, moved and started again by hand, then it keeps its id, and a start by hand finds it running and starts no second instance', async () => {
    const record = await call(h, 'GET', `/v1/records/${type}/${recordId}`, { user: sales });
    expect(record.status).toBe(200);
    expect(record.body.instances).toEqual([{ instanceId: globalId, stage: 'open', status: 'running' }]);

    const moved = await call(h, 'POST', `${instancePath(globalId)}/moves`, { user: sales, body: { to: 'proposal' } });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ instanceId: globalId, stage: { key: 'proposal' } });
    expect(await h.stores.instances.get(globalId)).toMatchObject({ stage: 'proposal', companyId: owner });

    const started = await call(h, 'POST', '/v1/instances', { user: sales, body: { pipelineKey: def.key, recordId } });
    expect(started.status).toBe(409);
    expect(started.body.error.code).toBe('already_running');
    const newId = recordInstanceId(owner, def.key, type, recordId);
    await expect(h.client.workflow.getHandle(newId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(await h.stores.instances.get(newId)).toBeUndefined();
  });

  it('When a record is created after the upgrade, then its instance takes the id with the company, and another company may publish the same key', async () => {
    const created = await call(h, 'POST', `/v1/records/${type}`, { user: sales, body: { fields: { title: 'New deal' } } });
    expect(created.status).toBe(201);
    expect(created.body.instances).toEqual([{ instanceId: recordInstanceId(owner, def.key, type, created.body.id), outcome: 'started' }]);

    const theirs = await call(h, 'POST', '/v1/pipelines', { user: laterAdmin, body: { ...def, name: 'Their deals' } });
    expect(theirs.status).toBe(201);
    const published = await call(h, 'POST', `/v1/pipelines/${def.key}/publish`, { user: laterAdmin });
    expect(published.status).toBe(201);
    expect(published.body).toMatchObject({ key: def.key, version: 1, name: 'Their deals' });
    expect((await call(h, 'GET', `/v1/pipelines/${def.key}`, { user: admin })).body).toMatchObject({ draft: { name: 'Deals' }, latestVersion: 1 });
  });
});

/**
 * The instances 1.0 left: it kept a projection of each (stage, status) and
 * read the rest from the workflow. This version keeps a whole view, which the
 * worker completes once it polls (workers/view-backfill.ts).
 */
describe('upgrading the instances 1.0 left to views', () => {
  let h: Harness;
  let admin: TestUser;
  let sales: TestUser;
  const type = uid('deal');
  const def = testPipeline(
    'Deals',
    type,
    [
      {
        key: 'open',
        name: 'Open',
        type: 'normal',
        initial: true,
        tasks: [{ key: 'call', name: 'Call the customer', kind: 'edit_fields', fields: ['called'], assignee: { kind: 'owner' }, required: false }],
      },
      { key: 'proposal', name: 'Proposal', type: 'normal' },
      { key: 'lost', name: 'Lost', type: 'failure' },
    ],
    { policy: { reversible: true, skippable: true, repeatable: true, reactivatable: true } },
  );
  let version: PipelineVersion;

  /** The projection 1.0 wrote for an instance: the fields of its list and forecast, and nothing of its history or tasks. */
  async function asOneZeroLeftIt(instanceId: string): Promise<void> {
    const doc = await h.db.collection(COLLECTIONS.instances).findOne({ _id: instanceId as never });
    const keep = ['pipelineKey', 'pipelineName', 'version', 'objectType', 'recordId', 'status', 'stage', 'stageType', 'stageEnteredAt', 'deadline', 'ownerId', 'companyId', 'partnerCompanyId', 'contactId', 'seq', 'updatedAt'];
    const projection = Object.fromEntries(Object.entries(doc ?? {}).filter(([k]) => keep.includes(k)));
    await h.db.collection(COLLECTIONS.instances).replaceOne({ _id: instanceId as never }, projection);
  }

  beforeAll(async () => {
    h = await startHarness();
    admin = await seedUser(h, { roles: ['admin'] });
    sales = await seedUser(h, { companyId: admin.actor.companyId, roles: ['sales'] });
    const saved = await call(h, 'POST', '/v1/pipelines', { user: admin, body: def });
    expect(saved.status).toBe(201);
    version = (await call(h, 'POST', `/v1/pipelines/${def.key}/publish`, { user: admin })).body as PipelineVersion;
  });
  afterAll(async () => h?.stop());

  it('When the worker starts, then a running 1.0 instance gets its whole view from its state, a closed one from its trail, and a second start changes nothing', async () => {
    const companyId = admin.actor.companyId!;
    // Running, as 1.0 started it (the definition in its input), one move on.
    const running = buildRecord({ type, companyId, ownerId: sales.actor.userId, fields: { title: 'Still open' } });
    await h.stores.records.insert(running);
    const runningId = recordInstanceId(companyId, def.key, type, running.id);
    const input: PipelineInstanceInput = { instanceId: runningId, definition: version, record: toRecordView(running), startedBy: sales.actor };
    const handle = await h.client.workflow.start(PIPELINE_INSTANCE_WORKFLOW, { workflowId: runningId, taskQueue: h.taskQueue, args: [input] });
    await handle.executeUpdate(moveUpdate, { args: [{ actor: sales.actor, move: { to: 'proposal' } }] });
    await asOneZeroLeftIt(runningId);

    // Closed before the upgrade, its run long deleted: only its projection, trail and tasks are left.
    const closed = buildRecord({ type, companyId, ownerId: sales.actor.userId, fields: { title: 'Lost long ago', stage: 'lost' }, version: 3 });
    await h.stores.records.insert(closed);
    const closedId = recordInstanceId(companyId, def.key, type, closed.id);
    const eventId = (seq: number) => `${closedId}:0ldc4a1n:${seq}`;
    const at = (minutes: number) => new Date(Date.UTC(2026, 10, 1, 9, minutes)).toISOString();
    await h.db.collection(COLLECTIONS.instances).insertOne({
      _id: closedId as never, pipelineKey: def.key, pipelineName: def.name, version: 1, objectType: type, recordId: closed.id, status: 'finished',
      stage: 'lost', stageType: 'failure', stageEnteredAt: at(20), ownerId: sales.actor.userId, companyId, seq: 3, updatedAt: at(20),
    });
    const actor = { kind: 'user' as const, userId: sales.actor.userId, companyId };
    await h.stores.events.append({ eventId: eventId(1), instanceId: closedId, recordId: closed.id, pipelineKey: def.key, kind: 'started', actor, at: at(0), to: 'open' });
    await h.stores.events.append({ eventId: eventId(2), instanceId: closedId, recordId: closed.id, pipelineKey: def.key, kind: 'task_completed', actor, at: at(10), details: { taskId: `${eventId(1)}:call` } });
    await h.stores.events.append({ eventId: eventId(3), instanceId: closedId, recordId: closed.id, pipelineKey: def.key, kind: 'moved', actor, at: at(20), from: 'open', to: 'lost', reason: 'no budget' });
    await h.stores.tasks.create(closedId, closed.id, [
      { id: `${eventId(1)}:call`, key: 'call', stage: 'open', name: 'Call the customer', kind: { kind: 'edit_fields', fields: ['called'] }, assignee: { kind: 'owner' }, required: false, status: 'done', createdAt: at(0), doneAt: at(10), doneBy: actor.userId },
    ]);

    expect(await h.stores.instances.get(runningId)).toMatchObject({ complete: false, history: [] });
    const report = await backfillViews(h.client, h.stores);
    expect(report).toEqual({ running: 1, closed: 1, skipped: 0 });

    const runningView = await h.stores.instances.get(runningId);
    expect(runningView).toMatchObject({ complete: true, stage: 'proposal', seq: 2, chains: { [runningView!.chainId]: 2 } });
    expect(runningView!.history.map((v) => v.stage)).toEqual(['open', 'proposal']);
    expect(runningView!.tasks.map((t) => [t.key, t.status])).toEqual([['call', 'open']]);
    const closedView = await h.stores.instances.get(closedId);
    expect(closedView).toMatchObject({ complete: true, stage: 'lost', status: 'finished', seq: 3, chainId: '0ldc4a1n' });
    expect(closedView!.history).toEqual([
      { stage: 'open', enteredAt: at(0), leftAt: at(20), by: actor.userId, eventId: eventId(1) },
      { stage: 'lost', enteredAt: at(20), by: actor.userId, reason: 'no budget', eventId: eventId(3) },
    ]);
    expect(closedView!.tasks).toEqual([expect.objectContaining({ key: 'call', status: 'done', doneAt: at(10) })]);

    expect(await backfillViews(h.client, h.stores)).toEqual({ running: 0, closed: 0, skipped: 0 });

    // Read and reopened through the API from the views alone.
    const read = await call(h, 'GET', instancePath(closedId), { user: sales });
    expect(read.status).toBe(200);
    expect(read.body.history.map((v: { stage: string }) => v.stage)).toEqual(['open', 'lost']);
    const reopened = await call(h, 'POST', `${instancePath(closedId)}/reactivate`, { user: sales, body: { to: 'proposal' } });
    expect(reopened.status).toBe(200);
    expect(reopened.body).toMatchObject({ status: 'running', stage: { key: 'proposal' } });
    expect(reopened.body.history.map((v: { stage: string }) => v.stage)).toEqual(['open', 'lost', 'proposal']);
    expect(await h.stores.instances.get(closedId)).toMatchObject({ seq: 4, chainId: '0ldc4a1n' });
  });
});
