import { COLLECTIONS } from '../../activities/store';
import { registerObjectTypes } from '../support/object-types';
import type { PipelineDefinition } from '../../workflows/domain/types';
import { call, seedUser, type TestUser } from '../support/auth';
import { uid } from '../support/factories';
import { startHarness, type Harness } from '../support/harness';
import { createRecord, instancePath, publishPipeline, startInstance, testPipeline } from '../support/pipelines';

/**
 * Issue 32, item 4: people leave. Their own Company Admin deactivates them
 * (DELETE /v1/users/:id): their keys stop at once, their records, assignments
 * and audit events stay, and nobody can make them owner, assignee or
 * participant of anything again.
 */

/** Open (a task for `assignee`) → Done (invites `invited`). */
function staffed(key: string, assignee: string, invited: string): PipelineDefinition {
  return testPipeline(
    'Staffed',
    `ticket_${key}`,
    [
      {
        key: 'open',
        name: 'Open',
        type: 'normal',
        initial: true,
        tasks: [{ key: 'review', name: 'Review', kind: 'edit_fields', fields: ['note'], assignee: { kind: 'user', userId: assignee }, required: false }],
      },
      { key: 'done', name: 'Done', type: 'success', effects: { invite: { users: [invited] } } },
    ],
    { key },
  );
}

describe('Offboarding: a Company Admin deactivates a user', () => {
  let h: Harness;
  let company: string;
  let admin: TestUser;
  let otherAdmin: TestUser;
  const userDoc = (id: string) => h.db.collection(COLLECTIONS.users).findOne({ _id: id as never });

  beforeAll(async () => {
    h = await startHarness();
    company = uid('cmp');
    admin = await seedUser(h, { companyId: company, roles: ['admin'] });
    otherAdmin = await seedUser(h, { roles: ['admin'] });
  });
  afterAll(async () => h?.stop());

  /** A sales user of the company who owns a record with a running instance and did something on it. */
  async function leaver() {
    const user = await seedUser(h, { companyId: company, roles: ['sales'] });
    const def = staffed(uid('pl'), user.actor.userId, user.actor.userId);
    await publishPipeline(h, admin, def);
    const record = await createRecord(h, user, def.objectType, { fields: { title: 'Owned by the leaver' } });
    const started = await startInstance(h, user, def.key, record.id);
    expect(started.status).toBe(201);
    return { user, def, record, instanceId: started.body.instanceId as string };
  }

  it('When an admin deactivates a user, then its keys get 401 at once, and its records, instances, events and name stay', async () => {
    const { user, def, record, instanceId } = await leaver();
    const eventsBefore = await call(h, 'GET', `/v1/records/${def.objectType}/${record.id}/events`, { user: admin });
    expect((await call(h, 'GET', '/v1/me', { user })).status).toBe(200);

    const res = await call(h, 'DELETE', `/v1/users/${user.actor.userId}`, { user: admin });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: user.actor.userId, deactivatedAt: expect.any(String), deactivatedBy: admin.actor.userId });
    expect(res.headers.get('etag')).toBe('"2"');
    expect(await userDoc(user.actor.userId)).toMatchObject({ name: user.actor.userId, deactivatedAt: res.body.deactivatedAt, version: 2 });

    const refused = await call(h, 'GET', '/v1/me', { user });
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toContain('deactivated');
    expect((await call(h, 'GET', `/v1/records/${def.objectType}/${record.id}`, { user })).status).toBe(401);

    // What it owned and did stays as it was: the record, its instance, its audit events with its id, its name.
    const kept = await call(h, 'GET', `/v1/records/${def.objectType}/${record.id}`, { user: admin });
    expect(kept.body).toMatchObject({ ownerId: user.actor.userId, creatorId: user.actor.userId });
    expect((await call(h, 'GET', instancePath(instanceId), { user: admin })).body.status).toBe('running');
    const eventsAfter = await call(h, 'GET', `/v1/records/${def.objectType}/${record.id}/events`, { user: admin });
    expect(eventsAfter.body).toEqual(eventsBefore.body);
    expect(eventsAfter.body.items[0].actor.userId).toBe(user.actor.userId);
    expect((await call(h, 'GET', `/v1/users/${user.actor.userId}`, { user: admin })).body).toMatchObject({ name: user.actor.userId, deactivatedAt: res.body.deactivatedAt });
    const trail = await call(h, 'GET', '/v1/audit', { user: admin });
    expect(trail.body.items[0]).toMatchObject({ kind: 'user.deactivated', actor: { userId: admin.actor.userId }, subject: { userId: user.actor.userId, name: user.actor.userId } });

    // Twice is once: the first time stays, and nothing more is written.
    const again = await call(h, 'DELETE', `/v1/users/${user.actor.userId}`, { user: admin });
    expect(again.status).toBe(200);
    expect(again.body.deactivatedAt).toBe(res.body.deactivatedAt);
    expect((await userDoc(user.actor.userId))?.version).toBe(2);
  });

  it('When a deactivated user is named owner, assignee or participant, or given a key, then 422 inactive_user and nothing is written', async () => {
    const { user } = await leaver();
    expect((await call(h, 'DELETE', `/v1/users/${user.actor.userId}`, { user: admin })).status).toBe(200);
    const gone = user.actor.userId;
    const active = (await seedUser(h, { companyId: company, roles: ['sales'] })).actor.userId;
    const counts = async () => ({
      records: await h.db.collection(COLLECTIONS.records).countDocuments({}),
      pipelines: await h.db.collection(COLLECTIONS.pipelines).countDocuments({}),
      keys: await h.db.collection(COLLECTIONS.apiKeys).countDocuments({ userId: gone }),
    });
    await registerObjectTypes(h, admin, 'ticket');
    const before = await counts();
    const refusals = [
      await call(h, 'POST', '/v1/records/ticket', { user: admin, body: { fields: { title: 'x' }, ownerId: gone } }),
      await call(h, 'POST', '/v1/pipelines', { user: admin, body: staffed(uid('pl'), gone, active) }),
      await call(h, 'POST', '/v1/pipelines', { user: admin, body: staffed(uid('pl'), active, gone) }),
      await call(h, 'POST', `/v1/users/${gone}/api-keys`, { user: admin }),
    ];
    for (const res of refusals) {
      expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 422, code: 'inactive_user' });
    }
    expect(refusals[1]!.body.error.details).toEqual({ users: [gone] });
    expect(await counts()).toEqual(before);

    // A draft saved before the user left is refused when published, and when saved again.
    const draft = staffed(uid('pl'), active, active);
    expect((await call(h, 'POST', '/v1/pipelines', { user: admin, body: draft })).status).toBe(201);
    const renamed = staffed(draft.key, gone, active);
    const put = await call(h, 'PUT', `/v1/pipelines/${draft.key}`, { user: admin, body: renamed });
    expect(put.status).toBe(422);
    expect((await h.stores.pipelines.get(company, draft.key))?.draft.stages[0]!.tasks![0]!.assignee).toEqual({ kind: 'user', userId: active });
    await h.stores.pipelines.replaceDraft(company, draft.key, renamed, admin.actor.userId, new Date().toISOString());
    const publish = await call(h, 'POST', `/v1/pipelines/${draft.key}/publish`, { user: admin });
    expect(publish.status).toBe(422);
    expect(publish.body.error.code).toBe('inactive_user');
    expect(await h.stores.pipelines.listVersions(company, draft.key)).toEqual([]);
  });

  it('When someone else than its own Company Admin deactivates a user, or an admin itself, then it is refused and the user keeps working', async () => {
    const user = await seedUser(h, { companyId: company, roles: ['sales'] });
    const colleague = await seedUser(h, { companyId: company, roles: ['sales'] });
    for (const [who, status] of [[otherAdmin, 404], [colleague, 403], [user, 403]] as const) {
      const res = await call(h, 'DELETE', `/v1/users/${user.actor.userId}`, { user: who });
      expect(res.status).toBe(status);
    }
    const self = await call(h, 'DELETE', `/v1/users/${admin.actor.userId}`, { user: admin });
    expect(self.status).toBe(403);
    expect(self.body.error.message).toContain('itself');
    expect(await userDoc(user.actor.userId)).not.toHaveProperty('deactivatedAt');
    expect((await call(h, 'GET', '/v1/me', { user })).status).toBe(200);
    expect((await call(h, 'GET', '/v1/me', { user: admin })).status).toBe(200);
  });

  it('When a deactivated user is changed, then 409 user_deactivated and it stays as it was', async () => {
    const user = await seedUser(h, { companyId: company, roles: ['sales'] });
    expect((await call(h, 'DELETE', `/v1/users/${user.actor.userId}`, { user: admin })).status).toBe(200);
    const before = await userDoc(user.actor.userId);
    const res = await call(h, 'PATCH', `/v1/users/${user.actor.userId}`, { user: admin, body: { roles: ['admin'] } });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('user_deactivated');
    expect(await userDoc(user.actor.userId)).toEqual(before);
  });
});
