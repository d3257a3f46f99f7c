import { COLLECTIONS } from '../../activities/store';
import { LEAD_STAGES, partnerLeadTemplate } from '../../workflows/domain/templates/partner-lead';
import { call } from '../support/auth';
import { uid } from '../support/factories';
import { eventually, startHarness, type Harness } from '../support/harness';
import { RECEIVER_NETWORKS } from '../support/webhook-receiver';
import { instancePath } from '../support/pipelines';
import { CALLERS, LEAD_KEY, MANUAL_KEY, SCRATCH_KEY, seedSecurityWorld, TICKET, type Caller, type SecurityWorld } from '../support/security';
import { isErrorBody } from '../support/world';

// jest reads testTimeout only from the root config, not from the integration project's.
jest.setTimeout(180_000);

/**
 * OWASP API1/API5 (object and function level authorization), API3 (object
 * property level: private fields, mass assignment). Every route of the served
 * OpenAPI document × every kind of caller, with the status each cell must get.
 */

interface Req {
  method: string;
  path: string;
  body?: unknown;
}

type Statuses = readonly [
  operator: number, admin: number, owner2_admin: number, sales: number, partnerA_user: number, partnerA_admin: number, partnerB_user: number, anonymous: number, revoked: number,
];

type Make = <T>(make: () => Promise<T>) => Promise<T>;

/**
 * Builds a cell's request. `obj(make)` gives the object the request acts on:
 * a fresh one for a cell expected to succeed (so its success changes nothing
 * another cell finds), and for the cells expected to be refused one object
 * shared by the row. `one(make)` gives one object to the whole row, for rows
 * whose success leaves the object as the next cell needs it (an edit).
 */
type Factory = (w: SecurityWorld, obj: Make, one: Make) => Req | Promise<Req>;

const get = (path: string): Req => ({ method: 'GET', path });
const post = (path: string, body?: unknown): Req => ({ method: 'POST', path, body });
const enc = encodeURIComponent;

/**
 * THE MATRIX. One row per operation of /openapi.json (the test fails when a
 * route has no row, or a row no route). Mutating rows get a fresh object per
 * caller, so a cell that succeeds changes nothing another cell finds.
 *   201/200 allowed · 401 no or revoked key · 403 the caller's role may not ·
 *   404 the caller may not see the object · 409 a pipeline rule refuses the move
 *
 * Tenants (api/tenancy.ts): `operator` is the platform operator, who creates
 * companies and reads no record data (403 on every record, instance, lead,
 * forecast, pipeline and webhook route). `admin` is Acme's Company Admin and
 * `owner2_admin` the admin of a second owner company with no part in Acme's
 * records: each runs its own company's users, keys and webhooks only, so
 * partner A's user, keys and company people are partner A's admin's (201/200
 * there) and 404 to both owner admins; Acme's webhook is 404 to owner2_admin.
 * Pipelines are their company's: owner2 (Initech) runs a `partner-lead` of its
 * own, so it reads that key (200, its own) but Acme's scratch pipeline and
 * drafts are 404 to it; partner companies own no pipelines (404 by key). A
 * partner company's program changes are the operator's and the owner's
 * Company Admin's (Acme's program: 403 to owner2_admin); partner A's admin
 * runs its own company's webhooks, so Acme's are 404 to it.
 */
// prettier-ignore
const MATRIX: Array<[op: string, expected: Statuses, request: Factory]> = [
  //                                                   oper admin owner2 sales pA_usr pA_adm pB_usr anon revoked
  ['GET /healthz',                                     [200,  200,  200,  200,  200,  200,  200,  200,  200], () => get('/healthz')],
  ['GET /readyz',                                      [200,  200,  200,  200,  200,  200,  200,  200,  200], () => get('/readyz')],
  ['GET /openapi.json',                                [200,  200,  200,  200,  200,  200,  200,  200,  200], () => get('/openapi.json')],
  ['GET /docs',                                        [200,  200,  200,  200,  200,  200,  200,  200,  200], () => get('/docs')],
  ['GET /v1/me',                                       [200,  200,  200,  200,  200,  200,  200,  401,  401], () => get('/v1/me')],
  ['POST /v1/companies',                               [201,  201,  201,  403,  403,  403,  403,  401,  401], () => post('/v1/companies', { name: `Company ${uid('c')}` })],
  ['GET /v1/companies',                                [200,  200,  200,  200,  200,  200,  200,  401,  401], () => get('/v1/companies')],
  ['GET /v1/companies/{id}',                           [200,  200,  200,  404,  200,  200,  404,  401,  401], (w) => get(`/v1/companies/${w.companies.partnerA}`)],
  ['PUT /v1/companies/{id}/programs/{ownerId}',        [200,  200,  403,  403,  403,  403,  403,  401,  401], async (w, obj) => ({ method: 'PUT', path: `/v1/companies/${await obj(freshPartner)}/programs/${w.companies.owner}` })],
  ['DELETE /v1/companies/{id}/programs/{ownerId}',     [200,  200,  403,  403,  403,  403,  403,  401,  401], async (w, obj) => ({ method: 'DELETE', path: `/v1/companies/${await obj(freshPartnerInAcme)}/programs/${w.companies.owner}` })],
  ['POST /v1/users',                                   [403,  403,  403,  403,  403,  201,  403,  401,  401], (w) => post('/v1/users', { companyId: w.companies.partnerA, name: 'New', email: `${uid('u')}@example.test`, roles: ['partner_user'] })],
  ['GET /v1/users',                                    [200,  200,  200,  200,  200,  200,  200,  401,  401], () => get('/v1/users')],
  ['GET /v1/users/{id}',                               [404,  404,  404,  404,  200,  200,  404,  401,  401], (w) => get(`/v1/users/${w.as.partnerA_user!.actor.userId}`)],
  ['PATCH /v1/users/{id}',                             [404,  404,  404,  403,  403,  200,  403,  401,  401], async (w, _, one) => ({ method: 'PATCH', path: `/v1/users/${await one(w.fresh.userInPartnerA)}`, body: { name: 'Renamed' } })],
  ['DELETE /v1/users/{id}',                            [404,  404,  404,  403,  403,  200,  403,  401,  401], async (w, obj) => ({ method: 'DELETE', path: `/v1/users/${await obj(w.fresh.userInPartnerA)}` })],
  ['POST /v1/users/{id}/api-keys',                     [404,  404,  404,  404,  201,  201,  404,  401,  401], (w) => post(`/v1/users/${w.as.partnerA_user!.actor.userId}/api-keys`)],
  ['GET /v1/users/{id}/api-keys',                      [404,  404,  404,  404,  200,  200,  404,  401,  401], (w) => get(`/v1/users/${w.as.partnerA_user!.actor.userId}/api-keys`)],
  ['GET /v1/api-keys',                                 [200,  200,  200,  403,  403,  200,  403,  401,  401], () => get('/v1/api-keys')],
  ['GET /v1/audit',                                    [200,  200,  200,  403,  403,  200,  403,  401,  401], () => get('/v1/audit')],
  ['POST /v1/api-keys/{id}/revoke',                    [404,  404,  404,  404,  200,  200,  404,  401,  401], async (w, obj) => post(`/v1/api-keys/${await obj(w.fresh.keyOfPartnerAUser)}/revoke`)],
  ['POST /v1/pipelines',                               [403,  201,  201,  403,  403,  403,  403,  401,  401], () => post('/v1/pipelines', { key: uid('pl'), name: 'New', objectType: 'thing', stageField: 'stage', stages: [{ key: 'a', name: 'A', initial: true }] })],
  ['PUT /v1/pipelines/{key}',                          [403,  200,  404,  403,  403,  403,  403,  401,  401], () => ({ method: 'PUT', path: `/v1/pipelines/${SCRATCH_KEY}`, body: { name: 'Scratch', objectType: 'scratch_object', stageField: 'stage', stages: [{ key: 'a', name: 'A', initial: true }, { key: 'b', name: 'B', type: 'success' }] } })],
  ['GET /v1/pipelines',                                [403,  200,  200,  200,  200,  200,  200,  401,  401], () => get('/v1/pipelines')],
  ['GET /v1/pipelines/{key}',                          [403,  200,  200,  200,  404,  404,  404,  401,  401], () => get(`/v1/pipelines/${LEAD_KEY}`)],
  ['GET /v1/pipelines/{key}/versions',                 [403,  200,  200,  200,  404,  404,  404,  401,  401], () => get(`/v1/pipelines/${LEAD_KEY}/versions`)],
  ['GET /v1/pipelines/{key}/versions/{version}',       [403,  200,  200,  200,  404,  404,  404,  401,  401], () => get(`/v1/pipelines/${LEAD_KEY}/versions/1`)],
  ['POST /v1/pipelines/{key}/publish',                 [403,  201,  404,  403,  403,  403,  403,  401,  401], () => post(`/v1/pipelines/${SCRATCH_KEY}/publish`)],
  ['POST /v1/pipelines/{key}/disable',                 [403,  200,  404,  403,  403,  403,  403,  401,  401], async (w, obj) => post(`/v1/pipelines/${await obj(w.fresh.draftPipeline)}/disable`)],
  ['POST /v1/webhooks',                                [403,  201,  403,  403,  403,  403,  403,  401,  401], (w) => post('/v1/webhooks', { companyId: w.companies.owner, url: 'http://127.0.0.1:9/hook', events: ['deadline.fired'] })],
  ['GET /v1/webhooks',                                 [403,  200,  200,  403,  403,  200,  403,  401,  401], () => get('/v1/webhooks')],
  ['GET /v1/webhooks/{id}',                            [403,  200,  404,  403,  403,  404,  403,  401,  401], (w) => get(`/v1/webhooks/${w.webhookId}`)],
  ['PATCH /v1/webhooks/{id}',                          [403,  200,  404,  403,  403,  404,  403,  401,  401], async (w, obj) => ({ method: 'PATCH', path: `/v1/webhooks/${await obj(w.fresh.webhook)}`, body: { url: 'http://127.0.0.1:9/moved' } })],
  ['POST /v1/webhooks/{id}/disable',                   [403,  200,  404,  403,  403,  404,  403,  401,  401], async (w, obj) => post(`/v1/webhooks/${await obj(w.fresh.webhook)}/disable`)],
  ['GET /v1/events',                                   [403,  200,  200,  403,  403,  200,  403,  401,  401], () => get('/v1/events')],
  ['POST /v1/webhooks/{id}/rotate-secret',             [403,  200,  404,  403,  403,  404,  403,  401,  401], async (w, obj) => post(`/v1/webhooks/${await obj(w.fresh.webhook)}/rotate-secret`)],
  ['POST /v1/webhooks/{id}/test',                      [403,  200,  404,  403,  403,  404,  403,  401,  401], async (w, obj) => post(`/v1/webhooks/${await obj(w.fresh.webhook)}/test`)],
  ['GET /v1/webhooks/{id}/deliveries',                 [403,  200,  404,  403,  403,  404,  403,  401,  401], (w) => get(`/v1/webhooks/${w.webhookId}/deliveries`)],
  ['POST /v1/webhooks/{id}/deliveries/{deliveryId}/redeliver', [403, 200, 404, 403, 403, 404, 403, 401, 401], async (_w, obj) => post(`/v1/webhooks/${await obj(freshDelivery)}/redeliver`)],
  ['GET /v1/object-types',                             [403,  200,  200,  200,  200,  200,  200,  401,  401], () => get('/v1/object-types')],
  ['GET /v1/object-types/{key}',                       [403,  200,  200,  200,  200,  200,  200,  401,  401], () => get(`/v1/object-types/${TICKET}`)],
  ['POST /v1/object-types',                            [403,  201,  201,  403,  403,  403,  403,  401,  401], () => post('/v1/object-types', { key: uid('ot') })],
  ['POST /v1/records/{type}',                          [403,  201,  201,  201,  201,  201,  201,  401,  401], () => post(`/v1/records/${TICKET}`, { fields: { title: 'Made in the matrix' } })],
  ['GET /v1/records/{type}',                           [403,  200,  200,  200,  200,  200,  200,  401,  401], () => get('/v1/records/lead')],
  ['POST /v1/records/{type}/search',                   [403,  200,  200,  200,  200,  200,  200,  401,  401], () => post('/v1/records/lead/search', { filter: { op: 'exists', path: 'record.title' } })],
  ['GET /v1/records/{type}/{id}',                      [403,  200,  404,  200,  200,  200,  404,  401,  401], (w) => get(`/v1/records/lead/${w.lead.id}`)],
  ['PATCH /v1/records/{type}/{id}',                    [403,  200,  404,  200,  403,  403,  404,  401,  401], async (w, _, one) => ({ method: 'PATCH', path: `/v1/records/lead/${(await one(w.fresh.lead)).id}`, body: { fields: { note: 'patched' } } })],
  ['GET /v1/records/{type}/{id}/events',               [403,  200,  404,  200,  200,  200,  404,  401,  401], (w) => get(`/v1/records/lead/${w.lead.id}/events`)],
  ['POST /v1/instances',                               [403,  201,  404,  201,  404,  404,  404,  401,  401], async (w, obj) => post('/v1/instances', { pipelineKey: MANUAL_KEY, recordId: await obj(w.fresh.ticket) })],
  ['GET /v1/instances',                                [403,  200,  200,  200,  200,  200,  200,  401,  401], () => get('/v1/instances')],
  ['GET /v1/instances/{id}',                           [403,  200,  404,  200,  200,  200,  404,  401,  401], (w) => get(instancePath(w.lead.instanceId))],
  ['GET /v1/instances/{id}/events',                    [403,  200,  404,  200,  200,  200,  404,  401,  401], (w) => get(`${instancePath(w.lead.instanceId)}/events`)],
  ['POST /v1/instances/{id}/moves',                    [403,  409,  404,  409,  200,  200,  404,  401,  401], async (w, obj) => post(`${instancePath((await obj(w.fresh.lead)).instanceId)}/moves`, { to: LEAD_STAGES.accepted })],
  ['POST /v1/instances/{id}/tasks/{taskId}/complete',  [403,  200,  404,  200,  404,  404,  404,  401,  401], async (w, obj) => {
    const opp = await obj(w.fresh.opportunity);
    return post(`${instancePath(opp.instanceId)}/tasks/${enc(opp.taskId)}/complete`, { fields: { schemeDesign: 'proposal.pdf' } });
  }],
  ['POST /v1/instances/{id}/reactivate',               [403,  200,  404,  200,  404,  404,  404,  401,  401], async (w, obj) => post(`${instancePath((await obj(w.fresh.lostOpportunity)).instanceId)}/reactivate`, {})],
  ['POST /v1/instances/{id}/cancel',                   [403,  200,  404,  403,  403,  403,  403,  401,  401], async (w, obj) => post(`${instancePath((await obj(w.fresh.lead)).instanceId)}/cancel`, { reason: 'matrix' })],
  ['GET /v1/forecast',                                 [403,  200,  200,  200,  403,  403,  403,  401,  401], () => get('/v1/forecast?pipelineKey=opportunity-propulsion')],
  ['GET /v1/pipelines/{key}/board',                    [403,  200,  200,  200,  403,  403,  403,  401,  401], () => get(`/v1/pipelines/${LEAD_KEY}/board`)],
  ['GET /v1/pipelines/{key}/analytics',                [403,  200,  200,  200,  403,  403,  403,  401,  401], () => get(`/v1/pipelines/${LEAD_KEY}/analytics`)],
  ['GET /v1/pipelines/{key}/analytics.svg',            [403,  200,  200,  200,  403,  403,  403,  401,  401], () => get(`/v1/pipelines/${LEAD_KEY}/analytics.svg`)],
  ['GET /v1/partners/scorecard',                       [403,  200,  200,  200,  200,  200,  200,  401,  401], () => get('/v1/partners/scorecard?pipelineKey=partner-lead')],
  ['POST /v1/leads/{id}/accept',                       [403,  409,  404,  409,  200,  200,  404,  401,  401], async (w, obj) => post(`/v1/leads/${(await obj(w.fresh.lead)).id}/accept`)],
  ['POST /v1/leads/{id}/decline',                      [403,  409,  404,  409,  200,  200,  404,  401,  401], async (w, obj) => post(`/v1/leads/${(await obj(w.fresh.lead)).id}/decline`, { reason: 'not our region' })],
  ['POST /v1/leads/{id}/convert',                      [403,  409,  404,  409,  200,  200,  404,  401,  401], async (w, obj) => post(`/v1/leads/${(await obj(w.fresh.acceptedLead)).id}/convert`, { opportunity: { fields: {} } })],
  ['POST /v1/leads/{id}/close',                        [403,  409,  404,  409,  200,  200,  404,  401,  401], async (w, obj) => post(`/v1/leads/${(await obj(w.fresh.acceptedLead)).id}/close`, { reason: 'budget cut' })],
  ['POST /v1/leads/{id}/reassign',                     [403,  200,  404,  200,  409,  409,  404,  401,  401], async (w, obj) => post(`/v1/leads/${(await obj(w.fresh.declinedLead)).id}/reassign`, { partnerCompanyId: w.companies.partnerB })],
  ['PUT /v1/leads/{id}/expiration',                    [403,  200,  404,  200,  403,  403,  404,  401,  401], async (w, _, one) => ({ method: 'PUT', path: `/v1/leads/${(await one(w.fresh.lead)).id}/expiration`, body: { expiresAt: new Date(Date.now() + 86_400_000).toISOString() } })],
];

/** A partner company in no program, and one in Acme's (the demo owner's), for the program rows; set once the harness runs. */
let freshPartner: () => Promise<string>;
let freshPartnerInAcme: () => Promise<string>;
/** A fresh webhook of Acme's with one delivery tried once: `<webhookId>/deliveries/<deliveryId>`. */
let freshDelivery: () => Promise<string>;

const PARTNERS: readonly Caller[] = ['partnerA_user', 'partnerA_admin', 'partnerB_user'];

/** Every key in a JSON value, at any depth. */
function keysOf(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => keysOf(v, into));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      into.add(k);
      keysOf(v, into);
    }
  }
  return into;
}

/** Objects shaped like a record as the API shows it: `fields` and `privateFields`. */
function recordsIn(value: unknown, into: Array<{ fields: Record<string, unknown>; privateFields: string[] }> = []) {
  if (Array.isArray(value)) value.forEach((v) => recordsIn(v, into));
  else if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (o.fields && typeof o.fields === 'object' && Array.isArray(o.privateFields)) into.push(o as never);
    Object.values(o).forEach((v) => recordsIn(v, into));
  }
  return into;
}

describe('Authorization matrix: every route × every kind of caller', () => {
  let h: Harness;
  let w: SecurityWorld;
  let operations: string[];
  const results = new Map<string, Array<{ status: number; ok: boolean }>>();
  const violations: string[] = [];

  beforeAll(async () => {
    h = await startHarness({ webhookAllowNetworks: RECEIVER_NETWORKS });
    w = await seedSecurityWorld(h);
    const partnerIn = (programs: string[]) => async () => {
      const id = uid('cmp_matrix_partner');
      await h.stores.people.upsertCompany({ id, name: id, kind: 'partner', programs, createdAt: new Date().toISOString() });
      return id;
    };
    freshPartner = partnerIn([]);
    freshPartnerInAcme = partnerIn([w.companies.owner]);
    freshDelivery = async () => {
      const webhookId = await w.fresh.webhook();
      const id = `${uid('evt_matrix')}:${webhookId}:deadline.fired`;
      const at = new Date().toISOString();
      const payload = { id, type: 'security.api_key_issued', occurredAt: at, companyId: w.companies.owner, actor: { userId: 'u', companyId: w.companies.owner, name: null }, user: { userId: 'u', name: null }, key: { id: 'k', prefix: 'p', expiresAt: null }, breakGlass: false, reason: null } as const;
      await h.stores.webhooks.putOutbox([{ id, webhookId, payload }], at);
      await h.stores.webhooks.recordOutcome({ id, webhookId, type: 'security.api_key_issued', status: 'failed', updatedAt: at, lastStatus: 500 });
      return `${webhookId}/deliveries/${encodeURIComponent(id)}`;
    };
    const doc = (await call(h, 'GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
  });
  afterAll(async () => {
    w?.demo.cleanup();
    await h?.stop();
  });

  const send = (who: Caller, req: Req) => {
    const user = w.as[who];
    return call(h, req.method, req.path, {
      user,
      body: req.body,
      // No key at all for the anonymous column; JSON content type so a body is read as one.
      headers: user ? undefined : { 'content-type': 'application/json' },
    });
  };

  /** What a partner must never see: the private values of leads still private, and partner A's leads for partner B. */
  async function privacyProblems(who: Caller, body: unknown, op: string): Promise<string[]> {
    const problems: string[] = [];
    const text = JSON.stringify(body ?? null);
    const stored = new Map((await h.db.collection(COLLECTIONS.records).find({ type: 'lead' }).toArray()).map((d) => [String(d._id), d]));
    for (const lead of w.leads) {
      const doc = stored.get(lead.id);
      if (!doc) continue;
      const privateNow = (doc.privateFields as string[]).length > 0;
      const otherPartner = who === 'partnerB_user' ? doc.partnerCompanyId !== w.companies.partnerB : doc.partnerCompanyId !== w.companies.partnerA;
      if (privateNow || otherPartner) {
        for (const [name, value] of Object.entries(lead.secrets)) {
          if (text.includes(String(value))) problems.push(`${name} of lead ${lead.id} (${String(doc.fields.status)})`);
        }
      }
      if (otherPartner && (text.includes(lead.id) || text.includes(lead.title))) problems.push(`lead ${lead.id} of another partner`);
    }
    for (const record of recordsIn(body)) {
      const shown = record.privateFields.filter((name) => name in record.fields);
      if (shown.length > 0) problems.push(`private fields ${shown.join(', ')} shown`);
    }
    // The public OpenAPI document describes answers (CreatedWebhook has a `secret` property, with a made-up example): no key of it is data.
    const keys = op === 'GET /openapi.json' ? new Set<string>() : keysOf(body);
    for (const secret of ['hash', 'secret']) if (keys.has(secret)) problems.push(`a "${secret}" key`);
    return problems;
  }

  it('When the routes of /openapi.json are listed, then the matrix has exactly one row for each', () => {
    const rows = MATRIX.map(([op]) => op);
    expect(new Set(rows).size).toBe(rows.length);
    expect([...rows].sort()).toEqual([...operations].sort());
  });

  it('When every caller calls every route, then each cell gets its expected status and partners see nothing private', async () => {
    // Every cell's request (and the objects it acts on) is made first, all at once; the requests then go one at a time, row by row.
    const prepared = await Promise.all(
      MATRIX.map(([, expected, request]) => {
        const shared = new Map<unknown, Promise<unknown>>();
        const once = <T,>(key: unknown, make: () => Promise<T>) => {
          if (!shared.has(key)) shared.set(key, make());
          return shared.get(key) as Promise<T>;
        };
        return Promise.all(
          CALLERS.map((_, i) =>
            request(
              w,
              (make) => (expected[i]! < 300 ? make() : once(make, make)),
              (make) => once('one', make),
            ),
          ),
        );
      }),
    );
    for (const [r, [op, expected]] of MATRIX.entries()) {
      const requests = prepared[r]!;
      const row: Array<{ status: number; ok: boolean }> = [];
      for (const [i, who] of CALLERS.entries()) {
        const res = await send(who, requests[i]!);
        let ok = res.status === expected[i];
        if (!ok) violations.push(`${op} as ${who}: ${res.status}, expected ${expected[i]} ${JSON.stringify(res.body).slice(0, 300)}`);
        if (res.status >= 400 && !isErrorBody(res.body)) {
          ok = false;
          violations.push(`${op} as ${who}: ${res.status} not in the error format: ${JSON.stringify(res.body).slice(0, 300)}`);
        }
        if (res.status >= 500) ok = false;
        if (PARTNERS.includes(who)) {
          for (const problem of await privacyProblems(who, res.body, op)) {
            ok = false;
            violations.push(`${op} as ${who}: ${problem}`);
          }
        } else if (keysOf(res.body).has('hash')) {
          ok = false;
          violations.push(`${op} as ${who}: a key hash in the answer`);
        }
        row.push({ status: res.status, ok });
      }
      results.set(op, row);
    }

    const width = Math.max(...MATRIX.map(([op]) => op.length));
    const header = `${'route'.padEnd(width)}  ${CALLERS.map((c) => c.padStart(16)).join('')}`;
    const lines = MATRIX.map(([op]) => {
      const cells = (results.get(op) ?? []).map((c) => `${c.ok ? '' : '✗'}${c.status}`.padStart(16));
      return `${op.padEnd(width)}  ${cells.join('')}`;
    });
    const cells = MATRIX.length * CALLERS.length;
    process.stdout.write(
      `\nAuthorization matrix (✗ marks a violation)\n${header}\n${lines.join('\n')}\n` +
        `figures: ${MATRIX.length} routes × ${CALLERS.length} callers = ${cells} cells, ${violations.length} violations\n` +
        (violations.length ? `${violations.map((v) => `  ✗ ${v}`).join('\n')}\n` : ''),
    );
    expect(violations).toEqual([]);
  });

  describe('mass assignment: owner, company, stage, version and archived are never set through a body', () => {
    const stored = async (id: string) => (await h.stores.records.get(id))!;
    const recordCount = () => h.db.collection(COLLECTIONS.records).countDocuments({});

    it.each<[string, Record<string, unknown>]>([
      ['companyId', { companyId: 'cmp_partner_b' }],
      ['creatorId', { creatorId: 'usr_pb_user' }],
      ['version', { version: 99 }],
      ['archived', { archived: true }],
      ['stage (top level)', { stage: LEAD_STAGES.accepted }],
      ['status (top level)', { status: LEAD_STAGES.accepted }],
      ['id', { id: 'rec_chosen' }],
      ['type', { type: 'opportunity' }],
      ['privateFields', { privateFields: [] }],
      ['participants', { participants: { users: ['usr_pb_user'], companies: ['cmp_partner_b'] } }],
    ])('When a record is created with %s at the top level, then 400 and no record is written', async (_case, extra) => {
      const before = await recordCount();
      const res = await call(h, 'POST', '/v1/records/lead', { user: w.as.sales, body: { fields: { title: 'x' }, partnerCompanyId: w.companies.partnerA, ...extra } });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(await recordCount()).toBe(before);
    });

    it('When a record is created with an owner of another company, then 422 and no record is written', async () => {
      const before = await recordCount();
      const res = await call(h, 'POST', '/v1/records/lead', { user: w.as.sales, body: { fields: { title: 'x' }, ownerId: w.as.partnerB_user!.actor.userId } });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('unknown_owner');
      expect(await recordCount()).toBe(before);
    });

    it("When a record is created with the pipeline's stage field in its fields, then 422 and no record is written", async () => {
      const before = await recordCount();
      const res = await call(h, 'POST', '/v1/records/lead', {
        user: w.as.sales,
        body: { fields: { title: 'x', status: LEAD_STAGES.accepted }, partnerCompanyId: w.companies.partnerA },
      });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('stage_field');
      expect(await recordCount()).toBe(before);
    });

    it('When fields are named like the record\'s own properties, then they stay fields and the record is what the caller was allowed to make', async () => {
      const res = await call(h, 'POST', '/v1/records/lead', { user: w.as.sales, body: { fields: { title: 'Shadowing', archived: true, version: 99, stage: 'won' } } });
      expect(res.status).toBe(201);
      const doc = await stored(res.body.id);
      expect(doc).toMatchObject({ ownerId: w.as.sales!.actor.userId, companyId: w.companies.owner, archived: false, version: 1 });
      expect(doc.partnerCompanyId).toBeUndefined();
      // No pipeline took the field for a partner assignment, and partner B does not see the lead.
      expect(res.body.instances).toEqual([]);
      expect((await call(h, 'GET', `/v1/records/lead/${res.body.id}`, { user: w.as.partnerB_user })).status).toBe(404);
    });

    it("When fields named like the record's ids (ownerId, companyId, partnerCompanyId) name no record of the company, then they are refused as links and nothing is written", async () => {
      const before = await recordCount();
      const res = await call(h, 'POST', '/v1/records/lead', {
        user: w.as.sales,
        body: { fields: { title: 'Shadowing', ownerId: 'usr_pb_user', companyId: 'cmp_partner_b', partnerCompanyId: 'cmp_partner_b' } },
      });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('linked_record_not_found');
      expect(await recordCount()).toBe(before);
    });

    it.each<[string, Record<string, unknown>]>([
      ['ownerId', { ownerId: 'usr_pb_user' }],
      ['companyId', { companyId: 'cmp_partner_b' }],
      ['partnerCompanyId', { partnerCompanyId: 'cmp_partner_b' }],
      ['archived', { archived: true }],
      ['stage', { stage: LEAD_STAGES.accepted }],
      ['privateFields', { privateFields: [] }],
    ])('When a record is patched with %s at the top level, then 400 and the stored record is unchanged', async (_case, extra) => {
      const lead = w.lead;
      const before = await stored(lead.id);
      const res = await call(h, 'PATCH', `/v1/records/lead/${lead.id}`, { user: w.as.sales, body: { fields: { note: 'x' }, ...extra } });
      expect(res.status).toBe(400);
      expect(await stored(lead.id)).toEqual(before);
    });

    it("When a patch sets the stage field in fields, then it is refused and the lead stays in Pending", async () => {
      const before = await stored(w.lead.id);
      const res = await call(h, 'PATCH', `/v1/records/lead/${w.lead.id}`, { user: w.as.sales, body: { fields: { status: LEAD_STAGES.accepted } } });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('stage_field');
      expect(await stored(w.lead.id)).toEqual(before);
    });

    it('When a patch names a version, then it is only the version the caller expects, never the one stored', async () => {
      const before = await stored(w.lead.id);
      const res = await call(h, 'PATCH', `/v1/records/lead/${w.lead.id}`, { user: w.as.sales, body: { fields: { note: 'y' }, version: before.version + 50 } });
      expect(res.status).toBe(412);
      expect(res.body.error.code).toBe('stale_version');
      expect(await stored(w.lead.id)).toEqual(before);
      const ok = await call(h, 'PATCH', `/v1/records/lead/${w.lead.id}`, { user: w.as.sales, body: { fields: { note: 'y' }, version: before.version } });
      expect(ok.status).toBe(200);
      const after = await stored(w.lead.id);
      expect(after.version).toBe(before.version + 1);
      expect(after).toMatchObject({ ownerId: before.ownerId, companyId: before.companyId, archived: before.archived, partnerCompanyId: before.partnerCompanyId });
    });

    it("When a partner's move carries fields the stage does not ask for, then it is refused and the sourcing company's fields are untouched", async () => {
      const lead = await w.fresh.lead();
      const before = await stored(lead.id);
      const res = await call(h, 'POST', `${instancePath(lead.instanceId)}/moves`, {
        user: w.as.partnerA_user,
        body: { to: LEAD_STAGES.accepted, fields: { amount: 1, internalNotes: 'overwritten', ownerId: 'usr_pa_user' } },
      });
      expect(res.status).toBe(403);
      expect(isErrorBody(res.body)).toBe(true);
      expect(await stored(lead.id)).toEqual(before);
    });

    it("When a partner's move carries only the fields its stage requires, then it is accepted", async () => {
      const lead = await w.fresh.lead();
      const res = await call(h, 'POST', `${instancePath(lead.instanceId)}/moves`, {
        user: w.as.partnerA_user,
        body: { to: LEAD_STAGES.declined, reason: 'no', fields: { declineReason: 'no capacity' } },
      });
      expect(res.status).toBe(200);
      expect((await stored(lead.id)).fields).toMatchObject({ status: LEAD_STAGES.declined, declineReason: 'no capacity', amount: lead.secrets.amount });
    });

    it('When a task completion carries the stage field or fields the task does not name, then 409 and nothing changes', async () => {
      const opp = await w.fresh.opportunity();
      const before = await stored(opp.id);
      for (const fields of [{ schemeDesign: 'a.pdf', stage: 'won' }, { schemeDesign: 'a.pdf', amount: 1 }]) {
        const res = await call(h, 'POST', `${instancePath(opp.instanceId)}/tasks/${encodeURIComponent(opp.taskId)}/complete`, { user: w.as.sales, body: { fields } });
        expect(res.status).toBe(409);
        expect(res.body.error.code).toBe('unexpected_fields');
      }
      expect(await stored(opp.id)).toEqual(before);
    });

    it('When a partner converts a lead with stage, archived and version in the new opportunity, then the opportunity belongs to the sourcing company in its first stage', async () => {
      const lead = await w.fresh.acceptedLead();
      const res = await call(h, 'POST', `/v1/leads/${lead.id}/convert`, {
        user: w.as.partnerA_user,
        body: { opportunity: { fields: { title: 'Converted', stage: 'won', archived: true, version: 99 } } },
      });
      expect(res.status).toBe(200);
      const opportunityId = (await stored(lead.id)).fields.opportunityId as string;
      const opp = await stored(opportunityId);
      const source = await stored(lead.id);
      expect(opp).toMatchObject({ ownerId: source.ownerId, companyId: source.companyId, archived: false, version: expect.any(Number) });
      // Its pipeline puts it in the first stage, whatever the partner wrote into the stage field.
      const projection = await eventually(async () => (await h.stores.instances.forRecord(opportunityId))[0]);
      expect(projection.stage).toBe('demand_analysis');
      expect((await stored(opportunityId)).fields.stage).toBe('demand_analysis');
    });

    it('When the partner lead template is read, then its private fields are the ones this suite guards', () => {
      const pending = partnerLeadTemplate().stages.find((s) => s.key === LEAD_STAGES.pending)!;
      expect(pending.effects?.privateFields).toEqual(['amount', 'contactPhone', 'internalNotes']);
    });
  });
});
