import { COLLECTIONS } from '../../activities/store';
import { call, seedUser, type TestUser } from '../support/auth';
import { uid } from '../support/factories';
import { startHarness, type Harness } from '../support/harness';
import { RECEIVER_NETWORKS } from '../support/webhook-receiver';

jest.setTimeout(180_000);

/**
 * Issue 32, item 5: no lost updates on companies, users, API keys, pipeline
 * drafts and webhooks. FerretDB reads, modifies and writes a document back
 * without a transaction, so 50 writers of one document at once are the proof:
 * every change is either applied (200, with a version of its own) or refused
 * (409 conflict, or 412 stale_version for a stale If-Match), and none is lost.
 */
const WRITERS = 50;

type Answer = Awaited<ReturnType<typeof call>>;

/** 200s and 409 conflicts only; the 200s hold the versions after `start` one each, and the document is at the last. */
function expectNoLostWrite(what: string, answers: Answer[], versionOf: (body: any) => number, start: number, stored: number) {
  const applied = answers.filter((a) => a.status === 200);
  const others = answers.filter((a) => a.status !== 200).map((a) => `${a.status} ${a.body?.error?.code}`);
  process.stdout.write(`${what}: ${WRITERS} writers, ${applied.length} applied, ${answers.length - applied.length} refused (${[...new Set(others)].join(', ') || 'none'})\n`);
  expect(others.filter((o) => o !== '409 conflict')).toEqual([]);
  expect(applied.length).toBeGreaterThan(0);
  const versions = applied.map((a) => versionOf(a.body)).sort((x, y) => x - y);
  expect(versions).toEqual(Array.from({ length: applied.length }, (_, i) => start + 1 + i));
  for (const a of applied) expect(a.headers.get('etag')).toBe(`"${versionOf(a.body)}"`);
  expect(stored).toBe(start + applied.length);
  return applied;
}

/** Exactly one writer of a version wins; every other gets 412 stale_version. */
function expectOneWinner(answers: Answer[]) {
  expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
  expect(answers.filter((a) => a.status !== 200).map((a) => `${a.status} ${a.body.error.code}`)).toEqual(Array(WRITERS - 1).fill('412 stale_version'));
  return answers.find((a) => a.status === 200)!;
}

describe(`${WRITERS} concurrent writers of one document, on FerretDB`, () => {
  let h: Harness;
  let admin: TestUser;
  let company: string;
  const doc = (collection: string, id: string) => h.db.collection(collection).findOne({ _id: id as never }) as Promise<any>;
  const all = <T,>(make: (i: number) => Promise<T>) => Promise.all(Array.from({ length: WRITERS }, (_, i) => make(i)));

  beforeAll(async () => {
    h = await startHarness({ worker: false, webhookAllowNetworks: RECEIVER_NETWORKS });
    company = uid('cmp');
    admin = await seedUser(h, { companyId: company, roles: ['admin'] });
  });
  afterAll(async () => h?.stop());

  it(`When ${WRITERS} owner companies put one partner company in their programs at once, then every 200 is a member and no 409 is`, async () => {
    const partner = uid('cmp_partner');
    await h.stores.people.upsertCompany({ id: partner, name: partner, kind: 'partner', programs: [], createdAt: new Date().toISOString() });
    const owners = await all(() => seedUser(h, { roles: ['admin'] }));
    const answers = await all((i) => call(h, 'PUT', `/v1/companies/${partner}/programs/${owners[i]!.actor.companyId}`, { user: owners[i] }));
    const stored = await doc(COLLECTIONS.companies, partner);
    const applied = answers.map((a, i) => ({ a, owner: owners[i]!.actor.companyId! }));
    const members = applied.filter(({ a }) => a.status === 200).map(({ owner }) => owner);
    process.stdout.write(`programs: ${WRITERS} writers, ${members.length} applied\n`);
    expect(answers.filter((a) => a.status !== 200 && !(a.status === 409 && a.body.error.code === 'conflict'))).toEqual([]);
    expect([...stored.programs].sort()).toEqual([...members].sort());
    expect(stored.version).toBe(1 + members.length);
  });

  it(`When ${WRITERS} changes of one user race, then each applied one has a version of its own and a stale If-Match gets 412`, async () => {
    const user = await seedUser(h, { companyId: company, roles: ['sales'] });
    const path = `/v1/users/${user.actor.userId}`;
    const answers = await all((i) => call(h, 'PATCH', path, { user: admin, body: { name: `Writer ${i}`, attributes: { writer: i } } }));
    const stored = await doc(COLLECTIONS.users, user.actor.userId);
    const applied = expectNoLostWrite('users', answers, (b) => b.version, 1, stored.version);
    const last = applied.find((a) => a.body.version === stored.version)!;
    expect(stored).toMatchObject({ name: last.body.name, attributes: last.body.attributes });

    const winner = expectOneWinner(await all((i) => call(h, 'PATCH', path, { user: admin, body: { name: `Racer ${i}` }, headers: { 'if-match': `"${stored.version}"` } })));
    expect(await doc(COLLECTIONS.users, user.actor.userId)).toMatchObject({ name: winner.body.name, version: stored.version + 1 });
  });

  it(`When ${WRITERS} revocations of one API key race, then it is revoked once: one time, one version, one audit entry`, async () => {
    const holder = await seedUser(h, { companyId: company, roles: ['sales'] });
    const key = await h.stores.people.createApiKey(holder.actor.userId, new Date().toISOString());
    const answers = await all(() => call(h, 'POST', `/v1/api-keys/${key.id}/revoke`, { user: admin }));
    const stored = await doc(COLLECTIONS.apiKeys, key.id);
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(new Set(answers.map((a) => a.body.revokedAt))).toEqual(new Set([stored.revokedAt]));
    expect(stored.version).toBe(2);
    const entries = await h.db.collection(COLLECTIONS.audit).find({ kind: 'api_key.revoked', 'subject.keyId': key.id }).toArray();
    expect(entries).toHaveLength(1);
  });

  it(`When ${WRITERS} saves of one pipeline draft race, then each applied one has a revision of its own and a stale If-Match gets 412`, async () => {
    const key = uid('draft');
    const body = (name: string) => ({ name, objectType: `thing_${key}`, stageField: 'stage', stages: [{ key: 'a', name: 'A', initial: true }] });
    expect((await call(h, 'POST', '/v1/pipelines', { user: admin, body: { key, ...body('Draft') } })).status).toBe(201);
    const answers = await all((i) => call(h, 'PUT', `/v1/pipelines/${key}`, { user: admin, body: body(`Draft ${i}`) }));
    const stored = await doc(COLLECTIONS.pipelines, `${company}/${key}`);
    const applied = expectNoLostWrite('pipeline drafts', answers, (b) => b.revision, 1, stored.version);
    expect(stored.draft.name).toBe(applied.find((a) => a.body.revision === stored.version)!.body.draft.name);

    const winner = expectOneWinner(await all((i) => call(h, 'PUT', `/v1/pipelines/${key}`, { user: admin, body: body(`Racer ${i}`), headers: { 'if-match': `"${stored.version}"` } })));
    expect((await doc(COLLECTIONS.pipelines, `${company}/${key}`)).draft.name).toBe(winner.body.draft.name);
  });

  it(`When ${WRITERS} changes of one webhook race, then each applied one has a version of its own and a stale If-Match gets 412`, async () => {
    const created = await call(h, 'POST', '/v1/webhooks', { user: admin, body: { companyId: company, url: 'http://127.0.0.1:9/start', events: ['deadline.fired'] } });
    expect(created.status).toBe(201);
    const path = `/v1/webhooks/${created.body.id}`;
    const answers = await all((i) => call(h, 'PATCH', path, { user: admin, body: { url: `http://127.0.0.1:9/writer-${i}` } }));
    const stored = await doc(COLLECTIONS.webhooks, created.body.id);
    const applied = expectNoLostWrite('webhooks', answers, (b) => b.version, 1, stored.version);
    expect(stored.url).toBe(applied.find((a) => a.body.version === stored.version)!.body.url);

    const winner = expectOneWinner(await all((i) => call(h, 'PATCH', path, { user: admin, body: { url: `http://127.0.0.1:9/racer-${i}` }, headers: { 'if-match': `"${stored.version}"` } })));
    expect((await doc(COLLECTIONS.webhooks, created.body.id)).url).toBe(winner.body.url);
  });
});
