import http from 'node:http';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { COLLECTIONS } from '../../activities/store';
import { canSeeRecord } from '../../workflows/domain';
import type { Actor, RecordView } from '../../workflows/domain/types';
import { call, type TestUser } from '../support/auth';
import { startHarness, type Harness } from '../support/harness';
import { RECEIVER_NETWORKS } from '../support/webhook-receiver';
import { rawRequest, type RawRequest, type RawResponse } from '../support/raw-http';
import { MANUAL_KEY, seedSecurityWorld, type SecurityWorld } from '../support/security';
import { isErrorBody, readWorld, worldChanges, type World } from '../support/world';

// jest reads testTimeout only from the root config, not from the integration project's.
jest.setTimeout(3_600_000);

/**
 * OWASP API security, hostile input: a seeded property-based fuzzer sends
 * generated bad requests to every operation of the served /openapi.json as
 * real HTTP requests, with the keys of various users and none. Every request
 * carries at least one defect that must get it refused (or is a read), so:
 * no answer ≥ 500, every refusal in the error format, no write answered 2xx,
 * and nothing changed in MongoDB or in the workflows' state.
 *
 *   FUZZ_RUNS=10000 FUZZ_SEED=<n> npx jest --selectProjects integration -- test/integration/fuzz.test.ts
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20_240_417);
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

/** Changed by refused requests on purpose, so left out of the before/after comparison. */
const BOOKKEEPING = {
  [COLLECTIONS.idempotency]:
    'the Idempotency-Key replay cache: a refused request sent with a key stores its refusal, so that the same key gets the same answer again',
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: unknown;
  maxLength?: number;
  maxItems?: number;
}

interface Operation {
  key: string;
  method: string;
  template: string;
  pathParams: string[];
  query: string[];
  body?: Schema;
  public: boolean;
}

/** Who sends the request: a user of the world, or a caller without a valid key. */
type Sender = { kind: 'user'; name: string; user: TestUser } | { kind: 'anonymous' } | { kind: 'header'; value: string; name: string };

interface Generated {
  mode: string;
  defects: string[];
  sender: string;
  request: RawRequest;
}

const enc = encodeURIComponent;
const BAD_IDS: Array<[string, boolean]> = [
  // [value, insert raw (not percent-encoded)]
  ['__proto__', false],
  ['constructor', false],
  ['prototype', false],
  ['toString', false],
  ['hasOwnProperty', false],
  ['..', true],
  ['%2e%2e', true],
  ['%00', true],
  ['%', true],
  ['%E0%A4%A', true],
  ['%FF%FE', true],
  ['%C0%AF', true],
  ['%ED%A0%80', true],
  ['null', false],
  ['undefined', false],
  ['0', false],
  ['-1', false],
  ['1e309', false],
  ['NaN', false],
  ['$where', false],
  ['{"$gt":""}', false],
  ['[object Object]', false],
  ["' OR '1'='1", false],
  ['<script>alert(1)</script>', false],
  ['r'.repeat(301), false],
  ['x'.repeat(4_000), false],
  ['rec_missing', false],
  ['usr_missing', false],
  ['pipeline:partner-lead:lead:lea_missing', false],
  ['😀', false],
  ['é\u0301', false],
  ['a/b', false],
  ['a%2Fb', true],
  [' ', false],
  ['\t\n', false],
];
const BAD_TYPES: Array<[string, boolean]> = [
  ['bad$type', false],
  ['a.b', false],
  ['', true],
  ['t'.repeat(65), false],
  ['%E0%A4%A', true],
  ['ü', false],
  ['a b', false],
  ['{}', false],
];
const BAD_QUERIES = [
  'limit=101',
  'limit=abc',
  'limit=-1',
  'limit=1e309',
  'limit=',
  'offset=-5',
  'offset=99999999999999999999',
  'limit=1&limit=2',
  'limit[]=1',
  'limit[$gt]=0',
  '__proto__[polluted]=1',
  'constructor[prototype][polluted]=1',
  'status=bogus',
  'stage=a%20b',
  'pipelineKey=%00',
  'pipelineKey=' + 'k'.repeat(65),
  'ownerId=' + 'o'.repeat(101),
  'unknown=1',
  'q=%E0%A4%A',
  '&&&===',
  'a'.repeat(3_000) + '=1',
];
const EXTRA_KEYS = [
  'ownerId',
  'companyId',
  'creatorId',
  'version',
  'archived',
  'stage',
  'status',
  'id',
  'type',
  'privateFields',
  'participants',
  'partnerCompanyId',
  'isAdmin',
  'roles',
  'constructor',
  'prototype',
  'toString',
  '$where',
  '$set',
  'a.b',
  '',
];
const WRONG_CONTENT_TYPES = [
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/merge-patch+json',
  'application/json-patch+json',
  'application/jsonx',
  'application/json; charset=latin1',
  'application/json; charset=utf-7',
  '*/*',
  'json',
];
const INVALID_UTF8 = [
  [0xff],
  [0xfe, 0xff],
  [0xc3, 0x28],
  [0xa0, 0xa1],
  [0xe2, 0x28, 0xa1],
  [0xe2, 0x82],
  [0xf0, 0x28, 0x8c, 0xbc],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
];
const NOT_JSON = ['{fields: 1}', "{'a': 1}", '{"a": 1,}', '{"a": 1}}', '{"a": undefined}', '{"a": NaN}', '{"a": 0x10}', '\u0000', '{"a":"\u0001"}', '{"a": "b" "c": 1}', 'undefined', '{"a": .5}', '{"a": 01}'];
const NOT_OBJECTS = ['[]', '[1, 2]', '[{}]', '"string"', '42', 'true', 'null', '-0', '""'];
const ENCODINGS = ['gzip', 'deflate', 'br', 'x-unknown', 'gzip, gzip', 'identity, br'];

const VALID_BODIES: Record<string, (w: SecurityWorld) => Json> = {
  'POST /v1/companies': () => ({ name: 'Fuzz Co', kind: 'partner', admin: { name: 'Fuzz Admin', email: 'fuzz-admin@example.test' } }),
  'POST /v1/users': (w) => ({ companyId: w.companies.owner, name: 'Fuzz', email: 'fuzz@example.test', roles: ['sales'], attributes: { region: 'EU' } }),
  'PATCH /v1/users/{id}': () => ({ name: 'Renamed', roles: ['sales'], department: 'Sales' }),
  'POST /v1/pipelines': () => ({ key: 'fuzz-pipeline', name: 'Fuzz', objectType: 'thing', stageField: 'stage', stages: [{ key: 'a', name: 'A', initial: true }] }),
  'POST /v1/object-types': () => ({ key: 'fuzz_type', name: 'Fuzz type' }),
  'PUT /v1/pipelines/{key}': () => ({ name: 'Fuzz', objectType: 'thing', stageField: 'stage', stages: [{ key: 'a', name: 'A', initial: true }] }),
  'POST /v1/webhooks': (w) => ({ companyId: w.companies.owner, url: 'http://127.0.0.1:9/hook', events: ['deadline.fired'] }),
  'PATCH /v1/webhooks/{id}': () => ({ url: 'http://127.0.0.1:9/moved', events: ['deadline.fired'] }),
  'POST /v1/users/{id}/api-keys': () => ({ expiresAt: '2031-01-01T00:00:00Z', reason: 'fuzz' }),
  'POST /v1/records/{type}': (w) => ({ fields: { title: 'Fuzz', amount: 5 }, partnerCompanyId: w.companies.partnerA }),
  'POST /v1/records/{type}/search': () => ({ filter: { op: 'gte', path: 'record.amount', value: 1 }, limit: 10 }),
  'POST /v1/webhooks/{id}/deliveries/{deliveryId}/redeliver': () => ({}),
  'POST /v1/webhooks/{id}/rotate-secret': () => ({}),
  'POST /v1/webhooks/{id}/test': () => ({}),
  'PATCH /v1/records/{type}/{id}': () => ({ fields: { note: 'fuzz' }, version: 1 }),
  'POST /v1/instances': (w) => ({ pipelineKey: MANUAL_KEY, recordId: w.partnerBNote }),
  'POST /v1/instances/{id}/moves': () => ({ to: 'accepted', fields: { note: 'x' }, reason: 'fuzz' }),
  'POST /v1/instances/{id}/tasks/{taskId}/complete': () => ({ fields: { schemeDesign: 'proposal.pdf' } }),
  'POST /v1/instances/{id}/reactivate': () => ({ reason: 'fuzz' }),
  'POST /v1/instances/{id}/cancel': () => ({ reason: 'fuzz' }),
  'POST /v1/leads/{id}/accept': () => ({}),
  'POST /v1/leads/{id}/decline': () => ({ reason: 'fuzz' }),
  'POST /v1/leads/{id}/convert': () => ({ opportunity: { fields: { title: 'From fuzz' } } }),
  'POST /v1/leads/{id}/close': () => ({ reason: 'fuzz' }),
  'POST /v1/leads/{id}/reassign': (w) => ({ partnerCompanyId: w.companies.partnerB }),
  'PUT /v1/leads/{id}/expiration': () => ({ expiresAt: '2031-01-01T00:00:00Z' }),
};

/** Properties whose absence the route makes up for, although the schema lists them as required. */
const FILLED_BY_ROUTE: Record<string, string[]> = { 'PUT /v1/pipelines/{key}': ['key'] };

/** A JSON value of another JSON type than the schema allows. */
function wrongValues(schema: Schema): Json[] {
  const allowed = new Set(Array.isArray(schema.type) ? schema.type : [schema.type]);
  const samples: Array<[string, Json]> = [
    ['string', 'x'],
    ['number', 1.5],
    ['integer', 7],
    ['boolean', true],
    ['null', null],
    ['array', [1, 'a']],
    ['object', { a: 1 }],
  ];
  return samples
    .filter(([kind]) => !allowed.has(kind) && !(kind === 'integer' && allowed.has('number')))
    .map(([, value]) => value);
}

const utf8 = (text: string) => new TextEncoder().encode(text);

describe('Hostile input fuzzer', () => {
  let h: Harness;
  let w: SecurityWorld;
  let ops: Operation[];
  let before: World;
  let instanceIds: string[];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  /** Ids of objects that exist, by kind, and which users may act on them. */
  let realIds: string[];
  let foreignIds: Map<string, string[]>;
  let senders: Sender[];

  beforeAll(async () => {
    h = await startHarness({ webhookAllowNetworks: RECEIVER_NETWORKS });
    w = await seedSecurityWorld(h);
    const accepted = await w.fresh.acceptedLead();
    const declined = await w.fresh.declinedLead();
    const leadOfB = await w.fresh.lead('B');
    const lost = await w.fresh.lostOpportunity();
    const ticket = await w.fresh.ticket();
    const ticketStart = await call(h, 'POST', '/v1/instances', { user: w.as.sales, body: { pipelineKey: MANUAL_KEY, recordId: ticket } });
    expect(ticketStart.status).toBe(201);
    instanceIds = [w.lead.instanceId, accepted.instanceId, declined.instanceId, leadOfB.instanceId, w.opportunity.instanceId, lost.instanceId, ticketStart.body.instanceId];

    const doc = (await call(h, 'GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, { security?: unknown[]; parameters?: Array<{ in?: string; name?: string }>; requestBody?: { content: Record<string, { schema: Schema }> } }>>;
    };
    ops = Object.entries(doc.paths).flatMap(([template, item]) =>
      Object.entries(item).map(([method, op]) => ({
        key: `${method.toUpperCase()} ${template}`,
        method: method.toUpperCase(),
        template,
        pathParams: [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!),
        query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name!),
        body: op.requestBody?.content['application/json']?.schema,
        public: Array.isArray(op.security) && op.security.length === 0,
      })),
    );

    // Every id the world holds, and for each user those it may not act on (another company's, another user's).
    const people = await h.db.collection(COLLECTIONS.users).find({}).toArray();
    const keys = await h.db.collection(COLLECTIONS.apiKeys).find({}).toArray();
    const allRecords = await h.db.collection(COLLECTIONS.records).find({}).toArray();
    const projections = await h.db.collection(COLLECTIONS.instances).find({}).toArray();
    const pipelineDocs = await h.db.collection(COLLECTIONS.pipelines).find({}).toArray();
    const pipelineKeys = [...new Set(pipelineDocs.map((p) => String(p.key)))];
    /** Keys of other companies' pipelines that the company has none of: a 404 by key. */
    const othersPipelineKeys = (companyId: string | undefined) => {
      const own = new Set(pipelineDocs.filter((p) => p.companyId === companyId).map((p) => String(p.key)));
      return pipelineKeys.filter((k) => !own.has(k));
    };
    const companies = (await h.db.collection(COLLECTIONS.companies).find({}).toArray()).map((c) => String(c._id));
    const tasks = (await h.db.collection(COLLECTIONS.tasks).find({}).toArray()).map((t) => String(t._id));
    realIds = [
      ...allRecords.map((r) => String(r._id)),
      ...projections.map((p) => String(p._id)),
      ...people.map((u) => String(u._id)),
      ...keys.map((k) => String(k._id)),
      ...pipelineKeys,
      ...companies,
      ...tasks,
      w.opportunity.taskId,
      w.webhookId,
    ];
    const users: Array<[string, TestUser]> = [
      ['operator', w.as.operator!],
      ['admin', w.as.admin!],
      ['owner2_admin', w.as.owner2_admin!],
      ['sales', w.as.sales!],
      ['partnerA_user', w.as.partnerA_user!],
      ['partnerA_admin', w.as.partnerA_admin!],
      ['partnerB_user', w.as.partnerB_user!],
      ['partnerB_admin', w.demo.users.partnerB_admin],
    ];
    foreignIds = new Map();
    for (const [name, user] of users) {
      const actor: Actor = user.actor;
      if (actor.roles.includes('admin')) {
        // A Company Admin: other companies' records, runs, people, keys, pipelines and webhooks.
        const unseen = allRecords.filter((r) => !canSeeRecord(actor, r as unknown as RecordView)).map((r) => String(r._id));
        const others = people.filter((u) => u.companyId !== actor.companyId).map((u) => String(u._id));
        foreignIds.set(name, [
          ...unseen,
          ...projections.filter((p) => unseen.includes(String(p.recordId))).map((p) => String(p._id)),
          ...others,
          ...keys.filter((k) => others.includes(String(k.userId))).map((k) => String(k._id)),
          ...othersPipelineKeys(actor.companyId),
          ...(actor.companyId === w.companies.owner ? [] : [w.webhookId]),
        ]);
        continue;
      }
      if (actor.roles.includes('operator')) {
        // Every record route is refused the operator; of people it sees only the companies' admins, whose keys it may renew and revoke.
        const seen = people.filter((u) => u.companyId === actor.companyId || (u.roles as string[]).some((r) => ['admin', 'partner_admin'].includes(r)));
        const seenIds = seen.map((u) => String(u._id));
        foreignIds.set(name, [
          ...allRecords.map((r) => String(r._id)),
          ...projections.map((p) => String(p._id)),
          ...people.filter((u) => !seen.includes(u)).map((u) => String(u._id)),
          ...keys.filter((k) => !seenIds.includes(String(k.userId))).map((k) => String(k._id)),
          ...pipelineKeys,
          w.webhookId,
        ]);
        continue;
      }
      const unseen = allRecords.filter((r) => !canSeeRecord(actor, r as unknown as RecordView)).map((r) => String(r._id));
      const unseenInstances = projections.filter((p) => unseen.includes(String(p.recordId))).map((p) => String(p._id));
      foreignIds.set(name, [
        ...unseen,
        ...unseenInstances,
        ...people.filter((u) => String(u._id) !== actor.userId).map((u) => String(u._id)),
        ...keys.filter((k) => k.userId !== actor.userId).map((k) => String(k._id)),
        ...othersPipelineKeys(actor.companyId),
        w.webhookId,
      ]);
    }
    senders = [
      ...users.map(([name, user]): Sender => ({ kind: 'user', name, user })),
      { kind: 'anonymous' },
      { kind: 'header', name: 'revoked', value: `Bearer ${w.as.revoked!.apiKey}` },
      { kind: 'header', name: 'unknown key', value: 'Bearer pk_not_a_key' },
      { kind: 'header', name: 'empty bearer', value: 'Bearer ' },
      { kind: 'header', name: 'basic', value: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
      { kind: 'header', name: 'key without scheme', value: w.as.admin!.apiKey },
      { kind: 'header', name: 'two keys', value: `Bearer ${w.as.admin!.apiKey} ${w.as.sales!.apiKey}` },
      { kind: 'header', name: 'huge key', value: `Bearer ${'k'.repeat(8_000)}` },
      { kind: 'header', name: 'latin1 key', value: `Bearer clé${w.as.admin!.apiKey}` },
    ];

    // A valid analytics or scorecard read folds the rollup's inbox (moves facts, adds none): fold it now, so any
    // change to the rollup after this is one a refused request made.
    const waiting = await h.db.collection(COLLECTIONS.stageFactInbox).find({}).toArray();
    for (const key of new Set(waiting.map((f) => `${f.companyId}\u0000${f.pipelineKey}`))) {
      const [companyId, pipelineKey] = key.split('\u0000') as [string, string];
      await h.stores.rollup.fold(companyId, pipelineKey);
    }
    before = await readWorld(h, { instanceIds, exclude: BOOKKEEPING });
  });
  afterAll(async () => {
    agent.destroy();
    w?.demo.cleanup();
    await h?.stop();
  });

  // ---------------------------------------------------------------- arbitraries

  const authHeaders = (sender: Sender): Record<string, string> =>
    sender.kind === 'user' ? { authorization: `Bearer ${sender.user.apiKey}` } : sender.kind === 'header' ? { authorization: sender.value } : {};
  const senderName = (sender: Sender) => (sender.kind === 'anonymous' ? 'anonymous' : sender.name);

  /** A path for the operation with each parameter taken from `pick`. */
  function fill(op: Operation, values: Array<[string, boolean]>): string {
    let i = 0;
    return op.template.replace(/\{(\w+)\}/g, () => {
      const [value, raw] = values[i++]!;
      return raw ? value : enc(value);
    });
  }

  /** Path parameter values: anything at all (ids that exist, of any company, and bad ones). */
  const anyParam = (name: string): fc.Arbitrary<[string, boolean]> =>
    fc.oneof(
      fc.constantFrom(...realIds).map((v): [string, boolean] => [v, false]),
      fc.constantFrom(...BAD_IDS),
      fc.string({ unit: 'grapheme', maxLength: 40 }).map((v): [string, boolean] => [v, false]),
      ...(name === 'type' ? [fc.constantFrom<[string, boolean]>(['lead', false], ['opportunity', false], ['ticket', false], ['note', false]), fc.constantFrom(...BAD_TYPES)] : []),
      ...(name === 'version' ? [fc.constantFrom<[string, boolean]>(['1', false], ['2', false], ['0', false], ['abc', false], ['999999999', false], ['1e3', false])] : []),
    );

  /** Values a sender may not act on: ids that do not exist or are malformed, and for non-admins other companies' and users' objects. */
  const targetParam = (name: string, sender: Sender, creates: boolean): fc.Arbitrary<[string, boolean]> => {
    if (name === 'type') return creates ? fc.constantFrom(...BAD_TYPES) : fc.constantFrom<[string, boolean]>(['lead', false], ['opportunity', false], ['ticket', false], ...BAD_TYPES);
    const foreign = sender.kind === 'user' ? (foreignIds.get(sender.name) ?? []) : [];
    return fc.oneof(
      fc.constantFrom(...BAD_IDS),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).map((v): [string, boolean] => [`missing_${v}`, false]),
      ...(foreign.length ? [fc.constantFrom(...foreign).map((v): [string, boolean] => [v, false])] : []),
    );
  };

  const pathFor = (op: Operation, param: (name: string) => fc.Arbitrary<[string, boolean]>) =>
    (op.pathParams.length ? fc.tuple(...op.pathParams.map(param)) : fc.constant([] as Array<[string, boolean]>)).map((values) => fill(op, values));

  const queryArb = (op: Operation) =>
    fc.oneof(
      fc.constant(''),
      fc.subarray(BAD_QUERIES, { minLength: 1, maxLength: 3 }).map((qs) => `?${qs.join('&')}`),
      fc.dictionary(fc.constantFrom(...op.query, 'x', '__proto__'), fc.string({ unit: 'grapheme', maxLength: 20 }), { maxKeys: 3 }).map((q) => `?${new URLSearchParams(q).toString()}`),
    );

  /** Mostly users with a valid key (whose requests get past authentication), sometimes a caller without one. */
  const senderArb = () =>
    fc.oneof({ arbitrary: fc.constantFrom(...senders.filter((s) => s.kind === 'user')), weight: 4 }, { arbitrary: fc.constantFrom(...senders.filter((s) => s.kind !== 'user')), weight: 1 });
  const userArb = () => fc.constantFrom(...senders.filter((s) => s.kind === 'user'));
  const unauthenticatedArb = () => fc.constantFrom(...senders.filter((s) => s.kind !== 'user'));

  const validBody = (op: Operation): Json => VALID_BODIES[op.key]?.(w) ?? {};

  /** One change to a valid body that its schema must refuse. */
  function schemaDefects(op: Operation): Array<fc.Arbitrary<{ name: string; apply: (body: Record<string, Json>) => void }>> {
    const schema = op.body;
    const defects: Array<fc.Arbitrary<{ name: string; apply: (body: Record<string, Json>) => void }>> = [];
    const known = new Set(Object.keys(schema?.properties ?? {}));
    // Routes without a body schema take no body: any key is extra.
    if (!schema || schema.additionalProperties === false) {
      defects.push(
        fc
          .tuple(fc.oneof(fc.constantFrom(...EXTRA_KEYS), fc.string({ unit: 'binary', maxLength: 20 })), fc.jsonValue({ maxDepth: 2, stringUnit: 'binary' }))
          .filter(([key]) => !known.has(key) && key !== '__proto__')
          .map(([key, value]) => ({ name: `extra field ${JSON.stringify(key)}`, apply: (b) => void (b[key] = value as Json) })),
      );
    }
    const required = (schema?.required ?? []).filter((k) => !FILLED_BY_ROUTE[op.key]?.includes(k));
    if (required.length) {
      defects.push(fc.constantFrom(...required).map((key) => ({ name: `missing ${key}`, apply: (b) => void delete b[key] })));
    }
    const typed = Object.entries(schema?.properties ?? {}).filter(([, s]) => s.type !== undefined && wrongValues(s).length > 0);
    if (typed.length) {
      defects.push(
        fc
          .constantFrom(...typed)
          .chain(([key, s]) => fc.constantFrom(...wrongValues(s)).map((value) => ({ name: `${key} of the wrong type`, apply: (b: Record<string, Json>) => void (b[key] = value) }))),
      );
      // Deep nesting where a scalar belongs (within the body depth limit, so the schema is what refuses it).
      const scalars = typed.filter(([, s]) => !['array', 'object'].some((t) => (Array.isArray(s.type) ? s.type : [s.type]).includes(t)));
      if (scalars.length) {
        defects.push(
          fc.tuple(fc.constantFrom(...scalars.map(([k]) => k)), fc.integer({ min: 2, max: 60 })).map(([key, depth]) => ({
            name: `${key} nested ${depth} deep`,
            apply: (b: Record<string, Json>) => {
              let value: Json = 'x';
              for (let i = 0; i < depth; i += 1) value = i % 2 ? [value] : { v: value };
              b[key] = value;
            },
          })),
        );
      }
    }
    const longStrings = Object.entries(schema?.properties ?? {}).filter(([, s]) => typeof s.maxLength === 'number');
    if (longStrings.length) {
      defects.push(
        fc.tuple(fc.constantFrom(...longStrings), fc.integer({ min: 1, max: 200_000 })).map(([[key, s], extra]) => ({
          name: `${key} of ${s.maxLength! + extra} characters`,
          apply: (b: Record<string, Json>) => void (b[key] = 'x'.repeat(s.maxLength! + extra)),
        })),
      );
    }
    const longArrays = Object.entries(schema?.properties ?? {}).filter(([, s]) => typeof s.maxItems === 'number');
    if (longArrays.length) {
      defects.push(
        fc.tuple(fc.constantFrom(...longArrays), fc.integer({ min: 1, max: 20_000 })).map(([[key, s], extra]) => ({
          name: `${key} with ${s.maxItems! + extra} items`,
          apply: (b: Record<string, Json>) => void (b[key] = Array.from({ length: s.maxItems! + extra }, () => 'x')),
        })),
      );
    }
    if (schema?.properties?.fields) {
      defects.push(
        fc
          .tuple(
            fc.constantFrom('constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'a.b', '$set', '1st', '', 'f'.repeat(65)),
            fc.jsonValue({ maxDepth: 1, stringUnit: 'binary' }),
          )
          .map(([key, value]) => ({
            name: `field named ${JSON.stringify(key)}`,
            apply: (b: Record<string, Json>) => {
              const fields = b.fields && typeof b.fields === 'object' && !Array.isArray(b.fields) ? b.fields : (b.fields = {});
              (fields as Record<string, Json>)[key] = value as Json;
            },
          })),
        fc.constantFrom<Json>({ $inc: 1 }, [[1]], [{ a: 1 }], 'x'.repeat(10_001), Array.from({ length: 101 }, () => 1)).map((value) => ({
          name: 'a field value no record may hold',
          apply: (b: Record<string, Json>) => {
            b.fields = { ...(b.fields && typeof b.fields === 'object' && !Array.isArray(b.fields) ? b.fields : {}), bad: value };
          },
        })),
        fc.integer({ min: 201, max: 2_000 }).map((n) => ({
          name: `${n} fields`,
          apply: (b: Record<string, Json>) => void (b.fields = Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, i]))),
        })),
      );
    }
    return defects;
  }

  /** Malformed on the wire: refused before any route reads it, whatever the route. */
  const transportDefects = (op: Operation): fc.Arbitrary<{ defect: string; body: Uint8Array; headers: Record<string, string>; chunked?: boolean }> => {
    const text = JSON.stringify(validBody(op));
    const json = { 'content-type': 'application/json' };
    return fc.oneof(
      fc.integer({ min: 1, max: Math.max(1, text.length - 1) }).map((n) => ({ defect: `JSON cut after ${n} characters`, body: utf8(text.slice(0, n)), headers: json })),
      fc.constantFrom(...NOT_JSON).map((t) => ({ defect: `not JSON: ${JSON.stringify(t).slice(0, 30)}`, body: utf8(t), headers: json })),
      fc
        .string({ unit: 'binary', minLength: 1, maxLength: 60 })
        .map((s) => `{${s}`)
        .filter((t) => {
          try {
            JSON.parse(t);
            return false;
          } catch {
            return true;
          }
        })
        .map((t) => ({ defect: 'random text', body: utf8(t), headers: json })),
      fc.constantFrom(...NOT_OBJECTS).map((t) => ({ defect: `JSON ${t} instead of an object`, body: utf8(t), headers: json })),
      fc.tuple(fc.constantFrom(...INVALID_UTF8), fc.integer({ min: 0, max: text.length })).map(([bytes, at]) => {
        // Inside a string value when there is one, else anywhere.
        const quote = text.indexOf('":"');
        const where = quote >= 0 ? quote + 3 : at;
        const raw = utf8(text);
        const prefix = utf8(text.slice(0, where)).length;
        return {
          defect: `invalid UTF-8 ${bytes.map((b) => b.toString(16)).join(' ')}`,
          body: new Uint8Array([...raw.subarray(0, prefix), ...bytes, ...raw.subarray(prefix)]),
          headers: json,
        };
      }),
      fc.constantFrom(...WRONG_CONTENT_TYPES).map((type) => ({ defect: `content type ${type}`, body: utf8(text), headers: { 'content-type': type } })),
      fc.constant({ defect: 'a body without a content type', body: utf8(text), headers: {} as Record<string, string> }),
      fc.tuple(fc.integer({ min: 257 * 1024, max: 1_200 * 1024 }), fc.boolean()).map(([size, chunked]) => ({
        defect: `${Math.round(size / 1024)} kB body${chunked ? ' chunked' : ''}`,
        body: utf8(`{"fields":{"blob":"${'x'.repeat(size)}"}}`),
        headers: json,
        chunked,
      })),
      fc.tuple(fc.integer({ min: 65, max: 20_000 }), fc.boolean()).map(([depth, arrays]) => ({
        defect: `nested ${depth} deep`,
        body: utf8(`{"fields":{"deep":${(arrays ? '[' : '{"a":').repeat(depth)}1${(arrays ? ']' : '}').repeat(depth)}}}`),
        headers: json,
      })),
      fc.tuple(fc.jsonValue({ maxDepth: 2, stringUnit: 'binary' }), fc.boolean()).map(([value, nested]) => ({
        defect: `"__proto__" key${nested ? ' in fields' : ''}`,
        body: utf8(nested ? `{"fields":{"__proto__":${JSON.stringify(value)}}}` : `{"__proto__":${JSON.stringify(value)},${text.slice(1)}`.replace(',}', '}')),
        headers: json,
      })),
      fc.constantFrom(...ENCODINGS).map((encoding) => ({
        defect: `content-encoding ${encoding} of bytes that are not`,
        body: utf8(text),
        headers: { ...json, 'content-encoding': encoding },
      })),
      fc.integer({ min: 300, max: 20_000 }).map((kb) => ({
        defect: `gzip inflating to ${kb} kB`,
        body: new Uint8Array(zlib.gzipSync(Buffer.from(`{"fields":{"z":"${'0'.repeat(kb * 1024)}"}}`))),
        headers: { ...json, 'content-encoding': 'gzip' },
      })),
    );
  };

  /** A request the API must refuse (or, for a read, may answer), built from the operation. */
  function requestArb(op: Operation): fc.Arbitrary<Generated> {
    const modes: Array<{ arbitrary: fc.Arbitrary<Generated>; weight: number }> = [];
    const push = (weight: number, arbitrary: fc.Arbitrary<Generated>) => modes.push({ arbitrary, weight });
    const hasBody = op.method !== 'GET';

    if (op.method === 'GET') {
      // Reads change nothing whatever they get: any caller, any ids, bad queries, even a body.
      push(
        4,
        fc
          .tuple(senderArb(), pathFor(op, anyParam), queryArb(op), fc.option(fc.constantFrom(...NOT_JSON, '{"a":1}', '[]'), { nil: undefined }))
          .map(([sender, path, query, body]) => ({
            mode: 'read',
            defects: [query ? 'query' : 'ids', ...(body ? ['a body on a GET'] : [])],
            sender: senderName(sender),
            request: { method: op.method, path: `${path}${query}`, headers: { ...authHeaders(sender), ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? utf8(body) : undefined },
          })),
      );
    }
    if (hasBody) {
      push(
        4,
        fc.tuple(userArb(), pathFor(op, anyParam), transportDefects(op)).map(([sender, path, t]) => ({
          mode: 'transport',
          defects: [t.defect],
          sender: senderName(sender),
          request: { method: op.method, path, headers: { ...authHeaders(sender), ...t.headers }, body: t.body, chunked: t.chunked },
        })),
      );
      const defects = schemaDefects(op);
      if (defects.length) {
        push(
          4,
          fc.tuple(userArb(), pathFor(op, anyParam), fc.array(fc.oneof(...defects), { minLength: 1, maxLength: 3 })).map(([sender, path, changes]) => {
            const body = structuredClone(validBody(op)) as Record<string, Json>;
            for (const change of changes) change.apply(body);
            return {
              mode: 'schema',
              defects: changes.map((c) => c.name),
              sender: senderName(sender),
              request: { method: op.method, path, headers: { ...authHeaders(sender), 'content-type': 'application/json' }, body: utf8(JSON.stringify(body)) },
            };
          }),
        );
      }
      // A well-formed body aimed at something the caller may not touch: a missing or malformed id, or another company's.
      const creates = op.key === 'POST /v1/records/{type}';
      if (op.pathParams.length || op.key === 'POST /v1/instances') {
        push(
          2,
          userArb().chain((sender) =>
            fc
              .tuple(pathFor(op, (name) => targetParam(name, sender, creates)), op.key === 'POST /v1/instances' ? targetParam('id', sender, false) : fc.constant(undefined))
              .map(([path, recordId]) => {
                const body = validBody(op) as Record<string, Json>;
                if (recordId) body.recordId = recordId[0];
                return {
                  mode: 'target',
                  defects: [recordId ? `recordId ${recordId[0].slice(0, 40)}` : 'ids'],
                  sender: senderName(sender),
                  request: { method: op.method, path, headers: { ...authHeaders(sender), 'content-type': 'application/json' }, body: utf8(JSON.stringify(body)) },
                };
              }),
          ),
        );
      }
    }
    if (!op.public) {
      // The real thing, with a good body and real ids, but no valid key.
      push(
        1,
        fc.tuple(unauthenticatedArb(), pathFor(op, anyParam)).map(([sender, path]) => ({
          mode: 'auth',
          defects: [senderName(sender)],
          sender: senderName(sender),
          request: {
            method: op.method,
            path,
            headers: { ...authHeaders(sender), ...(hasBody ? { 'content-type': 'application/json' } : {}) },
            body: hasBody ? utf8(JSON.stringify(validBody(op))) : undefined,
          },
        })),
      );
    }
    if (hasBody && (op.key.startsWith('POST /v1/instances') || op.key.startsWith('POST /v1/leads') || op.key === 'PATCH /v1/records/{type}/{id}')) {
      const header = op.key.startsWith('PATCH')
        ? fc.constantFrom('abc', '"-1"', '"1e3"', '*', 'W/"x"', '"9999999999"', '""', '"1", "2"').map((v) => ({ 'if-match': v }))
        : fc.constantFrom('k'.repeat(201), 'two words', 'clé', '', '\t', 'a\u00a0b').map((v) => ({ 'idempotency-key': v }));
      push(
        1,
        fc.tuple(userArb(), pathFor(op, anyParam), header).map(([sender, path, extra]) => ({
          mode: 'header',
          defects: [Object.entries(extra).map(([k, v]) => `${k}: ${JSON.stringify(v).slice(0, 20)}`).join()],
          sender: senderName(sender),
          request: { method: op.method, path, headers: { ...authHeaders(sender), 'content-type': 'application/json', ...extra }, body: utf8(JSON.stringify(validBody(op))) },
        })),
      );
    }
    return fc.oneof(...modes);
  }


  // ---------------------------------------------------------------- the run

  it('When the generated bad requests are sent, then no answer is ≥ 500, every refusal is in the error format, and nothing changes', async () => {
    const bodied = ops.filter((op) => op.body).map((op) => op.key);
    expect(bodied.filter((key) => !VALID_BODIES[key])).toEqual([]);

    const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort().join();
    const byStatus = new Map<number, number>();
    const byMode = new Map<string, number>();
    const byOperation = new Map<string, number>();
    const problems: string[] = [];
    let sent = 0;
    let serverErrors = 0;
    const started = Date.now();

    /** POSTs that only read (a search's filter is a body): a 200 to one changes nothing. */
    const READING_POSTS = new Set(['POST /v1/records/{type}/search']);
    const check = (op: Operation, g: Generated, res: RawResponse | Error): string | undefined => {
      if (res instanceof Error) return `no answer: ${res.message}`;
      if (res.status >= 500) return `answered ${res.status}: ${res.text.slice(0, 300)}`;
      if (res.status >= 400 && !isErrorBody(res.json)) return `${res.status} not in the error format: ${res.text.slice(0, 300)}`;
      if (g.request.method !== 'GET' && !READING_POSTS.has(op.key) && res.status < 400) return `a write was accepted with ${res.status}: ${res.text.slice(0, 300)}`;
      if (Object.getOwnPropertyNames(Object.prototype).sort().join() !== prototypeNames || ({} as Record<string, unknown>).polluted !== undefined) {
        return 'Object.prototype was changed';
      }
      return undefined;
    };

    // Each operation gets its share of the runs (so every one is reached), with a seed of its own derived from SEED.
    const share = (i: number) => Math.floor(RUNS / ops.length) + (i < RUNS % ops.length ? 1 : 0);
    for (const [i, op] of ops.entries()) {
      const numRuns = share(i);
      if (numRuns === 0) continue;
      const seed = (SEED + i * 7_919) | 0;
      const result = await fc.check(
        fc.asyncProperty(requestArb(op), async (g) => {
          let res: RawResponse | Error;
          try {
            res = await rawRequest(h.apiUrl, g.request, agent);
          } catch (err) {
            res = err as Error;
          }
          sent += 1;
          if (!(res instanceof Error)) {
            byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
            if (res.status >= 500) serverErrors += 1;
          }
          byMode.set(g.mode, (byMode.get(g.mode) ?? 0) + 1);
          byOperation.set(op.key, (byOperation.get(op.key) ?? 0) + 1);
          const problem = check(op, g, res);
          if (problem) throw new Error(`${problem}\n  ${g.mode} ${g.request.method} ${g.request.path.slice(0, 200)} as ${g.sender} [${g.defects.join('; ').slice(0, 200)}]`);
        }),
        { seed, numRuns, endOnFailure: true },
      );
      if (result.failed) {
        problems.push(`${op.key} (seed ${seed}, FUZZ_SEED=${SEED}): ${String((result.errorInstance as Error | undefined)?.message ?? result.counterexample)}`);
      }
    }

    const after = await readWorld(h, { instanceIds, exclude: BOOKKEEPING });
    const changes = worldChanges(before, after);
    const seconds = (Date.now() - started) / 1000;
    const list = (m: Map<string | number, number>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}: ${v}`).join(', ');
    process.stdout.write(
      [
        '',
        `Fuzzer (FUZZ_SEED=${SEED}, FUZZ_RUNS=${RUNS})`,
        `  requests sent        ${sent} in ${seconds.toFixed(1)} s to ${byOperation.size} of ${ops.length} operations`,
        `  by status            ${list(byStatus)}`,
        `  by kind of defect    ${list(byMode)}`,
        `  answers ≥ 500        ${serverErrors}`,
        `  failed properties    ${problems.length}`,
        `  state changes        ${changes.length} (MongoDB: every collection but ${Object.keys(BOOKKEEPING).join(', ')}; ${instanceIds.length} workflows: state and history length)`,
        ...problems.map((p) => `  ✗ ${p}`),
        ...changes.slice(0, 50).map((c) => `  ✗ ${c}`),
        '',
      ].join('\n'),
    );
    expect(problems).toEqual([]);
    expect(serverErrors).toBe(0);
    expect(changes).toEqual([]);
    expect(byOperation.size).toBe(Math.min(ops.length, RUNS));
  });
});
