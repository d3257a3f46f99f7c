import { z } from 'zod';
import { fieldName, name, role } from './common';

/** Attributes are read by pipeline filters by name, so their names follow the rules for field names. */
const attributes = z
  .record(fieldName, z.union([z.string().max(1000), z.number(), z.boolean()]))
  .refine((a) => Object.keys(a).length <= 50, 'at most 50 attributes');

export const CompanyBody = z.strictObject({
  name,
  kind: z.enum(['owner', 'partner']).default('partner'),
});

export const UserBody = z.strictObject({
  companyId: z.string().min(1).max(100),
  name,
  email: z.email().max(320),
  roles: z.array(role).max(20).default([]),
  department: z.string().trim().min(1).max(200).optional(),
  attributes: attributes.default({}),
});

export const UserPatch = z.strictObject({
  name: name.optional(),
  roles: z.array(role).max(20).optional(),
  department: z.string().trim().min(1).max(200).nullable().optional(),
  attributes: attributes.optional(),
});
