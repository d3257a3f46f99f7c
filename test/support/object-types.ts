import { call, seedUser, type TestUser } from './auth';
import type { Harness } from './harness';

/**
 * Registers object types for the company of `admin` through the API, as an
 * admin of a deployment does before its users create records of them (a
 * published pipeline registers its own). A company without an admin of the
 * test's gets one, seeded like the test's other users.
 */
export async function registerObjectTypes(h: Harness, admin: TestUser | { companyId: string }, ...keys: string[]): Promise<void> {
  const user = 'actor' in admin ? admin : await seedUser(h, { companyId: admin.companyId, roles: ['admin'] });
  for (const key of keys) {
    const res = await call(h, 'POST', '/v1/object-types', { user, body: { key } });
    if (res.status !== 201 && res.status !== 200) throw new Error(`registering object type ${key}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}
