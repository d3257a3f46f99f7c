import { z } from 'zod';
import { isoTime, listOf } from './shared';

const COMPANY = 'cmp_Hq2v8Rk1Xa4Z';
const USER = 'usr_Tn3c0Wd9Lp2M';

const companyExample = { id: COMPANY, name: 'Acme Energy', kind: 'owner', createdAt: '2026-11-01T08:00:00.000Z', updatedAt: '2026-11-01T08:00:00.000Z', version: 1 } as const;
export const Company = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(['platform', 'owner', 'partner']).meta({ description: 'platform holds the operators; owner companies are tenants; partner companies work in their programs' }),
    programs: z.array(z.string()).optional().meta({ description: "a partner company's owner companies (only the caller's own, for another owner's admin)" }),
    createdAt: isoTime,
    updatedAt: isoTime.optional(),
    version: z.number().int().optional(),
  })
  .meta({ id: 'Company', examples: [companyExample] });

const userExample = {
  id: USER, companyId: COMPANY, name: 'Ada Admin', email: 'ada@acme.example', roles: ['admin', 'sales'], department: 'Sales EMEA',
  attributes: { region: 'emea' }, createdAt: '2026-11-01T08:00:00.000Z', version: 2,
};
export const User = z
  .object({
    id: z.string(),
    companyId: z.string(),
    name: z.string(),
    email: z.string(),
    roles: z.array(z.string()),
    department: z.string().optional(),
    attributes: z.record(z.string(), z.unknown()),
    createdAt: isoTime,
    deactivatedAt: isoTime.optional().meta({ description: 'set when its Company Admin removed it: its keys stop working' }),
    deactivatedBy: z.string().optional(),
    version: z.number().int().optional().meta({ description: 'its ETag' }),
  })
  .meta({ id: 'User', examples: [userExample] });

const keyExample = {
  id: 'key_Zx81Lq0mB4', userId: USER, prefix: 'pk_4Fq9sT', createdAt: '2026-12-07T08:15:00.000Z', expiresAt: '2027-03-07T08:15:00.000Z', version: 1,
};
export const ApiKey = z
  .object({
    id: z.string(),
    userId: z.string(),
    prefix: z.string().meta({ description: 'the first characters of the key, to tell keys apart' }),
    createdAt: isoTime,
    expiresAt: isoTime.optional(),
    issuedBy: z.object({ userId: z.string(), companyId: z.string() }).optional().meta({ description: 'who made the key, when it was not its holder' }),
    breakGlass: z.boolean().optional(),
    reason: z.string().optional(),
    revokedAt: isoTime.optional(),
    revokedBy: z.string().optional(),
    version: z.number().int().optional(),
  })
  .meta({ id: 'ApiKey', description: 'An API key, without its secret.', examples: [keyExample] });
const secretExample = 'pk_4Fq9sTq0V3mXc8Rb1LnW6yZ2dE5hJ7kA9sP0uT4gH1';
export const CreatedApiKey = ApiKey.extend({ key: z.string().meta({ description: 'the key itself: shown in this answer only, stored hashed' }) }).meta({
  id: 'CreatedApiKey',
  examples: [{ ...keyExample, key: secretExample }],
});

export const Me = z
  .object({
    user: User,
    company: Company,
    temporalWebUi: z
      .object({ url: z.string().meta({ description: 'the Web UI\'s address' }), namespace: z.string() })
      .optional()
      .meta({ description: "where the owner's users open a run in the Temporal Web UI (TEMPORAL_UI_URL): <url>/namespaces/<namespace>/workflows/<instanceId>; absent for partners, and when the API does not know it" }),
  }).meta({ id: 'Me', examples: [{ user: userExample, company: companyExample }] });

const partnerExample = { id: 'cmp_Pt9rN3rX0b1Q', name: 'Sunrise Installers', kind: 'partner', programs: [COMPANY], createdAt: '2026-11-05T10:00:00.000Z' } as const;
export const CreatedCompany = z
  .object({
    company: Company,
    admin: z.object({ user: User, apiKey: CreatedApiKey }).optional().meta({ description: "the company's first admin and its key (shown once), when the body named one" }),
  })
  .meta({
    id: 'CreatedCompany',
    examples: [{
      company: partnerExample,
      admin: {
        user: { ...userExample, id: 'usr_Pq2L0sE9mV4a', companyId: partnerExample.id, name: 'Pat Partner', email: 'pat@sunrise.example', roles: ['partner_admin'], attributes: {}, version: 1 },
        apiKey: { ...keyExample, userId: 'usr_Pq2L0sE9mV4a', issuedBy: { userId: USER, companyId: COMPANY }, key: secretExample },
      },
    }],
  });

export const CompanyList = listOf(Company, 'CompanyList', companyExample);
export const UserList = listOf(User, 'UserList', userExample);
export const ApiKeyList = listOf(ApiKey, 'ApiKeyList', keyExample);
