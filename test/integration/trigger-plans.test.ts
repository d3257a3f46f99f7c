import crypto from 'node:crypto';
import type { CommandStartedEvent } from 'mongodb';
import { COLLECTIONS, createStores, ensureIndexes, inRevisionScope, type Stores, type StoredRecord } from '../../activities/store';
import { planTriggers } from '../../activities/triggers';
import { instanceIdFor, instanceIdsFor } from '../../workflows/domain';
import { opportunityPropulsionTemplate, OPPORTUNITY_KEY } from '../../workflows/domain/templates/opportunity-propulsion';
import { partnerLeadTemplate } from '../../workflows/domain/templates/partner-lead';
import type { Filter, PipelineDefinition } from '../../workflows/domain/types';
import { connectMongo, type MongoHandle } from '../../lib/mongo';
import { call } from '../support/auth';
import { seedDemo, type DemoWorld } from '../support/demo';
import { buildActor, buildRecord, uid } from '../support/factories';
import { eventually, startHarness, type Harness } from '../support/harness';
import { publishPipeline, testPipeline } from '../support/pipelines';
import { testStack } from '../support/stack';

/**
 * What planning a record's triggers reads, counted from the driver's command
 * events on the real database: an instance slot only where one can be taken,
 * an associated record only when a filter names it.
 */
const COMPANY = 'cmp_plans';

describe('trigger plans read only what can change them', () => {
  let mongo: MongoHandle;
  let stores: Stores;
  const reads = new Map<string, number>();
  const readsOf = (collection: string) => reads.get(collection) ?? 0;
  const actor = buildActor({ companyId: COMPANY });
  const now = () => new Date().toISOString();

  beforeAll(async () => {
    mongo = await connectMongo(testStack().mongoUri, `plans_${crypto.randomBytes(4).toString('hex')}`, { monitorCommands: true });
    mongo.client.on('commandStarted', (e) => {
      if (e.commandName === 'find') reads.set(String(e.command.find), readsOf(String(e.command.find)) + 1);
    });
    await ensureIndexes(mongo.db);
    stores = createStores(mongo.db);
  });
  afterAll(async () => {
    await mongo?.db.dropDatabase().catch(() => undefined);
    await mongo?.client.close();
  });

  async function publish(type: string, overrides: Partial<PipelineDefinition> = {}): Promise<PipelineDefinition> {
    const def = testPipeline(`Plans ${type}`, type, [{ key: 'open', name: 'Open', type: 'normal', initial: true }], {
      trigger: { onCreate: true, manual: true, reinitiate: false },
      ...overrides,
    });
    await stores.pipelines.createDraft(COMPANY, def, 'admin', now());
    await stores.pipelines.publish(COMPANY, def.key, 'admin', now());
    return def;
  }

  /** The plan, and the reads it made per collection. */
  async function plan(record: StoredRecord, fresh: boolean) {
    reads.clear();
    const actions = await inRevisionScope(() => planTriggers(stores, record, actor, { fresh }));
    return { actions, instanceReads: readsOf(COLLECTIONS.instances), recordReads: readsOf(COLLECTIONS.records) };
  }

  async function runningInstance(instanceId: string, def: PipelineDefinition, record: StoredRecord): Promise<void> {
    const at = now();
    await stores.instances.applyStep({
      instanceId,
      chainId: 'chain',
      recordId: record.id,
      pipeline: { companyId: COMPANY, key: def.key, version: 1 },
      def: { ...def, version: 1, publishedAt: at },
      change: { seq: 1, status: 'running', stage: 'open', stageEnteredAt: at, parties: { ownerId: record.ownerId, contactId: record.contactId } },
      at,
    });
  }

  it('When a record is fresh and its instance is keyed by it, then the plan starts it without looking for one; a record that is not fresh is looked up', async () => {
    const type = uid('item');
    const def = await publish(type);
    const record = buildRecord({ type, companyId: COMPANY });
    // An instance under the record's id, as a manual start would leave: only a lookup can see it.
    await runningInstance(instanceIdFor(def, record), def, record);

    const fresh = await plan(record, true);
    expect(fresh.actions).toEqual([expect.objectContaining({ action: 'start', instanceId: instanceIdFor(def, record) })]);
    expect(fresh.instanceReads).toBe(0);

    const known = await plan(record, false);
    expect(known.actions).toEqual([{ action: 'signal', instanceId: instanceIdFor(def, record), pipelineKey: def.key }]);
    expect(known.instanceReads).toBeGreaterThan(0);
  });

  it('When a fresh record has a contact whose instance runs on another record, then the plan still looks and ignores the trigger', async () => {
    const type = uid('item');
    const def = await publish(type, { multipleRuns: false });
    const contactId = uid('con');
    const first = buildRecord({ type, companyId: COMPANY, contactId });
    await runningInstance(instanceIdFor(def, first), def, first);
    const second = buildRecord({ type, companyId: COMPANY, contactId });

    const { actions, instanceReads } = await plan(second, true);
    expect(actions).toEqual([
      expect.objectContaining({ action: 'ignored', instanceId: instanceIdFor(def, second), reason: `contact instance is bound to record ${first.id}` }),
    ]);
    expect(instanceReads).toBeGreaterThan(0);
  });

  it('When no filter names an associated record, then it is not read; when one does, it is read and decides the plan', async () => {
    const lead = buildRecord({ type: 'lead', companyId: COMPANY, fields: { industry: 'energy' } });
    await stores.records.insert(lead);
    const unfiltered = uid('opp');
    await publish(unfiltered);
    const opportunity = (type: string) => buildRecord({ type, companyId: COMPANY, fields: { sourceLeadId: lead.id } });

    const plain = await plan(opportunity(unfiltered), true);
    expect(plain.actions).toHaveLength(1);
    expect(plain.recordReads).toBe(0);

    const byIndustry = (industry: string): Filter => ({ path: 'sourceLead.industry', op: 'eq', value: industry });
    const energy = uid('opp');
    await publish(energy, { filter: byIndustry('energy') });
    const matched = await plan(opportunity(energy), true);
    expect(matched.actions).toEqual([expect.objectContaining({ action: 'start' })]);
    expect(matched.recordReads).toBe(1);

    const utilities = uid('opp');
    await publish(utilities, { filter: byIndustry('utilities') });
    const unmatched = await plan(opportunity(utilities), true);
    expect(unmatched.actions).toEqual([]);
    expect(unmatched.recordReads).toBe(1);
  });
});

/**
 * The same through the API and the worker on the real dev server: a lead's
 * create and the opportunity its conversion creates never look for an
 * instance under the new record's id (in either id form).
 */
describe('a lead lifecycle looks up no instance of a record it just made', () => {
  let h: Harness;
  let demo: DemoWorld;
  const instanceReads: unknown[] = [];
  // Lookups, not the step's own check of the view it is about to write (the sequence it stands at).
  const onCommand = (e: CommandStartedEvent) => {
    const mark = JSON.stringify(e.command.projection) === JSON.stringify({ seq: 1, chainId: 1, view: 1 });
    if (e.commandName === 'find' && e.command.find === COLLECTIONS.instances && !mark) instanceReads.push((e.command.filter as { _id?: unknown })?._id);
  };
  const leadKey = 'partner-lead';

  beforeAll(async () => {
    h = await startHarness({ onCommand });
    demo = await seedDemo(h);
    await publishPipeline(h, demo.users.admin, partnerLeadTemplate({ key: leadKey, acceptWithin: '1h', convertWithin: '1h' }));
    await publishPipeline(h, demo.users.admin, opportunityPropulsionTemplate());
  });
  afterAll(async () => {
    demo?.cleanup();
    await h?.stop();
  });

  const idsOf = (key: string, type: string, id: string) =>
    instanceIdsFor({ key, multipleRuns: true }, { id, type, companyId: demo.companies.owner });

  it('When sales creates a lead and the partner converts it, then neither the lead nor the new opportunity is looked up under its own instance ids, and both run', async () => {
    const created = await call(h, 'POST', '/v1/records/lead', {
      user: demo.users.sales,
      body: { fields: { title: `Lead ${uid('t')}`, amount: 1_000 }, partnerCompanyId: demo.companies.partnerA },
    });
    expect(created.status).toBe(201);
    const leadIds = idsOf(leadKey, 'lead', created.body.id);
    expect(created.body.instances).toEqual([{ instanceId: leadIds[0], outcome: 'started' }]);
    expect(instanceReads.filter((id) => leadIds.includes(id as string))).toEqual([]);

    const act = (action: string, body: unknown = {}) => call(h, 'POST', `/v1/leads/${created.body.id}/${action}`, { user: demo.users.partnerA_user, body });
    expect((await act('accept')).status).toBe(200);
    instanceReads.length = 0;
    const converted = await act('convert', { opportunity: { fields: {} } });
    expect(converted.status).toBe(200);
    const oppIds = idsOf(OPPORTUNITY_KEY, 'opportunity', converted.body.record.fields.opportunityId as string);
    // The step planned the opportunity's triggers before answering; its instance starts a moment after (this test's reads follow).
    expect(instanceReads.filter((id) => oppIds.includes(id as string))).toEqual([]);
    expect(await eventually(async () => (await h.stores.instances.get(oppIds[0]))?.status === 'running')).toBe(true);
  });
});
