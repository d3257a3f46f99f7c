import http from 'node:http';
import { BSON, type Document } from 'mongodb';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import type { Filter, PipelineDefinition } from '../../workflows/domain/types';
import { COLLECTIONS } from '../../activities/store/collections';
import { spawnApi } from '../support/api-process';
import { call, seedUser, type TestUser } from '../support/auth';
import { uid } from '../support/factories';
import { eventually, startHarness, startWorker, type Harness } from '../support/harness';
import { contactInstanceId, createRecord, instancePath, publishPipeline, recordInstanceId, startInstance, testPipeline } from '../support/pipelines';

// jest reads testTimeout only from the root config, not from the integration project's.
jest.setTimeout(120_000);

/** Open → Working → Won | Lost, started automatically for every new record of `objectType` (filter by override). */
function autoPipeline(objectType: string, overrides: Partial<PipelineDefinition> = {}): PipelineDefinition {
  return testPipeline(
    `Auto ${objectType}`,
    objectType,
    [
      { key: 'open', name: 'Open', type: 'normal', initial: true, winRate: 10 },
      { key: 'working', name: 'Working', type: 'normal', winRate: 50 },
      { key: 'won', name: 'Won', type: 'success', winRate: 100 },
      { key: 'lost', name: 'Lost', type: 'failure', winRate: 0 },
    ],
    { trigger: { onCreate: true, manual: true, reinitiate: false }, ...overrides },
  );
}

interface CreatedRecord {
  id: string;
  version: number;
  fields: Record<string, unknown>;
  instances: Array<{ instanceId: string; outcome: string }>;
}

/** Documents as stored, keyed by the application's string ids. */
type RawDoc = Document & { _id: string };

/** All executions (every run) a visibility query finds. */
async function listWorkflows(h: Harness, query: string): Promise<WorkflowExecutionInfo[]> {
  const found: WorkflowExecutionInfo[] = [];
  for await (const info of h.client.workflow.list({ query })) found.push(info);
  return found;
}

async function workflowStatus(h: Harness, workflowId: string): Promise<string> {
  return (await h.client.workflow.getHandle(workflowId).describe()).status.name;
}

describe('record triggers', () => {
  let h: Harness;
  let admin: TestUser;
  let sales: TestUser;
  let support: TestUser;
  let emea: TestUser;
  let apac: TestUser;
  const company = uid('cmp');
  const perRecord = (def: PipelineDefinition, type: string, recordId: string) => recordInstanceId(company, def.key, type, recordId);
  const perContact = (def: PipelineDefinition, contactId: string) => contactInstanceId(company, def.key, contactId);

  beforeAll(async () => {
    h = await startHarness();
    admin = await seedUser(h, { companyId: company, roles: ['admin'] });
    sales = await seedUser(h, { companyId: company, roles: ['sales'], department: 'Sales' });
    support = await seedUser(h, { companyId: company, roles: ['sales'], department: 'Support' });
    emea = await seedUser(h, { companyId: company, roles: ['sales'], attributes: { region: 'EMEA' } });
    apac = await seedUser(h, { companyId: company, roles: ['sales'], attributes: { region: 'APAC' } });
  });
  afterAll(async () => h?.stop());

  /** POST /v1/records/:type, expecting 201. */
  async function create(user: TestUser, type: string, body: Record<string, unknown>): Promise<CreatedRecord> {
    const res = await call(h, 'POST', `/v1/records/${type}`, { user, body });
    expect(res.status).toBe(201);
    return res.body as CreatedRecord;
  }
  const patch = (user: TestUser, type: string, id: string, fields: Record<string, unknown>) =>
    call(h, 'PATCH', `/v1/records/${type}/${id}`, { user, body: { fields } });
  const move = (user: TestUser, instanceId: string, body: unknown) => call(h, 'POST', `${instancePath(instanceId)}/moves`, { user, body });
  const view = async (user: TestUser, instanceId: string) => {
    const res = await call(h, 'GET', instancePath(instanceId), { user });
    expect(res.status).toBe(200);
    return res.body;
  };
  /** The instance projection, once the instance's first step has written it. */
  const projection = (instanceId: string) =>
    eventually(async () => (await h.stores.instances.get(instanceId)) ?? false);

  describe('auto-start filters', () => {
    type Creation = { user: () => TestUser; body: () => Promise<Record<string, unknown>> };
    const cases: Array<[string, string, Filter, Creation, Creation]> = [
      [
        "the record's own field",
        'opp_own',
        { op: 'eq', path: 'record.industry', value: 'retail' },
        { user: () => sales, body: async () => ({ fields: { title: 'Shop', industry: 'retail' } }) },
        { user: () => sales, body: async () => ({ fields: { title: 'Plant', industry: 'energy' } }) },
      ],
      [
        'a field of the associated account',
        'opp_assoc',
        { op: 'eq', path: 'account.industry', value: 'energy' },
        {
          user: () => sales,
          body: async () => ({ fields: { title: 'Turbines', accountId: (await createRecord(h, sales, 'account', { fields: { name: 'Volt', industry: 'energy' } })).id } }),
        },
        {
          user: () => sales,
          body: async () => ({ fields: { title: 'Shelves', accountId: (await createRecord(h, sales, 'account', { fields: { name: 'Mart', industry: 'retail' } })).id } }),
        },
      ],
      [
        "the owner's primary department",
        'opp_dept',
        { op: 'eq', path: 'owner.department', value: 'Sales' },
        // Created by an admin (no department) for an owner: only the owner's department can decide.
        { user: () => admin, body: async () => ({ fields: { title: 'For sales' }, ownerId: sales.actor.userId }) },
        { user: () => admin, body: async () => ({ fields: { title: 'For support' }, ownerId: support.actor.userId }) },
      ],
      [
        "the acting user's attribute",
        'opp_user',
        { op: 'eq', path: 'user.attributes.region', value: 'EMEA' },
        { user: () => emea, body: async () => ({ fields: { title: 'By EMEA' } }) },
        // Owned by the EMEA user but created by APAC: the filter looks at who acts, not who owns.
        { user: () => apac, body: async () => ({ fields: { title: 'By APAC' }, ownerId: emea.actor.userId }) },
      ],
    ];

    it.each(cases)(
      'When a filter on %s matches a new record, then exactly one instance starts; when it does not, then none',
      async (_what, typePrefix, filter, matching, other) => {
        const type = uid(typePrefix);
        const def = autoPipeline(type, { filter });
        await publishPipeline(h, admin, def);

        const hit = await create(matching.user(), type, await matching.body());
        const instanceId = perRecord(def, type, hit.id);
        expect(hit.instances).toEqual([{ instanceId, outcome: 'started' }]);
        await projection(instanceId);
        const started = await h.stores.instances.forRecord(hit.id);
        expect(started).toEqual([expect.objectContaining({ instanceId, pipelineKey: def.key, recordId: hit.id, status: 'running', stage: 'open' })]);
        expect((await h.stores.events.forInstance(instanceId)).map((e) => e.kind)).toEqual(['started']);
        expect(await workflowStatus(h, instanceId)).toBe('RUNNING');

        const miss = await create(other.user(), type, await other.body());
        expect(miss.instances).toEqual([]);
        expect(await h.stores.instances.forRecord(miss.id)).toEqual([]);
        expect(await h.stores.events.forRecord(miss.id)).toEqual([]);
        await expect(h.client.workflow.getHandle(perRecord(def, type, miss.id)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
        expect((await h.stores.records.get(miss.id))?.fields.stage).toBeUndefined();
      },
    );
  });

  it('When the record of a running instance is updated, then the instance takes the new values and stays in its stage without restarting', async () => {
    const type = uid('opp_re');
    const def = autoPipeline(type);
    await publishPipeline(h, admin, def);
    const record = await create(sales, type, { fields: { title: 'Deal', amount: 100 } });
    const instanceId = perRecord(def, type, record.id);
    await projection(instanceId);
    expect((await move(sales, instanceId, { to: 'working' })).status).toBe(200);
    const { runId } = await h.client.workflow.getHandle(instanceId).describe();

    const patched = await patch(sales, type, record.id, { title: 'Bigger deal', amount: 250 });
    expect(patched.status).toBe(200);
    expect(patched.body.fields).toEqual({ title: 'Bigger deal', amount: 250, stage: 'working' });
    const again = await patch(sales, type, record.id, { notes: 'call back on Monday' });
    expect(again.status).toBe(200);

    const state = await view(sales, instanceId);
    expect(state).toMatchObject({ status: 'running', stage: { key: 'working' } });
    expect(state.record.fields).toEqual({ title: 'Bigger deal', amount: 250, notes: 'call back on Monday', stage: 'working' });
    expect(state.history.map((v: { stage: string }) => v.stage)).toEqual(['open', 'working']);
    const kinds = (await h.stores.events.forInstance(instanceId)).map((e) => e.kind);
    expect(kinds).toEqual(['started', 'moved', 'record_updated', 'record_updated']);
    const described = await h.client.workflow.getHandle(instanceId).describe();
    expect(described).toMatchObject({ runId, status: { name: 'RUNNING' } });
    expect(await h.stores.instances.forRecord(record.id)).toEqual([expect.objectContaining({ instanceId, stage: 'working', amount: 250 })]);
    expect((await h.stores.records.get(record.id))?.fields).toEqual(state.record.fields);
  });

  it('When a record that did not match on create is updated so that it matches, then its instance starts on the update', async () => {
    const type = uid('opp_upd');
    const def = autoPipeline(type, { filter: { op: 'eq', path: 'record.industry', value: 'retail' } });
    await publishPipeline(h, admin, def);
    const record = await create(sales, type, { fields: { title: 'Corner shop', industry: 'energy' } });
    expect(record.instances).toEqual([]);
    expect(await h.stores.instances.forRecord(record.id)).toEqual([]);

    const patched = await patch(sales, type, record.id, { industry: 'retail' });
    expect(patched.status).toBe(200);
    const instanceId = perRecord(def, type, record.id);
    const started = await projection(instanceId);
    expect(started).toMatchObject({ recordId: record.id, status: 'running', stage: 'open' });
    expect(await h.stores.instances.forRecord(record.id)).toHaveLength(1);
    const state = await view(sales, instanceId);
    expect(state.record.fields).toEqual({ title: 'Corner shop', industry: 'retail', stage: 'open' });
    expect(await h.stores.events.forInstance(instanceId)).toEqual([
      expect.objectContaining({ kind: 'started', to: 'open', actor: expect.objectContaining({ userId: sales.actor.userId }) }),
    ]);
    const read = await call(h, 'GET', `/v1/records/${type}/${record.id}`, { user: sales });
    expect(read.body.instances).toEqual([{ instanceId, stage: 'open', status: 'running' }]);
  });

  it('When a record with a running instance is updated so that it matches a second pipeline, then that pipeline starts too and the first keeps its stage', async () => {
    const type = uid('opp_two');
    const first = autoPipeline(type);
    const second = autoPipeline(type, { stageField: 'phase', filter: { op: 'eq', path: 'record.industry', value: 'retail' } });
    await publishPipeline(h, admin, first);
    await publishPipeline(h, admin, second);
    const record = await create(sales, type, { fields: { title: 'Two pipelines', industry: 'energy' } });
    expect(record.instances).toEqual([{ instanceId: perRecord(first, type, record.id), outcome: 'started' }]);

    const patched = await patch(sales, type, record.id, { industry: 'retail' });
    expect(patched.status).toBe(200);
    const started = await projection(perRecord(second, type, record.id));
    expect(started).toMatchObject({ status: 'running', stage: 'open' });
    const firstState = await view(sales, perRecord(first, type, record.id));
    expect(firstState.stage.key).toBe('open');
    expect(firstState.record.fields).toMatchObject({ industry: 'retail' });
    expect((await h.stores.records.get(record.id))?.fields).toMatchObject({ industry: 'retail', stage: 'open', phase: 'open' });
  });

  it('When the record of a finished instance is updated, then the update does not start the pipeline over, even with re-initiation on', async () => {
    const type = uid('opp_fin');
    const def = autoPipeline(type, { trigger: { onCreate: true, manual: true, reinitiate: true } });
    await publishPipeline(h, admin, def);
    const record = await create(sales, type, { fields: { title: 'Closed deal' } });
    const instanceId = perRecord(def, type, record.id);
    await projection(instanceId);
    const won = await move(sales, instanceId, { to: 'won' });
    expect(won.status).toBe(200);
    expect(won.body.status).toBe('finished');
    await eventually(async () => (await workflowStatus(h, instanceId)) === 'COMPLETED');
    const { runId } = await h.client.workflow.getHandle(instanceId).describe();

    const patched = await patch(sales, type, record.id, { notes: 'invoice sent' });
    expect(patched.status).toBe(200);
    expect(patched.body.fields).toEqual({ title: 'Closed deal', notes: 'invoice sent', stage: 'won' });
    expect(await h.client.workflow.getHandle(instanceId).describe()).toMatchObject({ runId, status: { name: 'COMPLETED' } });
    expect(await h.stores.instances.forRecord(record.id)).toEqual([expect.objectContaining({ instanceId, status: 'finished', stage: 'won' })]);
    expect((await h.stores.events.forInstance(instanceId)).map((e) => e.kind)).toEqual(['started', 'moved']);
    expect((await h.stores.records.get(record.id))?.fields.stage).toBe('won');
  });

  describe('multiple runs', () => {
    it('When multiple runs are off, then the first opportunity of a contact binds the instance and the second is ignored and recorded as such', async () => {
      const type = uid('opp_one');
      const def = autoPipeline(type, { multipleRuns: false });
      await publishPipeline(h, admin, def);
      const contact = await createRecord(h, sales, 'contact', { fields: { name: 'Ana Pop' } });
      const instanceId = perContact(def, contact.id);

      // Back to back, as a client creating two opportunities would.
      const first = await create(sales, type, { fields: { title: 'Service 1' }, contactId: contact.id });
      const second = await create(sales, type, { fields: { title: 'Service 2' }, contactId: contact.id });
      expect(first.instances).toEqual([{ instanceId, outcome: 'started' }]);
      expect(second.instances).toEqual([{ instanceId, outcome: 'ignored' }]);

      expect(await projection(instanceId)).toMatchObject({ recordId: first.id, contactId: contact.id, status: 'running' });
      expect(await h.stores.instances.forRecord(first.id)).toHaveLength(1);
      expect(await h.stores.instances.forRecord(second.id)).toEqual([]);
      // The API finds a record's instances from the ids they can have: the contact's instance belongs to the first only.
      const readFirst = await call(h, 'GET', `/v1/records/${type}/${first.id}`, { user: sales });
      expect(readFirst.body.instances).toEqual([{ instanceId, stage: 'open', status: 'running' }]);
      const readSecond = await call(h, 'GET', `/v1/records/${type}/${second.id}`, { user: sales });
      expect(readSecond.body.instances).toEqual([]);
      const ignored = await h.stores.events.forRecord(second.id);
      expect(ignored).toEqual([
        expect.objectContaining({
          kind: 'trigger_ignored',
          recordId: second.id,
          instanceId,
          pipelineKey: def.key,
          reason: expect.stringContaining(first.id),
          actor: expect.objectContaining({ userId: sales.actor.userId }),
        }),
      ]);
      const listed = await call(h, 'GET', `/v1/records/${type}/${second.id}/events`, { user: sales });
      expect(listed.status).toBe(200);
      expect(listed.body.items).toEqual([expect.objectContaining({ kind: 'trigger_ignored', recordId: second.id, instanceId })]);
      expect((await view(sales, instanceId)).record).toMatchObject({ id: first.id, fields: { title: 'Service 1', stage: 'open' } });

      // The bound record's updates reach the instance; the other record's do not.
      expect((await patch(sales, type, first.id, { title: 'Service 1, updated' })).status).toBe(200);
      expect((await view(sales, instanceId)).record).toMatchObject({ id: first.id, fields: { title: 'Service 1, updated', stage: 'open' } });
      expect((await patch(sales, type, second.id, { title: 'Service 2, updated' })).status).toBe(200);
      expect((await view(sales, instanceId)).record).toMatchObject({ id: first.id, fields: { title: 'Service 1, updated', stage: 'open' } });
      expect(await h.stores.instances.forRecord(second.id)).toEqual([]);
      expect((await h.stores.records.get(second.id))?.fields).toEqual({ title: 'Service 2, updated' });
      expect((await h.stores.events.forRecord(second.id)).map((e) => e.kind)).toEqual(['trigger_ignored', 'trigger_ignored']);
      expect((await h.stores.events.forInstance(instanceId)).filter((e) => e.kind === 'started')).toHaveLength(1);
      expect(await listWorkflows(h, `WorkflowType='pipelineInstance' AND TaskQueue='${h.taskQueue}' AND PipelineKey='${def.key}'`)).toHaveLength(1);
    });

    it('When two opportunities of one contact are created at the same moment with multiple runs off, then one binds the instance and the other is ignored', async () => {
      const type = uid('opp_two');
      const def = autoPipeline(type, { multipleRuns: false });
      await publishPipeline(h, admin, def);
      for (let round = 0; round < 3; round++) {
        const contact = await createRecord(h, sales, 'contact', { fields: { name: `Twin ${round}` } });
        const instanceId = perContact(def, contact.id);
        const both = await Promise.all(
          ['A', 'B'].map((title) => create(sales, type, { fields: { title }, contactId: contact.id })),
        );
        const outcomes = both.map((r) => r.instances.map((i) => [i.instanceId, i.outcome]));
        expect(outcomes.flat().sort()).toEqual([
          [instanceId, 'ignored'],
          [instanceId, 'started'],
        ]);
        const bound = both.find((r) => r.instances[0]?.outcome === 'started')!;
        const other = both.find((r) => r !== bound)!;
        expect(await projection(instanceId)).toMatchObject({ recordId: bound.id });
        const state = await view(sales, instanceId);
        expect(state.record).toMatchObject({ id: bound.id, fields: { title: bound.fields.title, stage: 'open' } });
        expect(await h.stores.events.forRecord(other.id)).toEqual([expect.objectContaining({ kind: 'trigger_ignored', recordId: other.id })]);
        // The instance writes only its own record.
        expect((await patch(sales, type, bound.id, { note: 'bound' })).status).toBe(200);
        expect((await h.stores.records.get(other.id))?.fields).toEqual({ title: other.fields.title });
        expect((await h.stores.records.get(bound.id))?.fields).toEqual({ title: bound.fields.title, note: 'bound', stage: 'open' });
      }
    });

    it('When multiple runs are on, then every opportunity of one contact runs its own instance', async () => {
      const type = uid('opp_many');
      const def = autoPipeline(type, { multipleRuns: true });
      await publishPipeline(h, admin, def);
      const contact = await createRecord(h, sales, 'contact', { fields: { name: 'Dan Ionescu' } });

      const first = await create(sales, type, { fields: { title: 'Service 1' }, contactId: contact.id });
      const second = await create(sales, type, { fields: { title: 'Service 2' }, contactId: contact.id });
      for (const record of [first, second]) {
        const instanceId = perRecord(def, type, record.id);
        expect(record.instances).toEqual([{ instanceId, outcome: 'started' }]);
        expect(await projection(instanceId)).toMatchObject({ recordId: record.id, contactId: contact.id, status: 'running' });
        expect(await h.stores.instances.forRecord(record.id)).toHaveLength(1);
        expect((await view(sales, instanceId)).record.id).toBe(record.id);
      }
      expect(await h.stores.events.forRecord(second.id)).toEqual([expect.objectContaining({ kind: 'started', recordId: second.id })]);
    });

    it('When a pipeline was stored before the multiple-runs toggle existed, then it reads as off: one instance per contact', async () => {
      const type = uid('opp_old');
      const def = autoPipeline(type, { multipleRuns: true });
      await publishPipeline(h, admin, def);
      // As an older release stored it: no multipleRuns anywhere.
      await h.db.collection<RawDoc>(COLLECTIONS.pipelines).updateOne({ companyId: company, key: def.key }, { $unset: { 'draft.multipleRuns': '' } });
      await h.db.collection<RawDoc>(COLLECTIONS.pipelineVersions).updateMany({ pipelineKey: def.key }, { $unset: { 'definition.multipleRuns': '' } });
      expect(await h.db.collection<RawDoc>(COLLECTIONS.pipelines).findOne({ companyId: company, key: def.key })).not.toHaveProperty('draft.multipleRuns');
      const versions = await h.db.collection<RawDoc>(COLLECTIONS.pipelineVersions).find({ pipelineKey: def.key }).toArray();
      expect(versions).toHaveLength(1);
      expect(versions[0]).not.toHaveProperty('definition.multipleRuns');
      const read = await call(h, 'GET', `/v1/pipelines/${def.key}`, { user: admin });
      expect(read.body.draft.multipleRuns).toBe(false);

      const contact = await createRecord(h, sales, 'contact', { fields: { name: 'Old Timer' } });
      const instanceId = perContact(def, contact.id);
      const first = await create(sales, type, { fields: { title: 'First' }, contactId: contact.id });
      const second = await create(sales, type, { fields: { title: 'Second' }, contactId: contact.id });
      expect(first.instances).toEqual([{ instanceId, outcome: 'started' }]);
      expect(second.instances).toEqual([{ instanceId, outcome: 'ignored' }]);
      expect(await projection(instanceId)).toMatchObject({ recordId: first.id });
      expect(await h.stores.instances.forRecord(second.id)).toEqual([]);
      expect(await listWorkflows(h, `WorkflowType='pipelineInstance' AND TaskQueue='${h.taskQueue}' AND PipelineKey='${def.key}'`)).toHaveLength(1);
    });

    it("When opportunities of a contact are updated and moved, then the contact's own document stays byte for byte the same", async () => {
      const type = uid('opp_ct');
      const def = autoPipeline(type, { multipleRuns: false });
      await publishPipeline(h, admin, def);
      const contact = await createRecord(h, sales, 'contact', {
        fields: { name: 'Ion Popescu', email: 'ion@example.test', phone: '+40 700 000 000', title: 'CTO' },
      });
      const contacts = h.db.collection<RawDoc>(COLLECTIONS.records);
      const before = await contacts.findOne({ _id: contact.id });
      expect(before).not.toBeNull();

      const bound = await create(sales, type, { fields: { title: 'Deal', email: 'deal@example.test' }, contactId: contact.id });
      const instanceId = perContact(def, contact.id);
      await projection(instanceId);
      const other = await create(sales, type, { fields: { title: 'Other deal' }, contactId: contact.id });
      // Field names the contact also has: only the opportunity's copy may change.
      expect((await patch(sales, type, bound.id, { title: 'Renamed deal', name: 'Renamed', email: 'other@example.test', phone: '1' })).status).toBe(200);
      expect((await move(sales, instanceId, { to: 'working', fields: { title: 'Moved deal' } })).status).toBe(200);
      expect((await patch(sales, type, other.id, { title: 'Other, renamed', name: 'Nobody' })).status).toBe(200);

      const after = await contacts.findOne({ _id: contact.id });
      expect(Buffer.compare(Buffer.from(BSON.serialize(after!)), Buffer.from(BSON.serialize(before!)))).toBe(0);
      expect(after).toEqual(before);
      expect((await h.stores.records.get(bound.id))?.fields).toEqual({
        title: 'Moved deal',
        name: 'Renamed',
        email: 'other@example.test',
        phone: '1',
        stage: 'working',
      });
    });
  });

  it("When two companies each publish a pipeline of the same key, then each record runs its own company's, and an SRE's CompanyId query finds exactly each company's instances", async () => {
    const type = uid('opp_tenant');
    const def = autoPipeline(type);
    await publishPipeline(h, admin, def);
    const otherCompany = uid('cmp');
    const otherAdmin = await seedUser(h, { companyId: otherCompany, roles: ['admin'] });
    const other = await seedUser(h, { companyId: otherCompany, roles: ['sales'] });
    const theirDef = await publishPipeline(h, otherAdmin, { ...def, name: 'Their things' });
    const ours = [await create(sales, type, { fields: { title: 'Ours 1' } }), await create(sales, type, { fields: { title: 'Ours 2' } })];
    const theirs = await create(other, type, { fields: { title: 'Theirs' } });
    const ids = (companyId: string, records: CreatedRecord[]) => records.map((r) => recordInstanceId(companyId, def.key, type, r.id)).sort();
    expect(theirs.instances).toEqual([{ instanceId: recordInstanceId(otherCompany, def.key, type, theirs.id), outcome: 'started' }]);
    expect((await projection(recordInstanceId(otherCompany, def.key, type, theirs.id))).pipelineName).toBe(theirDef.name);

    const byCompany = async (companyId: string) => {
      const found: string[] = [];
      for await (const wf of h.client.workflow.list({ query: `CompanyId='${companyId}' AND PipelineKey='${def.key}'` })) found.push(wf.workflowId);
      return found.sort();
    };
    expect(await eventually(async () => JSON.stringify(await byCompany(company)) === JSON.stringify(ids(company, ours)))).toBe(true);
    expect(await eventually(async () => JSON.stringify(await byCompany(otherCompany)) === JSON.stringify(ids(otherCompany, [theirs])))).toBe(true);
    const described = await h.client.workflow.getHandle(recordInstanceId(otherCompany, def.key, type, theirs.id)).describe();
    expect(described.searchAttributes).toMatchObject({ CompanyId: [otherCompany] });
  });

  describe('manual start', () => {
    it('When a user outside the scope starts a pipeline by hand, then 403 out_of_scope naming the scope and no instance; a user inside gets 201', async () => {
      const type = uid('opp_scope');
      const def = autoPipeline(type, { trigger: { onCreate: false, manual: true, reinitiate: false }, scope: { departments: ['Sales'] } });
      await publishPipeline(h, admin, def);
      const record = await createRecord(h, support, type, { fields: { title: 'Support ticket upsell' } });
      const instanceId = perRecord(def, type, record.id);

      const refused = await startInstance(h, support, def.key, record.id);
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('out_of_scope');
      expect(refused.body.error.message).toMatch(/departments Sales/);
      expect(await h.stores.instances.forRecord(record.id)).toEqual([]);
      expect(await h.stores.events.forRecord(record.id)).toEqual([]);
      await expect(h.client.workflow.getHandle(instanceId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

      const started = await startInstance(h, sales, def.key, record.id);
      expect(started.status).toBe(201);
      expect(started.body).toMatchObject({ instanceId, status: 'running', stage: { key: 'open' } });
      expect(await h.stores.instances.forRecord(record.id)).toEqual([expect.objectContaining({ instanceId, status: 'running' })]);
    });

    it('When a record fails the filter, then a manual start is refused with 409 filter_not_matched naming the conditions, and nothing starts', async () => {
      const type = uid('opp_filt');
      const filter: Filter = { and: [{ op: 'gte', path: 'record.budget', value: 1000 }, { op: 'eq', path: 'user.attributes.region', value: 'EMEA' }] };
      const def = autoPipeline(type, { filter });
      await publishPipeline(h, admin, def);
      const record = await create(emea, type, { fields: { title: 'Small budget', budget: 10, secret: 'do-not-leak' } });
      expect(record.instances).toEqual([]);
      const instanceId = perRecord(def, type, record.id);

      const refused = await startInstance(h, emea, def.key, record.id);
      expect(refused.status).toBe(409);
      // The answer names the condition, never the record's value nor the filter's.
      expect(refused.body.error).toEqual({
        code: 'filter_not_matched',
        message: `the record does not match the filter of ${def.name}: record.budget gte`,
        details: { failed: [{ path: 'record.budget', op: 'gte' }] },
        requestId: expect.any(String),
      });
      expect(await h.stores.instances.forRecord(record.id)).toEqual([]);
      expect(await h.stores.events.forRecord(record.id)).toEqual([]);
      await expect(h.client.workflow.getHandle(instanceId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
      expect((await h.stores.records.get(record.id))?.fields).toEqual({ title: 'Small budget', budget: 10, secret: 'do-not-leak' });

      // The filter looks at who starts it too: APAC fails both conditions on the same record once the budget is raised for EMEA.
      expect((await patch(emea, type, record.id, { budget: 5000 })).status).toBe(200);
      await eventually(async () => (await h.stores.instances.forRecord(record.id)).length === 1);
      const other = autoPipeline(type, { stageField: 'phase', filter, trigger: { onCreate: false, manual: true, reinitiate: false } });
      await publishPipeline(h, admin, other);
      const byApac = await startInstance(h, apac, other.key, record.id);
      expect(byApac.status).toBe(409);
      expect(byApac.body.error.details).toEqual({ failed: [{ path: 'user.attributes.region', op: 'eq' }] });
      const byEmea = await startInstance(h, emea, other.key, record.id);
      expect(byEmea.status).toBe(201);
      expect(byEmea.body).toMatchObject({ instanceId: perRecord(other, type, record.id), status: 'running', stage: { key: 'open' } });
    });

    it('When a finished instance\'s record no longer matches the filter, then its re-initiation is refused with 409 filter_not_matched and its one run stays', async () => {
      const type = uid('opp_refilt');
      const def = autoPipeline(type, {
        trigger: { onCreate: false, manual: true, reinitiate: true },
        filter: { op: 'in', path: 'record.industry', value: ['energy', 'retail'] },
      });
      await publishPipeline(h, admin, def);
      const record = await createRecord(h, sales, type, { fields: { title: 'Refit', industry: 'energy' } });
      const first = await startInstance(h, sales, def.key, record.id);
      expect(first.status).toBe(201);
      const instanceId = first.body.instanceId as string;
      expect((await move(sales, instanceId, { to: 'won' })).status).toBe(200);
      await eventually(async () => (await workflowStatus(h, instanceId)) === 'COMPLETED');
      const { runId } = await h.client.workflow.getHandle(instanceId).describe();
      expect((await patch(sales, type, record.id, { industry: 'mining' })).status).toBe(200);

      const again = await startInstance(h, sales, def.key, record.id);
      expect(again.status).toBe(409);
      expect(again.body.error).toMatchObject({ code: 'filter_not_matched', details: { failed: [{ path: 'record.industry', op: 'in' }] } });
      expect(await h.client.workflow.getHandle(instanceId).describe()).toMatchObject({ runId, status: { name: 'COMPLETED' } });
      expect((await h.stores.events.forInstance(instanceId)).map((e) => e.kind)).toEqual(['started', 'moved']);
      expect(await h.stores.instances.get(instanceId)).toMatchObject({ status: 'finished', stage: 'won' });
    });

    async function finishedInstance(reinitiate: boolean) {
      const type = uid('opp_again');
      const def = autoPipeline(type, { trigger: { onCreate: false, manual: true, reinitiate } });
      await publishPipeline(h, admin, def);
      const record = await createRecord(h, sales, type, { fields: { title: 'Once more' } });
      const first = await startInstance(h, sales, def.key, record.id);
      expect(first.status).toBe(201);
      const instanceId = first.body.instanceId as string;
      const won = await move(sales, instanceId, { to: 'won' });
      expect(won.status).toBe(200);
      expect(won.body.status).toBe('finished');
      await eventually(async () => (await workflowStatus(h, instanceId)) === 'COMPLETED');
      const { runId } = await h.client.workflow.getHandle(instanceId).describe();
      return { def, record, instanceId, runId };
    }

    it('When re-initiation is off, then starting a finished instance again is refused with 409 and its one run stays', async () => {
      const { def, record, instanceId, runId } = await finishedInstance(false);
      const again = await startInstance(h, sales, def.key, record.id);
      expect(again.status).toBe(409);
      expect(again.body.error).toMatchObject({ code: 'reinitiation_disabled', message: expect.stringMatching(/finished instance again/) });
      expect(await h.client.workflow.getHandle(instanceId).describe()).toMatchObject({ runId, status: { name: 'COMPLETED' } });
      expect((await h.stores.events.forInstance(instanceId)).map((e) => e.kind)).toEqual(['started', 'moved']);
      expect(await h.stores.instances.get(instanceId)).toMatchObject({ status: 'finished', stage: 'won' });
    });

    it('When re-initiation is on, then a finished instance starts again as a new run under the same readable id, and both runs keep their history', async () => {
      const { def, record, instanceId, runId } = await finishedInstance(true);
      const again = await startInstance(h, sales, def.key, record.id);
      expect(again.status).toBe(201);
      expect(again.body).toMatchObject({ instanceId, status: 'running', stage: { key: 'open' } });
      expect(again.body.history.map((v: { stage: string }) => v.stage)).toEqual(['open']);

      const described = await h.client.workflow.getHandle(instanceId).describe();
      expect(described.status.name).toBe('RUNNING');
      expect(described.runId).not.toBe(runId);
      const runs = await eventually(async () => {
        const found = await listWorkflows(h, `WorkflowId='${instanceId}'`);
        return found.length === 2 && found;
      });
      expect(runs.map((r) => r.runId).sort()).toEqual([runId, described.runId].sort());
      expect(runs.find((r) => r.runId === runId)?.status.name).toBe('COMPLETED');

      const events = await h.stores.events.forInstance(instanceId);
      expect(events.map((e) => [e.kind, e.to])).toEqual([
        ['started', 'open'],
        ['moved', 'won'],
        ['started', 'open'],
      ]);
      expect(new Set(events.map((e) => e.eventId)).size).toBe(3);
      expect(await h.stores.instances.get(instanceId)).toMatchObject({ status: 'running', stage: 'open' });
      expect((await h.stores.records.get(record.id))?.fields.stage).toBe('open');
    });
  });
});

/** One POST sent with node:http, so the test knows when its bytes are on the wire. */
function sendCreate(url: string, user: TestUser, type: string, body: unknown) {
  const payload = JSON.stringify(body);
  let written!: () => void;
  let answered!: () => void;
  const sent = new Promise<void>((resolve) => (written = resolve));
  const firstByte = new Promise<void>((resolve) => (answered = resolve));
  const response = new Promise<{ status: number; body: string } | Error>((resolve) => {
    const req = http.request(
      `${url}/v1/records/${type}`,
      { method: 'POST', agent: false, headers: { ...user.headers, 'content-length': String(Buffer.byteLength(payload)) } },
      (res) => {
        answered();
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', resolve);
      },
    );
    req.on('finish', written);
    req.on('error', (err) => {
      written();
      resolve(err);
    });
    req.end(payload);
  });
  return { sent, firstByte, response };
}

describe('a trigger survives the death of the API', () => {
  let h: Harness;
  let admin: TestUser;
  let sales: TestUser;

  const company = uid('cmp');
  const perRecord = (def: PipelineDefinition, type: string, recordId: string) => recordInstanceId(company, def.key, type, recordId);

  beforeAll(async () => {
    h = await startHarness({ worker: false });
    admin = await seedUser(h, { companyId: company, roles: ['admin'] });
    sales = await seedUser(h, { companyId: company, roles: ['sales'], department: 'Sales' });
  });
  afterAll(async () => h?.stop());

  /**
   * A record matching one pipeline is written by its instance's first step; one
   * matching two, by the record trigger that starts both. Either way, the one
   * durable workflow the API started holds the record until a worker runs it.
   */
  const paths = [
    ['one pipeline (the instance writes the record)', 1],
    ['two pipelines (the record trigger writes it)', 2],
  ] as const;

  /** The durable workflow a create of `type` started: its id, and the id of the record it will write. */
  async function pendingCreate(type: string, pipelines: PipelineDefinition[]): Promise<{ workflowId: string; recordId: string }> {
    if (pipelines.length === 1) {
      const prefix = recordInstanceId(company, pipelines[0]!.key, type, '');
      const instance = await eventually(async () => {
        const running = await listWorkflows(h, `WorkflowType='pipelineInstance' AND ExecutionStatus='Running' AND TaskQueue='${h.taskQueue}'`);
        return running.find((w) => w.workflowId.startsWith(prefix));
      });
      return { workflowId: instance.workflowId, recordId: instance.workflowId.slice(prefix.length) };
    }
    const trigger = await eventually(async () => {
      const running = await listWorkflows(h, `WorkflowType='recordTrigger' AND ExecutionStatus='Running' AND TaskQueue='${h.taskQueue}'`);
      return running.sort((a, b) => b.startTime.getTime() - a.startTime.getTime())[0];
    });
    const match = /^trigger:(.+):created$/.exec(trigger.workflowId);
    expect(match).not.toBeNull();
    return { workflowId: trigger.workflowId, recordId: match![1]! };
  }

  it.each(paths)('When the API is killed after it started the create of a record matching %s that no worker has run yet, then a worker started later writes the record and starts its instances', async (_path, count) => {
    const type = uid('opp_kill');
    // Each on a stage field of its own: one enabled pipeline per type and field.
    const defs = Array.from({ length: count }, (_, i) => autoPipeline(type, { stageField: i === 0 ? 'stage' : `stage${i + 1}` }));
    for (const def of defs) await publishPipeline(h, admin, def);

    const api = await spawnApi(h);
    let pending: { workflowId: string; recordId: string };
    try {
      const request = sendCreate(api.url, sales, type, { fields: { title: 'Survivor' } });
      pending = await pendingCreate(type, defs);
      expect(await workflowStatus(h, pending.workflowId)).toBe('RUNNING');

      await api.kill();
      // The client sees the connection drop (an error from node:http, not an HTTP answer).
      expect(await request.response).toMatchObject({ code: 'ECONNRESET' });
      // No worker has run anything: the workflow is all there is, held by Temporal.
      expect(await h.stores.records.get(pending.recordId)).toBeUndefined();
    } finally {
      await api.kill();
    }

    const { recordId } = pending;
    const worker = await startWorker(h);
    try {
      const record = await eventually(async () => (await h.stores.records.get(recordId)) ?? false);
      expect(record).toMatchObject({ id: recordId, type, ownerId: sales.actor.userId, fields: { title: 'Survivor' } });
      for (const def of defs) {
        const instanceId = perRecord(def, type, recordId);
        const instance = await eventually(async () => {
          const found = await h.stores.instances.get(instanceId);
          return found?.status === 'running' && found;
        });
        expect(instance).toMatchObject({ recordId, stage: 'open' });
        expect(await workflowStatus(h, instanceId)).toBe('RUNNING');
      }
      if (count > 1) {
        const outcome = await h.client.workflow.getHandle(`trigger:${recordId}:created`).result();
        expect(outcome).toEqual(defs.map((def) => ({ instanceId: perRecord(def, type, recordId), outcome: 'started' })));
      }
      expect((await h.stores.records.get(recordId))?.fields.stage).toBe('open');
      // Written once, by the first step: the audit trail holds one start per instance and nothing else.
      expect((await h.stores.events.forRecord(recordId)).map((e) => e.kind)).toEqual(defs.map(() => 'started'));
    } finally {
      await worker.stop();
    }
  });

  it.each([
    ['right after the requests are sent', 'sent'],
    ['as soon as the first answer arrives', 'answered'],
  ] as const)('When the API is killed %s, then every record it wrote has its instance', async (_when, moment) => {
    const type = uid('opp_race');
    const def = autoPipeline(type);
    await publishPipeline(h, admin, def);
    const worker = await startWorker(h);
    try {
      const api = await spawnApi(h);
      let answers: Array<{ status: number; body: string } | Error>;
      try {
        const requests = Array.from({ length: 6 }, (_, i) => sendCreate(api.url, sales, type, { fields: { title: `Race ${i}` } }));
        await Promise.all(requests.map((r) => r.sent));
        if (moment === 'answered') await Promise.race(requests.map((r) => r.firstByte));
        await api.kill();
        answers = await Promise.all(requests.map((r) => r.response));
      } finally {
        await api.kill();
      }

      const confirmed = answers
        .filter((a): a is { status: number; body: string } => 'status' in a && a.status === 201)
        .map((a) => (JSON.parse(a.body) as { id: string }).id);
      // One pipeline: each create is one instance workflow, whose first step writes the record.
      const prefix = recordInstanceId(company, def.key, type, '');
      const settled = await eventually(async () => {
        const started = (await listWorkflows(h, `WorkflowType='pipelineInstance' AND TaskQueue='${h.taskQueue}'`)).filter((w) =>
          w.workflowId.startsWith(prefix),
        );
        const ofType = await h.db.collection<RawDoc>(COLLECTIONS.records).find({ type }).toArray();
        const records = ofType.map((r) => String(r._id));
        if (!confirmed.every((id) => records.includes(id))) return false;
        const instances = await Promise.all(started.map((w) => h.stores.instances.get(w.workflowId)));
        if (!instances.every((i) => i?.status === 'running')) return false;
        return { records, instanceRecords: started.map((w) => w.workflowId.slice(prefix.length)) };
      });
      // Every create Temporal accepted wrote its record; the rest never reached Temporal and wrote nothing.
      expect([...settled.instanceRecords].sort()).toEqual([...settled.records].sort());
      for (const id of settled.records) {
        expect(await h.stores.instances.forRecord(id)).toEqual([expect.objectContaining({ instanceId: perRecord(def, type, id), status: 'running' })]);
        expect((await h.stores.events.forRecord(id)).map((e) => e.kind)).toEqual(['started']);
      }
    } finally {
      await worker.stop();
    }
  });
});
