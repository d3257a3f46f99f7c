import type { DeadlineDef, PipelineDefinition } from '../../workflows/domain/types';
import * as sa from '../../workflows/search-attributes';
import { call, seedUser, type TestUser } from '../support/auth';
import { uid } from '../support/factories';
import { eventually, startHarness, type Harness } from '../support/harness';
import { createRecord, instancePath, publishPipeline, startInstance } from '../support/pipelines';

/** Pending (with the given deadline) → Accepted → Expired (failure). */
function leadPipeline(deadline: DeadlineDef, overrides: Partial<PipelineDefinition> = {}): PipelineDefinition {
  return {
    key: uid('ddl'),
    name: 'Leads with deadlines',
    // A type of its own: only one enabled pipeline may hold a type's stage field.
    objectType: uid('lead'),
    stageField: 'stage',
    trigger: { onCreate: false, manual: true, reinitiate: false },
    multipleRuns: true,
    policy: { reversible: false, skippable: false, repeatable: false, reactivatable: false },
    stages: [
      { key: 'pending', name: 'Pending', type: 'normal', initial: true, deadline },
      { key: 'accepted', name: 'Accepted', type: 'normal' },
      { key: 'expired', name: 'Expired', type: 'failure' },
    ],
    ...overrides,
  };
}

const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
const HOUR = 3_600_000;
/** Generous: a deadline must fire, however busy the machine running the tests is. */
const FIRES_WITHIN = 20_000;

// jest reads testTimeout only from the root config, not from the integration project's.
jest.setTimeout(60_000);

describe('durable deadlines', () => {
  let h: Harness;
  let admin: TestUser;
  let sales: TestUser;
  const company = uid('cmp');

  beforeAll(async () => {
    h = await startHarness();
    admin = await seedUser(h, { companyId: company, roles: ['admin'] });
    sales = await seedUser(h, { companyId: company, roles: ['sales'] });
  });
  afterAll(async () => h?.stop());

  async function startLead(def: PipelineDefinition, fields: Record<string, unknown> = {}) {
    await publishPipeline(h, admin, def);
    return startOn(def, fields);
  }

  /** Creates the record and starts the instance of an already published pipeline. */
  async function startOn(def: PipelineDefinition, fields: Record<string, unknown>) {
    const record = await createRecord(h, sales, def.objectType, { fields: { title: 'A lead', ...fields } });
    const started = await startInstance(h, sales, def.key, record.id);
    expect(started.status).toBe(201);
    return { record, instanceId: started.body.instanceId as string, started: started.body };
  }

  const view = async (instanceId: string) => {
    const res = await call(h, 'GET', instancePath(instanceId), { user: sales });
    expect(res.status).toBe(200);
    return res.body;
  };
  const searchAttributes = async (instanceId: string) => (await h.client.workflow.getHandle(instanceId).describe()).typedSearchAttributes;
  const expiredView = (instanceId: string) =>
    eventually(async () => {
      const body = await view(instanceId);
      return body.stage.key === 'expired' && body;
    }, FIRES_WITHIN);
  const patchLead = (record: { id: string; type: string }, fields: Record<string, unknown>) =>
    call(h, 'PATCH', `/v1/records/${record.type}/${record.id}`, { user: sales, body: { fields } });

  it('When nobody acts on a stage with "after: 2s", then the system moves the instance to the deadline stage', async () => {
    const { record, instanceId, started } = await startLead(leadPipeline({ after: '2s', to: 'expired' }));
    expect(started.deadline).toEqual({
      at: new Date(Date.parse(started.stageEnteredAt) + 2_000).toISOString(),
      to: 'expired',
      toName: 'Expired',
      source: 'after',
    });
    const waiting = await searchAttributes(instanceId);
    expect(waiting.get(sa.DeadlineAt)?.toISOString()).toBe(started.deadline.at);
    expect(waiting.get(sa.Stage)).toBe('Pending');
    expect((await h.stores.instances.get(instanceId))?.deadline).toMatchObject({ at: started.deadline.at, to: 'expired' });

    const expired = await expiredView(instanceId);
    expect(expired).toMatchObject({ status: 'finished', stage: { key: 'expired', name: 'Expired', type: 'failure' }, deadline: null });
    expect((await h.stores.records.get(record.id))?.fields.stage).toBe('expired');

    const events = await h.stores.events.forInstance(instanceId);
    expect(events.map((e) => e.kind)).toEqual(['started', 'deadline_fired']);
    const fired = events[1]!;
    expect(fired).toMatchObject({ from: 'pending', to: 'expired', actor: { kind: 'system', userId: 'system' }, details: { deadlineAt: started.deadline.at } });
    expect(Date.parse(fired.at)).toBeGreaterThanOrEqual(Date.parse(started.deadline.at));

    const projection = await h.stores.instances.get(instanceId);
    expect(projection).toMatchObject({ stage: 'expired', stageType: 'failure', status: 'finished' });
    expect(projection?.deadline ?? undefined).toBeUndefined();
    await eventually(async () => {
      const attrs = await searchAttributes(instanceId);
      return attrs.get(sa.Stage) === 'Expired' && attrs.get(sa.StageType) === 'failure' && attrs.get(sa.DeadlineAt) === undefined;
    }, FIRES_WITHIN);
  });

  it('When the date field a deadline follows is moved earlier, then the deadline moves back with it and fires', async () => {
    const { record, instanceId, started } = await startLead(leadPipeline({ atField: 'expiresAt', to: 'expired' }), { expiresAt: inMs(HOUR) });
    expect(started.deadline).toMatchObject({ at: record.fields.expiresAt, to: 'expired', source: 'field' });
    expect((await view(instanceId)).deadline).toMatchObject({ at: record.fields.expiresAt, source: 'field' });

    const sooner = inMs(3_000);
    const patched = await patchLead(record, { expiresAt: sooner });
    expect(patched.status).toBe(200);
    expect(patched.body.fields).toMatchObject({ expiresAt: sooner, stage: 'pending' });
    expect((await view(instanceId)).deadline).toMatchObject({ at: sooner, to: 'expired', source: 'field' });

    const expired = await expiredView(instanceId);
    expect(expired.deadline).toBeNull();
    expect((await h.stores.records.get(record.id))?.fields).toMatchObject({ stage: 'expired', expiresAt: sooner });
    const events = await h.stores.events.forInstance(instanceId);
    expect(events.map((e) => e.kind)).toEqual(['started', 'record_updated', 'deadline_fired']);
    expect(events[2]).toMatchObject({ actor: { userId: 'system' }, details: { deadlineAt: sooner } });
    expect(Date.parse(events[2]!.at)).toBeGreaterThanOrEqual(Date.parse(sooner));
  });

  it('When the date field is moved later before the deadline passes, then the old deadline does not fire and the new one is shown', async () => {
    const def = leadPipeline({ atField: 'expiresAt', to: 'expired' });
    await publishPipeline(h, admin, def);
    const firstDeadline = inMs(2_000);
    const { record, instanceId, started } = await startOn(def, { expiresAt: firstDeadline });
    expect(started.deadline).toMatchObject({ at: firstDeadline, source: 'field' });

    const later = inMs(HOUR);
    const patched = await patchLead(record, { expiresAt: later });
    expect(patched.status).toBe(200);
    expect((await searchAttributes(instanceId)).get(sa.DeadlineAt)?.toISOString()).toBe(later);

    // The one fixed wait: proving that something does not happen needs the old deadline to be well past.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(firstDeadline) + 2_000 - Date.now())));

    const body = await view(instanceId);
    expect(body).toMatchObject({ status: 'running', stage: { key: 'pending' }, deadline: { at: later, to: 'expired', source: 'field' } });
    expect((await h.stores.records.get(record.id))?.fields).toMatchObject({ stage: 'pending', expiresAt: later });
    expect((await h.stores.events.forInstance(instanceId)).map((e) => e.kind)).toEqual(['started', 'record_updated']);
    expect((await h.stores.instances.get(instanceId))?.deadline).toMatchObject({ at: later });
  });

  it('When a move leaves the stage before its deadline, then the deadline is cancelled and the instance stays in the new stage', async () => {
    const { record, instanceId, started } = await startLead(leadPipeline({ after: '2s', to: 'expired' }));
    const moved = await call(h, 'POST', `${instancePath(instanceId)}/moves`, { user: sales, body: { to: 'accepted' } });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ stage: { key: 'accepted' }, deadline: null });
    expect((await searchAttributes(instanceId)).get(sa.DeadlineAt)).toBeUndefined();

    // A witness started after the move, with a longer deadline: once it has fired, the old deadline is long past.
    const witness = await startLead(leadPipeline({ after: '3s', to: 'expired' }));
    expect(Date.parse(witness.started.deadline.at)).toBeGreaterThan(Date.parse(started.deadline.at));
    await expiredView(witness.instanceId);

    expect(await view(instanceId)).toMatchObject({ status: 'running', stage: { key: 'accepted' }, deadline: null });
    expect((await h.stores.records.get(record.id))?.fields.stage).toBe('accepted');
    expect((await h.stores.events.forInstance(instanceId)).map((e) => e.kind)).toEqual(['started', 'moved']);
  });

  it('When a record runs two pipelines and its date field changes, then both instances move their deadline', async () => {
    const first = leadPipeline({ atField: 'expiresAt', to: 'expired' });
    const second = leadPipeline({ atField: 'expiresAt', to: 'expired' }, { objectType: first.objectType, stageField: 'followUp' });
    await publishPipeline(h, admin, first);
    await publishPipeline(h, admin, second);
    const record = await createRecord(h, sales, first.objectType, { fields: { title: 'Shared', expiresAt: inMs(HOUR) } });
    const ids: string[] = [];
    for (const def of [first, second]) {
      const started = await startInstance(h, sales, def.key, record.id);
      expect(started.status).toBe(201);
      ids.push(started.body.instanceId);
    }

    const later = inMs(2 * HOUR);
    expect((await patchLead(record, { expiresAt: later })).status).toBe(200);

    for (const id of ids) {
      const body = await eventually(async () => {
        const current = await view(id);
        return current.deadline?.at === later && current;
      }, FIRES_WITHIN);
      expect(body).toMatchObject({ stage: { key: 'pending' }, deadline: { at: later, source: 'field' } });
      await eventually(async () => (await searchAttributes(id)).get(sa.DeadlineAt)?.toISOString() === later, FIRES_WITHIN);
    }
  });
});
