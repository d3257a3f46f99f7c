import { COLLECTIONS } from '../../activities/store';
import type { PipelineDefinition } from '../../workflows/domain/types';
import { call, seedUser, type TestUser } from '../support/auth';
import { uid } from '../support/factories';
import { startHarness, type Harness } from '../support/harness';

/**
 * A definition as an admin would send it, leaning on the API's defaults; an
 * object type of its own, since only one enabled pipeline may hold a type's stage field.
 */
function definition(overrides: Record<string, unknown> = {}) {
  return {
    key: uid('pl'),
    name: 'Deals',
    objectType: uid('deal'),
    stageField: 'stage',
    stages: [
      { key: 'qualify', name: 'Qualify', initial: true, winRate: 10 },
      { key: 'won', name: 'Won', type: 'success', winRate: 100 },
      { key: 'lost', name: 'Lost', type: 'failure', winRate: 0, rules: { requireReason: true } },
    ],
    ...overrides,
  };
}

describe('the pipelines API on FerretDB', () => {
  let h: Harness;
  let admin: TestUser;
  let sales: TestUser;
  beforeAll(async () => {
    h = await startHarness();
    admin = await seedUser(h, { roles: ['admin'] });
    sales = await seedUser(h, { companyId: admin.actor.companyId, roles: ['sales'] });
  });
  afterAll(async () => h?.stop());

  /** Pipelines are stored under their company: `<companyId>/<key>`, versions `<companyId>/<key>@<version>`. */
  const docId = (key: string) => `${admin.actor.companyId}/${key}`;
  const pipelineDoc = (key: string) => h.db.collection(COLLECTIONS.pipelines).findOne({ _id: docId(key) as never });
  async function created(overrides: Record<string, unknown> = {}) {
    const body = definition(overrides);
    const res = await call(h, 'POST', '/v1/pipelines', { user: admin, body });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v1/pipelines/${body.key}`);
    return body;
  }

  it('When an admin creates a pipeline, then it answers 201 with the draft and MongoDB holds it with defaults filled in', async () => {
    const body = definition();
    const res = await call(h, 'POST', '/v1/pipelines', { user: admin, body });

    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ key: body.key, status: 'draft', latestVersion: 0, draft: body });
    expect(await pipelineDoc(body.key)).toMatchObject({
      status: 'draft',
      latestVersion: 0,
      createdBy: admin.actor.userId,
      draft: {
        ...body,
        multipleRuns: true,
        trigger: { onCreate: false, manual: true, reinitiate: false },
        policy: { reversible: false, skippable: false, repeatable: false, reactivatable: false },
      },
    });
  });

  it('When a sales user creates a pipeline, then it answers 403 and nothing is written', async () => {
    const body = definition();
    const res = await call(h, 'POST', '/v1/pipelines', { user: sales, body });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect(await pipelineDoc(body.key)).toBeNull();
  });

  it('When a definition has several problems, then the 400 lists every one of them and nothing is written', async () => {
    const body = definition({
      colour: 'blue',
      stages: [
        { key: 'a', name: 'A', initial: true, winRate: 150, deadline: { after: '7d', to: 'nowhere' } },
        { key: 'a', name: 'B', initial: true },
      ],
    });
    const res = await call(h, 'POST', '/v1/pipelines', { user: admin, body });

    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    const stageProblems: string[] = res.body.error.details.fieldErrors.stages;
    expect(stageProblems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('used more than once'),
        expect.stringContaining('"nowhere" is not a stage'),
        expect.stringContaining('only one stage may be initial'),
        expect.stringMatching(/<=100/),
      ]),
    );
    expect(res.body.error.details.formErrors).toEqual([expect.stringContaining('colour')]);
    expect(await pipelineDoc(body.key)).toBeNull();
  });

  it.each<[string, string, string | Record<string, unknown>]>([
    ['an unknown field', 'invalid_request', definition({ owner: 'me' })],
    ['a field name that is a MongoDB operator', 'invalid_request', definition({ stageField: '$where' })],
    ['malformed JSON', 'malformed_json', '{"key": "x", '],
  ])('When the body has %s, then it answers 400 with code %s', async (_case, code, body) => {
    const res = await call(h, 'POST', '/v1/pipelines', { user: admin, body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
  });

  it('When the key is taken, then it answers 409 duplicate and the first draft stays', async () => {
    const first = await created();
    const res = await call(h, 'POST', '/v1/pipelines', { user: admin, body: { ...first, name: 'Second' } });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('duplicate');
    expect((await pipelineDoc(first.key))?.draft.name).toBe('Deals');
  });

  it('When a draft is published, edited and published again, then version 1 stays exactly as it was published', async () => {
    const body = await created();
    const v1 = await call(h, 'POST', `/v1/pipelines/${body.key}/publish`, { user: admin });
    expect(v1.status).toBe(201);
    expect(v1.headers.get('location')).toBe(`/v1/pipelines/${body.key}/versions/1`);
    expect(v1.body).toMatchObject({ ...body, version: 1, multipleRuns: true });

    const edited = { ...body, name: 'Deals v2', stages: [...body.stages, { key: 'stalled', name: 'Stalled' }] };
    const put = await call(h, 'PUT', `/v1/pipelines/${body.key}`, { user: admin, body: edited });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ status: 'published', latestVersion: 1, draft: { name: 'Deals v2' } });
    expect((await call(h, 'GET', `/v1/pipelines/${body.key}/versions/1`, { user: sales })).body).toEqual(v1.body);

    const v2 = await call(h, 'POST', `/v1/pipelines/${body.key}/publish`, { user: admin });
    expect(v2.body).toMatchObject({ version: 2, name: 'Deals v2' });
    expect((await call(h, 'GET', `/v1/pipelines/${body.key}/versions/1`, { user: sales })).body).toEqual(v1.body);
    expect(await h.stores.pipelines.latestPublished(admin.actor.companyId!, body.key)).toEqual(v2.body);
    const list = await call(h, 'GET', `/v1/pipelines/${body.key}/versions`, { user: sales });
    expect(list.body.items.map((v: { version: number }) => v.version)).toEqual([2, 1]);
  });

  it('When two publishes race, then the unique index gives them distinct versions', async () => {
    const { key } = await created();
    const now = new Date().toISOString();
    const versions = await Promise.all([1, 2].map(() => h.stores.pipelines.publish(admin.actor.companyId!, key, admin.actor.userId, now)));
    expect(versions.map((v) => v?.version).sort()).toEqual([1, 2]);
    expect((await h.stores.pipelines.latestPublished(admin.actor.companyId!, key))?.version).toBe(2);
  });

  it('When the next version number is already taken, then publishing retries past it', async () => {
    const { key } = await created();
    const taken = { _id: `${docId(key)}@1`, companyId: admin.actor.companyId, pipelineKey: key, version: 1, definition: {}, publishedAt: 'then', publishedBy: 'other' };
    await h.db.collection(COLLECTIONS.pipelineVersions).insertOne(taken as never);
    const res = await call(h, 'POST', `/v1/pipelines/${key}/publish`, { user: admin });
    expect(res.status).toBe(201);
    expect(res.body.version).toBe(2);
    expect((await pipelineDoc(key))?.latestVersion).toBe(2);
  });

  it('When records are checked for stage fields, then every pipeline on their object type names its stage field', async () => {
    const objectType = uid('thing');
    await created({ objectType, stageField: 'phase' });
    const { key } = await created({ objectType, stageField: 'step' });
    await call(h, 'POST', `/v1/pipelines/${key}/publish`, { user: admin });
    expect((await h.stores.pipelines.stageFieldsFor(admin.actor.companyId!, objectType)).sort()).toEqual(['phase', 'step']);
  });

  it('When a pipeline is disabled, then no version is offered to new instances until it is published again', async () => {
    const { key } = await created();
    await call(h, 'POST', `/v1/pipelines/${key}/publish`, { user: admin });

    const disabled = await call(h, 'POST', `/v1/pipelines/${key}/disable`, { user: admin });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ status: 'disabled', latestVersion: 1 });
    expect(await h.stores.pipelines.latestPublished(admin.actor.companyId!, key)).toBeUndefined();
    expect((await call(h, 'GET', `/v1/pipelines/${key}`, { user: sales })).body.status).toBe('disabled');
    expect((await call(h, 'GET', `/v1/pipelines/${key}/versions/1`, { user: sales })).status).toBe(200);

    await call(h, 'POST', `/v1/pipelines/${key}/publish`, { user: admin });
    expect((await h.stores.pipelines.latestPublished(admin.actor.companyId!, key))?.version).toBe(2);
  });

  it('When a stored definition has no multipleRuns, then it reads back false, while one created through the API reads true', async () => {
    const legacy = definition() as Partial<PipelineDefinition> & { key: string };
    const now = new Date().toISOString();
    await h.db.collection(COLLECTIONS.pipelines).insertOne({
      _id: docId(legacy.key) as never,
      companyId: admin.actor.companyId,
      key: legacy.key,
      draft: { ...legacy, trigger: { onCreate: true, manual: true, reinitiate: false }, policy: { reversible: false, skippable: false, repeatable: false, reactivatable: false } },
      status: 'draft',
      latestVersion: 0,
      createdAt: now,
      updatedAt: now,
      createdBy: 'seed',
      updatedBy: 'seed',
    });
    expect((await call(h, 'GET', `/v1/pipelines/${legacy.key}`, { user: sales })).body.draft.multipleRuns).toBe(false);
    const published = await call(h, 'POST', `/v1/pipelines/${legacy.key}/publish`, { user: admin });
    expect(published.body.multipleRuns).toBe(false);
    const versions = h.db.collection(COLLECTIONS.pipelineVersions);
    await versions.updateOne({ _id: `${docId(legacy.key)}@1` as never }, { $unset: { 'definition.multipleRuns': '' } });
    expect((await versions.findOne({ _id: `${docId(legacy.key)}@1` as never }))?.definition).not.toHaveProperty('multipleRuns');
    expect((await h.stores.pipelines.getVersion(admin.actor.companyId!, legacy.key, 1))?.multipleRuns).toBe(false);

    const modern = await created();
    expect((await h.stores.pipelines.get(admin.actor.companyId!, modern.key))?.draft.multipleRuns).toBe(true);
  });

  it('When a stored draft breaks a rule, then publishing answers 422 with the problems and writes no version', async () => {
    const { key } = await created();
    await h.db.collection(COLLECTIONS.pipelines).updateOne({ _id: docId(key) as never }, { $set: { 'draft.stages.0.deadline': { after: '1d', to: 'gone' } } });
    const res = await call(h, 'POST', `/v1/pipelines/${key}/publish`, { user: admin });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'invalid_definition', details: { problems: [expect.stringContaining('"gone" is not a stage')] } });
    expect(await h.stores.pipelines.listVersions(admin.actor.companyId!, key)).toEqual([]);
  });

  it('When any user lists pipelines, then each appears as a summary', async () => {
    const { key, objectType } = await created();
    const res = await call(h, 'GET', '/v1/pipelines', { user: sales });
    expect(res.status).toBe(200);
    expect(res.body.items).toContainEqual({ key, name: 'Deals', objectType, status: 'draft', latestVersion: 0, updatedAt: expect.any(String) });
  });

  it.each<[string, number, string, string]>([
    ['GET an unknown pipeline', 404, 'GET', '/v1/pipelines/nope'],
    ['GET versions of an unknown pipeline', 404, 'GET', '/v1/pipelines/nope/versions'],
    ['GET an unknown version', 404, 'GET', '/v1/pipelines/nope/versions/3'],
    ['GET version "abc"', 400, 'GET', '/v1/pipelines/nope/versions/abc'],
    ['GET version 0', 400, 'GET', '/v1/pipelines/nope/versions/0'],
    ['publish an unknown pipeline', 404, 'POST', '/v1/pipelines/nope/publish'],
    ['disable an unknown pipeline', 404, 'POST', '/v1/pipelines/nope/disable'],
  ])('When an admin tries to %s, then it answers %s', async (_case, status, method, path) => {
    expect((await call(h, method, path, { user: admin })).status).toBe(status);
  });

  it('When an admin replaces an unknown draft or names another key in the body, then it answers 404 or 400', async () => {
    const body = definition();
    expect((await call(h, 'PUT', `/v1/pipelines/${body.key}`, { user: admin, body })).status).toBe(404);
    const { key } = await created();
    const mismatch = await call(h, 'PUT', `/v1/pipelines/${key}`, { user: admin, body: { ...body, key: 'other' } });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.code).toBe('key_mismatch');
  });

  it.each<[string, string]>([
    ['GET', '/v1/pipelines'],
    ['POST', '/v1/pipelines'],
    ['POST', '/v1/pipelines/any/publish'],
  ])('When an anonymous caller sends %s %s, then it answers 401', async (method, path) => {
    const res = await call(h, method, path, { body: method === 'POST' ? definition() : undefined });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
  });

  describe('one pipeline per object type and stage field (seed 000 §3)', () => {
    const publish = (key: string) => call(h, 'POST', `/v1/pipelines/${key}/publish`, { user: admin });
    const disable = (key: string) => call(h, 'POST', `/v1/pipelines/${key}/disable`, { user: admin });
    const versionsOf = async (key: string) => (await call(h, 'GET', `/v1/pipelines/${key}/versions`, { user: admin })).body.items;

    it('When a second pipeline claims an enabled one\'s object type and stage field, then publishing it is refused 409 naming the first, until the first is disabled', async () => {
      const first = await created();
      expect((await publish(first.key)).status).toBe(201);
      const second = await created({ objectType: first.objectType, name: 'Rival deals' });

      const refused = await publish(second.key);
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({
        code: 'stage_field_taken',
        message: expect.stringContaining(`"${first.key}"`),
        details: { pipelineKey: first.key, objectType: first.objectType, stageField: 'stage' },
      });
      expect(await pipelineDoc(second.key)).toMatchObject({ status: 'draft', latestVersion: 0 });
      expect(await versionsOf(second.key)).toEqual([]);
      expect(await h.stores.pipelines.publishedFor(admin.actor.companyId!, first.objectType)).toEqual([expect.objectContaining({ key: first.key })]);

      // Another stage field on the same type is free.
      const phases = await created({ objectType: first.objectType, stageField: 'phase' });
      expect((await publish(phases.key)).status).toBe(201);

      // Disabling the first frees its field; then re-enabling the first is what is refused.
      expect((await disable(first.key)).status).toBe(200);
      expect((await publish(second.key)).status).toBe(201);
      const reenable = await publish(first.key);
      expect(reenable.status).toBe(409);
      expect(reenable.body.error).toMatchObject({ code: 'stage_field_taken', details: { pipelineKey: second.key } });
      expect(await pipelineDoc(first.key)).toMatchObject({ status: 'disabled', latestVersion: 1 });
      expect(await versionsOf(first.key)).toHaveLength(1);
      expect((await h.stores.pipelines.publishedFor(admin.actor.companyId!, first.objectType)).map((p) => p.key).sort()).toEqual([phases.key, second.key].sort());
    });

    it('When a published pipeline\'s object type or stage field is changed, then 409 stage_field_fixed and the draft stays; other edits are saved', async () => {
      const body = await created();
      expect((await publish(body.key)).status).toBe(201);
      const before = await pipelineDoc(body.key);

      for (const [change, fields] of [
        [{ stageField: 'phase' }, ['stageField']],
        [{ objectType: uid('other') }, ['objectType']],
        [{ objectType: uid('other'), stageField: 'phase' }, ['objectType', 'stageField']],
      ] as const) {
        const res = await call(h, 'PUT', `/v1/pipelines/${body.key}`, { user: admin, body: { ...body, ...change } });
        expect(res.status).toBe(409);
        expect(res.body.error).toMatchObject({ code: 'stage_field_fixed', message: expect.stringContaining('cannot change'), details: { fields } });
      }
      expect(await pipelineDoc(body.key)).toEqual(before);

      const renamed = await call(h, 'PUT', `/v1/pipelines/${body.key}`, {
        user: admin,
        body: { ...body, name: 'Deals, renamed', stages: [...body.stages, { key: 'paused', name: 'Paused' }] },
      });
      expect(renamed.status).toBe(200);
      expect(await pipelineDoc(body.key)).toMatchObject({ draft: { name: 'Deals, renamed', stageField: 'stage', objectType: body.objectType } });
      expect((await publish(body.key)).body).toMatchObject({ version: 2, stageField: 'stage' });
    });

    it('When a stored draft moved off its published stage field before the rule, then publishing it is refused 409 and writes no version', async () => {
      const body = await created();
      expect((await publish(body.key)).status).toBe(201);
      await h.db.collection(COLLECTIONS.pipelines).updateOne({ _id: docId(body.key) as never }, { $set: { 'draft.stageField': 'phase' } });

      const refused = await publish(body.key);
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({ code: 'stage_field_fixed', details: { fields: ['stageField'] } });
      expect(await versionsOf(body.key)).toHaveLength(1);
    });

    it('When a draft was never published, then its object type and stage field may still change', async () => {
      const body = await created();
      const res = await call(h, 'PUT', `/v1/pipelines/${body.key}`, { user: admin, body: { ...body, stageField: 'phase' } });
      expect(res.status).toBe(200);
      expect(await pipelineDoc(body.key)).toMatchObject({ draft: { stageField: 'phase' } });
    });
  });

  it('When a definition has problems deep inside its stages, then each problem in the 400 carries its full path', async () => {
    const body = definition({
      stages: [
        { key: 'a', name: 'A', initial: true, deadline: { after: '7d', to: 'nowhere' } },
        { key: 'b', name: 'B', winRate: 150 },
        { key: 'c', name: 'C', tasks: [{ key: 't', name: 'T', kind: 'edit_fields', fields: ['x'], assignee: { kind: 'nobody' }, required: true }] },
        { key: 'd', name: 'D', winRate: 101 },
      ],
    });
    const res = await call(h, 'POST', '/v1/pipelines', { user: admin, body });
    expect(res.status).toBe(400);
    const issues = res.body.error.details.issues as Array<{ path: string; code: string; message: string }>;
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'stages[1].winRate', message: expect.stringMatching(/<=100/) }),
        expect.objectContaining({ path: 'stages[3].winRate' }),
        expect.objectContaining({ path: 'stages[2].tasks[0].assignee.kind' }),
        expect.objectContaining({ path: 'stages[0].deadline.to', message: expect.stringContaining('"nowhere" is not a stage') }),
      ]),
    );
    expect(issues.every((issue) => issue.path !== 'stages')).toBe(true);
    // The flattened form names the place too.
    expect(res.body.error.details.fieldErrors.stages).toEqual(expect.arrayContaining([expect.stringMatching(/^stages\[1\]\.winRate: .*<=100/)]));
    expect(await pipelineDoc(body.key)).toBeNull();
  });
});
