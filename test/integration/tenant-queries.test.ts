import type { CommandStartedEvent } from 'mongodb';
import { COLLECTIONS } from '../../activities/store';
import { call, seedUser, type TestUser } from '../support/auth';
import { uid } from '../support/factories';
import { startHarness, type Harness } from '../support/harness';
import { RECEIVER_NETWORKS } from '../support/webhook-receiver';

/**
 * Issue 32, item 6: tenant filters are in the query, never in memory. Every
 * list route a Company Admin calls asks MongoDB only for its own company's
 * rows: each `find` it sends names the caller's company, and no answer holds
 * another company's rows. A route that read every company's rows and dropped
 * the others afterwards fails here even when its answer is right.
 */

interface Tenant {
  company: string;
  admin: TestUser;
  sales: TestUser;
}

describe('Tenant filters in the query', () => {
  let h: Harness;
  let acme: Tenant;
  let globex: Tenant;
  const commands: CommandStartedEvent[] = [];

  async function tenant(): Promise<Tenant> {
    const company = uid('cmp');
    const admin = await seedUser(h, { companyId: company, roles: ['admin'] });
    const sales = await seedUser(h, { companyId: company, roles: ['sales'] });
    const hook = await call(h, 'POST', '/v1/webhooks', { user: admin, body: { companyId: company, url: 'http://127.0.0.1:9/hook', events: ['deadline.fired'] } });
    expect(hook.status).toBe(201);
    expect((await call(h, 'POST', `/v1/users/${sales.actor.userId}/api-keys`, { user: admin })).status).toBe(201);
    const partner = await call(h, 'POST', '/v1/companies', { user: admin, body: { name: `Partner of ${company}`, kind: 'partner' } });
    expect(partner.status).toBe(201);
    return { company, admin, sales };
  }

  beforeAll(async () => {
    h = await startHarness({ worker: false, webhookAllowNetworks: RECEIVER_NETWORKS, onCommand: (event) => commands.push(event) });
    [acme, globex] = [await tenant(), await tenant()];
  });
  afterAll(async () => h?.stop());

  /** A read of one document by its id (authentication reading the caller's key and user): not a list. */
  const byId = (filter: Record<string, unknown>) => Object.keys(filter).length === 1 && typeof filter._id === 'string';

  /** The list queries (`find`s other than by id) one request sent to a collection, and its answer. */
  function sentTo(collection: string) {
    return commands.filter((c) => c.commandName === 'find' && c.command.find === collection).map((c) => c.command.filter as Record<string, unknown>).filter((f) => !byId(f));
  }

  async function finds(path: string, user: TestUser, collection: string) {
    commands.length = 0;
    const res = await call(h, 'GET', path, { user });
    expect(res.status).toBe(200);
    return { res, sent: sentTo(collection) };
  }

  it("When a Company Admin calls each tenant list, then every query names its company and no answer holds another company's rows", async () => {
    const lists: Array<[path: string, collection: string]> = [
      ['/v1/webhooks', COLLECTIONS.webhooks],
      ['/v1/companies', COLLECTIONS.companies],
      ['/v1/users', COLLECTIONS.users],
      ['/v1/audit', COLLECTIONS.audit],
      ['/v1/pipelines', COLLECTIONS.pipelines],
    ];
    const globexIds = async () => [
      globex.company,
      globex.admin.actor.userId,
      globex.sales.actor.userId,
      ...(await h.db.collection(COLLECTIONS.webhooks).find({ companyId: globex.company }).toArray()).map((d) => String(d._id)),
      ...(await h.db.collection(COLLECTIONS.companies).find({ programs: globex.company }).toArray()).map((d) => String(d._id)),
    ];
    const foreign = await globexIds();
    for (const [path, collection] of lists) {
      const { res, sent } = await finds(path, acme.admin, collection);
      expect({ path, queries: sent.length > 0 }).toEqual({ path, queries: true });
      for (const filter of sent) expect({ path, filter: JSON.stringify(filter) }).toEqual({ path, filter: expect.stringContaining(acme.company) });
      const text = JSON.stringify(res.body);
      expect({ path, foreign: foreign.filter((id) => text.includes(id)) }).toEqual({ path, foreign: [] });
    }

    // Keys are asked for by the company's users, found by a query naming the company.
    const keys = await finds('/v1/api-keys', acme.admin, COLLECTIONS.apiKeys);
    expect(sentTo(COLLECTIONS.users).map((f) => JSON.stringify(f))).toEqual([expect.stringContaining(acme.company)]);
    for (const filter of keys.sent) {
      const asked = (filter.userId as { $in: string[] }).$in;
      expect([...asked].sort()).toEqual([acme.admin.actor.userId, acme.sales.actor.userId].sort());
      expect(Object.keys(filter)).toEqual(['userId']);
    }
    expect(keys.sent.length).toBeGreaterThan(0);
    const holders = [acme.admin.actor.userId, acme.sales.actor.userId];
    expect(keys.res.body.items.map((k: { userId: string }) => k.userId).filter((id: string) => !holders.includes(id))).toEqual([]);
  });
});
