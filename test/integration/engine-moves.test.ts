import { opaqueInstanceId } from '../../api/params';
import type { PipelineDefinition } from '../../workflows/domain/types';
import { call, seedUser, type TestUser } from '../support/auth';
import { uid } from '../support/factories';
import { startHarness, type Harness } from '../support/harness';
import { createRecord, instancePath, publishPipeline, startInstance, recordInstanceId } from '../support/pipelines';

/** Qualify → Propose (needs amount) → Negotiate (managers only) → Won | Lost (needs a reason). */
function dealPipeline(overrides: Partial<PipelineDefinition> = {}): PipelineDefinition {
  return {
    key: uid('deal'),
    name: 'Deals',
    // A type of its own: only one enabled pipeline may hold a type's stage field.
    objectType: uid('opp'),
    stageField: 'stage',
    trigger: { onCreate: false, manual: true, reinitiate: false },
    multipleRuns: true,
    policy: { reversible: false, skippable: false, repeatable: false, reactivatable: false },
    stages: [
      { key: 'qualify', name: 'Qualify', type: 'normal', initial: true, winRate: 10 },
      { key: 'propose', name: 'Propose', type: 'normal', winRate: 50, rules: { requiredFields: ['amount'] } },
      {
        key: 'negotiate',
        name: 'Negotiate',
        type: 'normal',
        winRate: 70,
        rules: { enter: { roles: ['manager'] } },
        effects: { setFields: [{ field: 'negotiatedBy', value: { kind: 'actor' } }, { field: 'negotiationStartedAt', value: { kind: 'now' } }] },
      },
      { key: 'won', name: 'Won', type: 'success', winRate: 100 },
      { key: 'lost', name: 'Lost', type: 'failure', winRate: 0, rules: { requireReason: true } },
    ],
    ...overrides,
  };
}

describe('stage moves through the HTTP API', () => {
  let h: Harness;
  let admin: TestUser;
  let sales: TestUser;
  let manager: TestUser;
  const company = uid('cmp');

  beforeAll(async () => {
    h = await startHarness();
    admin = await seedUser(h, { companyId: company, roles: ['admin'] });
    sales = await seedUser(h, { companyId: company, roles: ['sales'] });
    manager = await seedUser(h, { companyId: company, roles: ['manager'] });
  });
  afterAll(async () => h?.stop());

  async function startDeal(def = dealPipeline()) {
    await publishPipeline(h, admin, def);
    const record = await createRecord(h, sales, def.objectType, { fields: { title: 'Big deal' } });
    const started = await startInstance(h, sales, def.key, record.id);
    expect(started.status).toBe(201);
    return { def, record, instanceId: started.body.instanceId as string, started };
  }

  const move = (user: TestUser, instanceId: string, body: unknown, headers?: Record<string, string>) =>
    call(h, 'POST', `${instancePath(instanceId)}/moves`, { user, body, headers });

  it('When an instance starts, then it is in the initial stage with the readable id and the caller sees its allowed moves', async () => {
    const { def, record, instanceId, started } = await startDeal();
    expect(instanceId).toBe(recordInstanceId(company, def.key, def.objectType, record.id));
    expect(started.body).toMatchObject({ status: 'running', stage: { key: 'qualify', name: 'Qualify' }, pipeline: { version: 1 } });
    expect(started.body.allowedMoves.map((m: { key: string }) => m.key)).toEqual(['propose', 'won', 'lost']);

    const managerView = await call(h, 'GET', instancePath(instanceId), { user: manager });
    expect(managerView.status).toBe(200);
    expect(managerView.body.history).toEqual([expect.objectContaining({ stage: 'qualify', stageName: 'Qualify', durationMs: expect.any(Number) })]);

    const stored = await h.stores.records.get(record.id);
    expect(stored?.fields.stage).toBe('qualify');
    const listed = await call(h, 'GET', `/v1/instances?pipelineKey=${def.key}&stage=qualify`, { user: sales });
    expect(listed.body.items.map((i: { instanceId: string }) => i.instanceId)).toEqual([instanceId]);
  });

  it('When a move is accepted, then the record, the events and the state follow; effects set "now" and "the acting user"', async () => {
    const { def, record, instanceId } = await startDeal();
    const proposed = await move(sales, instanceId, { to: 'propose', fields: { amount: 5000 } });
    expect(proposed.status).toBe(200);
    expect(proposed.body).toMatchObject({ stage: { key: 'propose' }, record: { fields: { amount: 5000, stage: 'propose' } } });

    const negotiated = await move(manager, instanceId, { to: 'negotiate' });
    expect(negotiated.status).toBe(200);
    const stored = await h.stores.records.get(record.id);
    expect(stored?.fields).toMatchObject({ stage: 'negotiate', amount: 5000, negotiatedBy: manager.actor.userId });
    expect(Date.parse(String(stored?.fields.negotiationStartedAt))).toBeGreaterThan(Date.now() - 60_000);

    const events = await call(h, 'GET', `${instancePath(instanceId)}/events`, { user: sales });
    expect(events.body.items.map((e: any) => [e.kind, e.from ?? null, e.to, e.actor.userId])).toEqual([
      ['started', null, 'qualify', sales.actor.userId],
      ['moved', 'qualify', 'propose', sales.actor.userId],
      ['moved', 'propose', 'negotiate', manager.actor.userId],
    ]);
    const recordEvents = await call(h, 'GET', `/v1/records/${def.objectType}/${record.id}/events`, { user: sales });
    expect(recordEvents.body.items).toHaveLength(3);
  });

  /** What each refusal names, for a program to act on. */
  const REFUSAL_DETAILS: Record<string, unknown> = {
    missing_fields: { stage: 'propose', fields: ['amount'] },
    not_skippable: { from: 'qualify', to: 'negotiate' },
    reason_required: { stage: 'lost' },
    unknown_stage: { stage: 'nowhere', stages: expect.arrayContaining(['qualify', 'propose', 'negotiate', 'lost']) },
  };

  it.each([
    ['a missing required field', 'sales', { to: 'propose' }, 'missing_fields', /amount/],
    ['a skipped stage when skipping is off', 'sales', { to: 'negotiate' }, 'not_skippable', /skip/i],
    ['an outcome stage without its reason', 'sales', { to: 'lost' }, 'reason_required', /reason/i],
    ['an unknown stage', 'sales', { to: 'nowhere' }, 'unknown_stage', /nowhere/],
  ])('When a move has %s, then it is refused with 409 (422 for a stage the pipeline lacks), its details, and nothing changes', async (_case, who, body, code, message) => {
    const { record, instanceId } = await startDeal();
    const before = await h.stores.records.get(record.id);
    const refused = await move(who === 'sales' ? sales : manager, instanceId, body);
    expect(refused.status).toBe(code === 'unknown_stage' ? 422 : 409);
    expect(refused.body.error.details).toEqual(REFUSAL_DETAILS[code]);
    expect(refused.body.error.code).toBe(code);
    expect(refused.body.error.message).toMatch(message);
    expect(await h.stores.records.get(record.id)).toEqual(before);
    expect(await h.stores.events.forInstance(instanceId)).toHaveLength(1);
    expect((await call(h, 'GET', instancePath(instanceId), { user: sales })).body.stage.key).toBe('qualify');
  });

  it('When a user without the role moves into a guarded stage, then 409 not_allowed and the stage stays', async () => {
    const { instanceId } = await startDeal();
    expect((await move(sales, instanceId, { to: 'propose', fields: { amount: 1 } })).status).toBe(200);
    const refused = await move(sales, instanceId, { to: 'negotiate' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('not_allowed');
    const view = await call(h, 'GET', instancePath(instanceId), { user: sales });
    expect(view.body.stage.key).toBe('propose');
    expect(view.body.allowedMoves.map((m: { key: string }) => m.key)).not.toContain('negotiate');
    const managerView = await call(h, 'GET', instancePath(instanceId), { user: manager });
    expect(managerView.body.allowedMoves.map((m: { key: string }) => m.key)).toContain('negotiate');
  });

  it('When the same Idempotency-Key is sent twice, then the move applies once and the first answer comes back', async () => {
    const { record, instanceId } = await startDeal();
    const key = uid('idem');
    const first = await move(sales, instanceId, { to: 'propose', fields: { amount: 7 } }, { 'idempotency-key': key });
    const second = await move(sales, instanceId, { to: 'propose', fields: { amount: 7 } }, { 'idempotency-key': key });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await h.stores.events.forInstance(instanceId)).toHaveLength(2);
    expect((await h.stores.records.get(record.id))?.version).toBe(3);

    const reused = await move(sales, instanceId, { to: 'won' }, { 'idempotency-key': key });
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
  });

  it('When the same start is sent twice with one Idempotency-Key, then one instance and the same answer; without a key, 409', async () => {
    const def = dealPipeline();
    await publishPipeline(h, admin, def);
    const record = await createRecord(h, sales, def.objectType, { fields: { title: 'Once' } });
    const key = uid('idem');
    const first = await startInstance(h, sales, def.key, record.id, { 'idempotency-key': key });
    const second = await startInstance(h, sales, def.key, record.id, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(first.headers.get('location')).toBe(`/v1/instances/${first.body.id}`);
    expect(first.body.id).toBe(opaqueInstanceId(first.body.instanceId));
    // The opaque id and the readable one name the same instance; a garbled opaque one is 400.
    expect((await call(h, 'GET', `/v1/instances/${first.body.id}`, { user: sales })).body).toMatchObject({ instanceId: first.body.instanceId, stage: { key: 'qualify' } });
    expect((await call(h, 'GET', '/v1/instances/ins_%25%25', { user: sales })).status).toBe(400);
    expect(second.body).toEqual(first.body);
    const again = await startInstance(h, sales, def.key, record.id);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('already_running');
    expect(await h.stores.events.forInstance(first.body.instanceId)).toHaveLength(1);
  });

  it('When version 2 is published, then a running instance stays on version 1 and a new one takes version 2', async () => {
    const def = dealPipeline();
    const { instanceId } = await startDeal(def);
    const v2 = {
      ...def,
      name: 'Deals v2',
      stages: def.stages.map((s) => (s.key === 'propose' ? { ...s, rules: {} } : s)),
    };
    const published = await publishPipeline(h, admin, v2);
    expect(published.version).toBe(2);

    const old = await move(sales, instanceId, { to: 'propose' });
    expect(old.status).toBe(409);
    expect(old.body.error.code).toBe('missing_fields');
    const view = await call(h, 'GET', instancePath(instanceId), { user: sales });
    expect(view.body.pipeline).toEqual({ key: def.key, name: 'Deals', version: 1 });

    const record = await createRecord(h, sales, def.objectType, { fields: { title: 'Newer' } });
    const fresh = await startInstance(h, sales, def.key, record.id);
    expect(fresh.body.pipeline.version).toBe(2);
    expect((await move(sales, fresh.body.instanceId, { to: 'propose' })).status).toBe(200);
  });

  it('When a caller of another company asks for an instance, then 404 and no hint that it exists', async () => {
    const { instanceId } = await startDeal();
    const outsider = await seedUser(h, { roles: ['admin'] });
    for (const [method, path, body] of [
      ['GET', instancePath(instanceId), undefined],
      ['POST', `${instancePath(instanceId)}/moves`, { to: 'propose', fields: { amount: 1 } }],
      ['GET', `${instancePath(instanceId)}/events`, undefined],
    ] as const) {
      const res = await call(h, method, path, { user: outsider, body });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    expect(await h.stores.events.forInstance(instanceId)).toHaveLength(1);
  });
});
