import type { InstanceState } from '../../workflows/domain/types';
import { call, seedUser, type TestUser } from '../support/auth';
import { uid } from '../support/factories';
import { startHarness, type Harness } from '../support/harness';
import { createRecord, instancePath, publishPipeline, startInstance, recordInstanceId } from '../support/pipelines';
import { readWorld } from '../support/world';
import { watchErrorCodes } from '../support/error-codes';

// Every refusal below is also checked against the codes the OpenAPI document lists for its operation and status.
const errors = watchErrorCodes();

/**
 * Every class of bad input gets a 4xx in the error format and changes nothing:
 * each case compares every MongoDB collection and the instance's workflow state
 * before and after. No response in this file may be a 5xx.
 */
describe('bad input of every shape', () => {
  let h: Harness;
  let admin: TestUser;
  let sales: TestUser;
  const type = uid('deal');
  const pipelineKey = uid('pl');
  let recordId: string;
  let idleRecordId: string;
  let instanceId: string;
  let taskId: string;

  beforeAll(async () => {
    h = await startHarness();
    const company = uid('cmp');
    admin = await seedUser(h, { companyId: company, roles: ['admin'] });
    sales = await seedUser(h, { companyId: company, roles: ['sales'] });
    await publishPipeline(h, admin, {
      key: pipelineKey,
      name: 'Bad input',
      objectType: type,
      stageField: 'stage',
      trigger: { onCreate: false, manual: true, reinitiate: false },
      multipleRuns: true,
      policy: { reversible: false, skippable: true, repeatable: false, reactivatable: false },
      stages: [
        {
          key: 'qualify',
          name: 'Qualify',
          type: 'normal',
          initial: true,
          tasks: [{ key: 'call', name: 'Call', kind: 'edit_fields', fields: ['note'], assignee: { kind: 'owner' }, required: false }],
        },
        { key: 'won', name: 'Won', type: 'success' },
        { key: 'lost', name: 'Lost', type: 'failure', rules: { requireReason: true } },
      ],
    });
    // `note` is filled already, so completing the task needs no body: a body the API never read would complete it.
    recordId = (await createRecord(h, sales, type, { fields: { title: 'Target', note: 'called' } })).id;
    idleRecordId = (await createRecord(h, sales, type, { fields: { title: 'No instance yet' } })).id;
    const started = await startInstance(h, sales, pipelineKey, recordId);
    expect(started.status).toBe(201);
    instanceId = started.body.instanceId;
    taskId = started.body.tasks.open[0].id;
  });
  afterAll(async () => h?.stop());

  /** Every document of every collection, and the instance's full workflow state and history length (test/support/world.ts). */
  async function world() {
    const { docs, workflows } = await readWorld(h, { instanceIds: [instanceId] });
    const { state, historyLength } = workflows[instanceId]!;
    return { docs, state: state as InstanceState, historyLength };
  }

  async function send(method: string, path: string, opts: { user?: TestUser; body?: unknown; headers?: Record<string, string> } = {}) {
    const res = await call(h, method, path, { user: sales, ...opts });
    expect(res.status).toBeLessThan(500);
    return res;
  }

  /** Sends the request and proves it changed nothing anywhere. */
  async function refused(method: string, path: string, opts: { user?: TestUser; body?: unknown; headers?: Record<string, string> } = {}) {
    const before = await world();
    const res = await send(method, path, opts);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.body).toEqual({ error: { code: expect.any(String), message: expect.any(String), details: expect.any(Object), requestId: expect.any(String) } });
    expect(res.body.error.requestId).toBe(res.headers.get('x-request-id'));
    expect(await world()).toEqual(before);
    return res;
  }

  const recordPath = () => `/v1/records/${type}/${recordId}`;
  const movesPath = () => `${instancePath(instanceId)}/moves`;
  const taskPath = () => `${instancePath(instanceId)}/tasks/${encodeURIComponent(taskId)}/complete`;

  /** The writing routes, with a valid body for each. */
  const writes = (): Array<[string, string, string, Record<string, unknown>]> => [
    ['create a record', 'POST', `/v1/records/${type}`, { fields: { title: 'x' } }],
    ['patch a record', 'PATCH', recordPath(), { fields: { title: 'x' } }],
    ['start an instance', 'POST', '/v1/instances', { pipelineKey, recordId: idleRecordId }],
    ['move', 'POST', movesPath(), { to: 'won' }],
    ['complete a task', 'POST', taskPath(), {}],
  ];

  it('When the setup is in place, then the instance is running with its task open', async () => {
    const { state } = await world();
    expect(state).toMatchObject({ status: 'running', stage: 'qualify', tasks: [{ id: taskId, status: 'open' }] });
  });

  describe('routes and methods', () => {
    it.each<[string, string]>([
      ['GET', '/v1/nothing-here'],
      ['POST', '/v1/records'],
      ['GET', '/v2/records/lead'],
    ])('When an authenticated caller sends %s %s, then 404 in the error format', async (method, path) => {
      const res = await refused(method, path, { body: method === 'GET' ? undefined : {} });
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: 'not_found', message: expect.stringContaining('no route'), details: {} });
    });

    it.each<[string, string, string]>([
      ['DELETE', `/v1/records/${type}/rec_1`, 'GET, PATCH, HEAD'],
      ['PUT', '/v1/instances/x', 'GET, HEAD'],
      ['GET', `/v1/instances/x/moves`, 'POST'],
    ])('When an authenticated caller sends %s %s, a path served with other methods, then 405 with Allow: %s', async (method, path, allow) => {
      const res = await refused(method, path, { body: method === 'GET' ? undefined : {} });
      expect(res.status).toBe(405);
      const sorted = (list: string[]) => [...list].sort();
      expect(sorted(res.headers.get('allow')!.split(', '))).toEqual(sorted(allow.split(', ')));
      expect(res.body.error.code).toBe('method_not_allowed');
      expect(sorted(res.body.error.details.allow)).toEqual(sorted(allow.split(', ')));
    });

    it('When a caller asks for problem details, then an RFC 9457 problem that keeps the error member', async () => {
      const res = await send('GET', '/v1/nothing-here', { headers: { accept: 'application/problem+json' } });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({
        type: 'urn:propeller:error:not_found',
        title: 'not found',
        status: 404,
        detail: expect.stringContaining('no route'),
        instance: '/v1/nothing-here',
        code: 'not_found',
        requestId: res.headers.get('x-request-id'),
        error: { code: 'not_found', requestId: res.headers.get('x-request-id') },
      });
    });

    it('When an anonymous caller sends an unknown route, then 401 (routes are not revealed)', async () => {
      const res = await call(h, 'GET', '/v1/nothing-here');
      expect(res.status).toBe(401);
    });
  });

  describe('bodies that are not JSON objects', () => {
    it.each(['{"fields": {"title": "x"', '{fields: 1}', "{'fields': {}}", '{"fields": {}} trailing', '"just a string"', 'null', '42'])(
      'When the body is %j, then every writing route answers 400 malformed_json',
      async (text) => {
        for (const [, method, path] of writes()) {
          const res = await refused(method, path, { body: text });
          expect(res.status).toBe(400);
          expect(res.body.error.code).toBe('malformed_json');
        }
      },
    );

    it('When the body is a JSON array, then 400 invalid_request on every writing route', async () => {
      for (const [, method, path] of writes()) {
        const res = await refused(method, path, { body: '[]' });
        expect(res.status).toBe(400);
        expect(res.body.error.code).toBe('invalid_request');
      }
    });

    it('When a JSON body is over 256 kB, then 413 payload_too_large on every writing route', async () => {
      const big = { fields: { blob: 'x'.repeat(300 * 1024) } };
      for (const [, method, path] of writes()) {
        const res = await refused(method, path, { body: big });
        expect(res.status).toBe(413);
        expect(res.body.error.code).toBe('payload_too_large');
      }
    });

    it.each<[string, Record<string, string>]>([
      ['text/plain', { 'content-type': 'text/plain' }],
      ['text/plain with a charset', { 'content-type': 'text/plain; charset=utf-8' }],
      ['form-encoded', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['application/merge-patch+json', { 'content-type': 'application/merge-patch+json' }],
    ])('When a JSON-looking body is sent as %s, then every writing route answers 415 and nothing happens', async (_case, headers) => {
      for (const [, method, path, body] of writes()) {
        const res = await refused(method, path, { body: JSON.stringify(body), headers });
        expect(res.status).toBe(415);
        expect(res.body.error.code).toBe('unsupported_media_type');
      }
    });

    it('When a body is sent without any Content-Type, then 415 and the task stays open', async () => {
      const res = await fetch(`${h.apiUrl}${taskPath()}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sales.apiKey}` },
        body: new Blob(['{}']),
      });
      expect(res.status).toBe(415);
      const { state } = await world();
      expect(state.tasks.find((t) => t.id === taskId)?.status).toBe('open');
    });

    it('When a JSON body declares a charset JSON does not use, then 415', async () => {
      const res = await refused('POST', `/v1/records/${type}`, {
        body: '{"fields": {}}',
        headers: { 'content-type': 'application/json; charset=latin2' },
      });
      expect(res.status).toBe(415);
      expect(res.body.error.code).toBe('unsupported_media_type');
    });

    it('When JSON nests far deeper than any schema, then 400 and no stack overflow', async () => {
      const depth = 100_000;
      const deep = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      for (const body of [`{"fields": {"a": ${deep}}}`, deep, `{"fields": {}, "x": ${deep}}`]) {
        const res = await refused('POST', `/v1/records/${type}`, { body });
        expect(res.status).toBe(400);
      }
      const keyed = await refused('POST', '/v1/instances', { body: deep, headers: { 'idempotency-key': uid('deep') } });
      expect(keyed.status).toBe(400);
    });
  });

  describe('bodies with the wrong shape', () => {
    it.each<[string, string, () => string, unknown, string[], string[]]>([
      ['start without fields', 'POST', () => '/v1/instances', {}, ['pipelineKey', 'recordId'], []],
      ['start with a number key', 'POST', () => '/v1/instances', { pipelineKey: 5, recordId: 'r' }, ['pipelineKey'], []],
      ['start with a key of bad characters', 'POST', () => '/v1/instances', { pipelineKey: 'a b/c', recordId: 'r' }, ['pipelineKey'], []],
      ['start with an unknown field', 'POST', () => '/v1/instances', { pipelineKey: 'p', recordId: 'r', stage: 'won' }, [], ['stage']],
      ['a move without "to"', 'POST', () => movesPath(), { reason: 'why' }, ['to'], []],
      ['a move with a number "to"', 'POST', () => movesPath(), { to: 3 }, ['to'], []],
      ['a move with fields as a string', 'POST', () => movesPath(), { to: 'won', fields: 'amount=5' }, ['fields'], []],
      ['a move with an object field value', 'POST', () => movesPath(), { to: 'won', fields: { amount: { $inc: 1 } } }, ['fields'], []],
      ['a move with an empty reason', 'POST', () => movesPath(), { to: 'lost', reason: '   ' }, ['reason'], []],
      ['a move with an unknown field', 'POST', () => movesPath(), { to: 'won', actor: 'admin' }, [], ['actor']],
      ['a record without fields in a patch', 'PATCH', () => recordPath(), {}, ['fields'], []],
      ['a patch with version 0', 'PATCH', () => recordPath(), { fields: {}, version: 0 }, ['version'], []],
      ['a patch with a string version', 'PATCH', () => recordPath(), { fields: {}, version: '2' }, ['version'], []],
      ['a record with fields as an array', 'POST', () => `/v1/records/${type}`, { fields: ['a'] }, ['fields'], []],
      ['a record with a value over 10,000 characters', 'POST', () => `/v1/records/${type}`, { fields: { a: 'x'.repeat(10_001) } }, ['fields'], []],
      ['a record with 201 fields', 'POST', () => `/v1/records/${type}`, { fields: Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`f${i}`, i])) }, ['fields'], []],
      ['a record with a number owner', 'POST', () => `/v1/records/${type}`, { ownerId: 7 }, ['ownerId'], []],
      ['a record with an unknown field', 'POST', () => `/v1/records/${type}`, { fields: {}, type: 'other' }, [], ['type']],
      ['a task completion with fields as a number', 'POST', () => taskPath(), { fields: 1 }, ['fields'], []],
      ['a task completion with an unknown field', 'POST', () => taskPath(), { done: true }, [], ['done']],
    ])('When the request is %s, then 400 with zod details naming the problem', async (_case, method, path, body, fieldErrors, formErrors) => {
      const res = await refused(method, path(), { body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(Object.keys(res.body.error.details.fieldErrors).sort()).toEqual(fieldErrors);
      for (const name of formErrors) expect(res.body.error.details.formErrors.join(' ')).toContain(name);
    });

    it('When an admin cancels without a reason, then 400 and the instance keeps running', async () => {
      const res = await refused('POST', `${instancePath(instanceId)}/cancel`, { user: admin, body: {} });
      expect(res.status).toBe(400);
      expect(res.body.error.details.fieldErrors).toHaveProperty('reason');
    });
  });

  describe('ids and path parameters', () => {
    it.each<[string, string, () => string, () => unknown]>([
      ['a record that does not exist', 'GET', () => `/v1/records/${type}/rec_missing`, () => undefined],
      ['a patch of a record that does not exist', 'PATCH', () => `/v1/records/${type}/rec_missing`, () => ({ fields: { a: 1 } })],
      ['the events of a record that does not exist', 'GET', () => `/v1/records/${type}/rec_missing/events`, () => undefined],
      ['an instance that does not exist', 'GET', () => instancePath(recordInstanceId(admin.actor.companyId!, pipelineKey, type, 'rec_missing')), () => undefined],
      ['a move of an instance that does not exist', 'POST', () => `${instancePath('pipeline:x:y:z')}/moves`, () => ({ to: 'won' })],
      ['the events of an instance that does not exist', 'GET', () => `${instancePath('nope')}/events`, () => undefined],
      ['a task of an instance that does not exist', 'POST', () => `${instancePath('nope')}/tasks/t1/complete`, () => ({})],
      ['a start on a record that does not exist', 'POST', () => '/v1/instances', () => ({ pipelineKey, recordId: 'rec_missing' })],
      ['a start of a pipeline that does not exist', 'POST', () => '/v1/instances', () => ({ pipelineKey: 'no-such-pipeline', recordId: idleRecordId })],
      ['a pipeline that does not exist', 'GET', () => '/v1/pipelines/no-such-pipeline', () => undefined],
      ['a user that does not exist', 'GET', () => '/v1/users/usr_missing', () => undefined],
      ['a company that does not exist', 'GET', () => '/v1/companies/cmp_missing', () => undefined],
      ['revoking a key that does not exist', 'POST', () => '/v1/api-keys/key_missing/revoke', () => undefined],
    ])('When a caller asks for %s, then 404 not_found and nothing changes', async (_case, method, path, body) => {
      const res = await refused(method, path(), { body: body() });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    });

    it.each<[string, string]>([
      ['POST', '/v1/users/usr_missing/api-keys'],
      ['GET', '/v1/users/usr_missing/api-keys'],
      ['PATCH', '/v1/users/usr_missing'],
      ['POST', `${instancePath('nope')}/cancel`],
    ])('When an admin sends %s %s for an id that does not exist, then 404 and nothing is written', async (method, path) => {
      const body = method === 'PATCH' ? { roles: ['sales'] } : method === 'POST' && path.endsWith('cancel') ? { reason: 'x' } : undefined;
      const res = await refused(method, path, { user: admin, body });
      expect(res.status).toBe(404);
    });

    it.each<[string, string]>([
      ['an object type with "$"', '/v1/records/bad$type'],
      ['an object type with a dot', '/v1/records/a.b'],
      ['an id over 300 characters', `/v1/records/lead/${'r'.repeat(301)}`],
      ['a malformed percent-encoding', '/v1/records/lead/%E0%A4%A'],
      ['a limit that is not a number', `/v1/records/${'lead'}?limit=abc`],
      ['a limit over 100', '/v1/records/lead?limit=101'],
      ['a negative offset', '/v1/records/lead?offset=-1'],
      ['an unknown query parameter', '/v1/records/lead?owner=me'],
      ['a __proto__ query parameter', '/v1/records/lead?__proto__[polluted]=1'],
      ['an unknown instance status', '/v1/instances?status=bogus'],
      ['a stage key with spaces', '/v1/instances?stage=a%20b'],
      ['version "abc" of a pipeline', `/v1/pipelines/${'p'}/versions/abc`],
    ])('When a GET has %s, then 400', async (_case, path) => {
      const res = await refused('GET', path);
      expect(res.status).toBe(400);
    });
  });

  describe('prototype pollution', () => {
    const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort();
    afterEach(() => {
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    });

    it.each<[string, string, () => string, string]>([
      ['__proto__ in record fields', 'POST', () => `/v1/records/${type}`, '{"fields": {"__proto__": {"polluted": true}}}'],
      ['__proto__ with a scalar in record fields', 'POST', () => `/v1/records/${type}`, '{"fields": {"title": "t", "__proto__": "x"}}'],
      ['__proto__ with an array in record fields', 'POST', () => `/v1/records/${type}`, '{"fields": {"__proto__": ["polluted"]}}'],
      ['constructor.prototype in record fields', 'POST', () => `/v1/records/${type}`, '{"fields": {"constructor": {"prototype": {"polluted": true}}}}'],
      ['a constructor field', 'POST', () => `/v1/records/${type}`, '{"fields": {"constructor": "x"}}'],
      ['a toString field', 'POST', () => `/v1/records/${type}`, '{"fields": {"toString": "x"}}'],
      ['__proto__ in a patch', 'PATCH', () => recordPath(), '{"fields": {"__proto__": {"polluted": true}}}'],
      ['constructor in a patch', 'PATCH', () => recordPath(), '{"fields": {"constructor": "x"}}'],
      ['__proto__ at the top of a start', 'POST', () => '/v1/instances', `{"__proto__": {"isAdmin": true}, "pipelineKey": "k", "recordId": "r"}`],
      ['__proto__ in move fields', 'POST', () => movesPath(), '{"to": "won", "fields": {"__proto__": {"polluted": true}}}'],
      ['__proto__ at the top of a move', 'POST', () => movesPath(), '{"to": "won", "__proto__": {"polluted": true}}'],
      ['__proto__ in task fields', 'POST', () => taskPath(), '{"fields": {"__proto__": {"polluted": true}}}'],
      ['__proto__ in user attributes', 'POST', () => '/v1/users', '{"companyId": "c", "name": "n", "email": "a@b.co", "attributes": {"__proto__": {"polluted": true}}}'],
      ['__proto__ deep inside a pipeline', 'POST', () => '/v1/pipelines', '{"key": "pp", "stages": [{"key": "a", "rules": {"__proto__": {"polluted": true}}}]}'],
    ])('When a body carries %s, then 400 and nothing is written or polluted', async (_case, method, path, body) => {
      const res = await refused(method, path(), { user: method === 'POST' && path().startsWith('/v1/users') ? admin : sales, body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    });
  });

  describe('the Idempotency-Key header', () => {
    it.each<[string, string]>([
      ['over 200 characters', 'k'.repeat(201)],
      ['with a space', 'two words'],
      ['with a non-ASCII character', 'clé'],
    ])('When the key is %s, then a start and a move answer 400 and nothing starts or moves', async (_case, key) => {
      const headers = { 'idempotency-key': key };
      for (const [method, path, body] of [
        ['POST', '/v1/instances', { pipelineKey, recordId: idleRecordId }],
        ['POST', movesPath(), { to: 'won' }],
      ] as const) {
        const res = await refused(method, path, { body, headers });
        expect(res.status).toBe(400);
        expect(res.body.error.code).toBe('invalid_idempotency_key');
      }
    });

    it('When the key is exactly 200 characters, then it is accepted', async () => {
      const res = await send('POST', `${instancePath(instanceId)}/moves`, { body: { to: 'nowhere' }, headers: { 'idempotency-key': 'k'.repeat(200) } });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('unknown_stage');
    });
  });

  describe('the error codes answered', () => {
    afterAll(() => errors.stop());

    it('When every error answered above is read, then its code is listed in the document for its operation and status', () => {
      expect(errors.answered()).toBeGreaterThan(20);
      expect(errors.undocumented()).toEqual([]);
    });
  });
});
