import { z } from 'zod';

/**
 * Building blocks of the output schemas: what the API answers, not what it
 * accepts. Each named schema carries `.meta({ id, examples })`; the OpenAPI
 * document turns every id into `components.schemas.<id>` and a `$ref`.
 */

export const isoTime = z.string().meta({ description: 'an ISO-8601 time, e.g. 2026-12-07T09:30:00.000Z' });
export const StageType = z.enum(['normal', 'success', 'failure', 'invalid']).meta({ id: 'StageType' });
export const InstanceStatus = z.enum(['running', 'finished', 'cancelled']).meta({ id: 'InstanceStatus' });

/** A field value as the API stores it: any JSON (record fields are scalars or arrays of scalars when written by the API, but effects may write other JSON). */
export const anyJson = z.unknown();

export const Who = z.object({
  roles: z.array(z.string()).optional(),
  owner: z.boolean().optional(),
  ownerCompany: z.boolean().optional(),
  partnerCompany: z.boolean().optional(),
  users: z.array(z.string()).optional(),
});

export const Assignee = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('owner') }),
    z.object({ kind: z.literal('creator') }),
    z.object({ kind: z.literal('role'), role: z.string() }),
    z.object({ kind: z.literal('user'), userId: z.string() }),
    z.object({ kind: z.literal('partner_company') }),
  ])
  .meta({ id: 'Assignee' });

export const TaskKind = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('edit_fields'), fields: z.array(z.string()) }),
    z.object({ kind: z.literal('create_record'), recordType: z.string(), linkField: z.string() }),
  ])
  .meta({ id: 'TaskKind' });

export const Deadline = z.object({
  at: isoTime,
  to: z.string().meta({ description: 'the stage the instance goes to when the deadline passes' }),
  source: z.enum(['after', 'field']),
});

/** `{ items, nextCursor }`: a list read whole unless limit or cursor is sent. */
export function listOf<T extends z.ZodType>(item: T, id: string, example: unknown) {
  return z
    .object({
      items: z.array(item),
      nextCursor: z.string().nullable().meta({ description: 'with limit or cursor: send as cursor for the next page (also in Link: rel="next"); null on the last page, and when the whole list was asked for' }),
    })
    .meta({ id, examples: [{ items: [example], nextCursor: null }] });
}

/** `{ items, nextCursor, limit, offset? }`: a keyset list, a page at a time. */
export function pageOf<T extends z.ZodType>(item: T, id: string, example: unknown, more: { description?: string; deprecated?: boolean } = {}) {
  return z
    .object({
      items: z.array(item),
      nextCursor: z.string().nullable().meta({ description: 'send as cursor for the next page (also in Link: rel="next"); null on the last page' }),
      limit: z.number().int(),
      offset: z.number().int().optional().meta({ description: 'only when the page was asked by offset (deprecated: answered with a Deprecation header)' }),
    })
    .meta({ id, ...more, examples: [{ items: [example], nextCursor: 'eyJxIjoiOXZ4R2hfMmRQUSIsImF0IjpbIjIwMjYtMTItMDciLCJyZWNfOXQ0In0', limit: 50 }] });
}
