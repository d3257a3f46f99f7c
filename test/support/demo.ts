import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seedDemoWorld, type DemoCredentials } from '../../scripts/seed';
import type { TestUser } from './auth';
import type { Harness } from './harness';

/** The demo world's logins (scripts/seed.ts). */
export const DEMO_LOGINS = ['operator', 'admin', 'sales', 'initech_admin', 'initech_sales', 'partnerA_admin', 'partnerA_user', 'partnerB_admin', 'partnerB_user'] as const;
export type DemoLogin = (typeof DEMO_LOGINS)[number];

export interface DemoWorld {
  users: Record<DemoLogin, TestUser>;
  credentials: DemoCredentials;
  /** Platform company, the owning companies (Acme is `owner`, Initech `owner2`), partner A and partner B. */
  companies: { platform: string; owner: string; owner2: string; partnerA: string; partnerB: string };
  /** Removes the temporary credentials file. */
  cleanup(): void;
}

/**
 * Seeds the demo world into the harness database, exactly as `npm start` does
 * (credentials go to a temporary file, never `.data/`), and turns each demo
 * login into a TestUser whose actor is what the API's authentication builds.
 */
export async function seedDemo(h: Harness): Promise<DemoWorld> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'propeller-demo-'));
  const { credentials } = await seedDemoWorld(h.stores, path.join(dir, 'demo-credentials.json'));
  const users = {} as Record<DemoLogin, TestUser>;
  for (const login of DEMO_LOGINS) {
    const cred = credentials[login];
    if (!cred) throw new Error(`the demo world has no login ${login}`);
    const user = await h.stores.people.getUser(cred.userId);
    if (!user) throw new Error(`the demo user ${cred.userId} was not stored`);
    users[login] = {
      actor: { kind: 'user', userId: user.id, companyId: user.companyId, roles: user.roles, department: user.department, attributes: user.attributes },
      apiKey: cred.apiKey,
      headers: { authorization: `Bearer ${cred.apiKey}`, 'content-type': 'application/json' },
    };
  }
  return {
    users,
    credentials,
    companies: {
      platform: credentials.operator!.companyId,
      owner: credentials.admin!.companyId,
      owner2: credentials.initech_admin!.companyId,
      partnerA: credentials.partnerA_user!.companyId,
      partnerB: credentials.partnerB_user!.companyId,
    },
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
