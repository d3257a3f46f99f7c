import { z } from 'zod';
import { fieldName, id, name, role } from './common';

/** Attributes are read by pipeline filters by name, so their names follow the rules for field names. */
const attributes = z
  .record(fieldName, z.union([z.string().max(1000), z.number(), z.boolean()]))
  .refine((a) => Object.keys(a).length <= 50, 'at most 50 attributes');

const email = z.email().max(320);

/** Platform companies are made by the stack's seed, never through the API. */
export const CompanyBody = z
  .strictObject({
    name,
    kind: z.enum(['owner', 'partner']).default('partner'),
    /** The company's first admin, made with it and given an API key. */
    admin: z.strictObject({ name, email }).optional(),
    /** A partner company: the owner company whose program it starts in (a Company Admin's: its own, named or not). */
    ownerId: id.optional(),
  })
  .superRefine((body, ctx) => {
    if (body.kind === 'owner' && !body.admin) {
      ctx.addIssue({ code: 'custom', path: ['admin'], message: 'an owner company is created with its first admin: { name, email }' });
    }
    if (body.kind === 'owner' && body.ownerId !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['ownerId'], message: "an owner company is in no program; ownerId names a partner company's owner" });
    }
  });

export const UserBody = z.strictObject({
  companyId: z.string().min(1).max(100),
  name,
  email,
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

/** A new API key: when it stops working, and (required when the platform operator issues one for another company's user) why it is issued. */
export const ApiKeyBody = z.strictObject({
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  reason: z.string().trim().min(1).max(500).optional(),
});
