import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { AppError } from './errors';

/**
 * Cursor pagination: a list is ordered by a stable key (a field that does not
 * change, or one that only grows, with the id last), and a page's
 * `nextCursor` names the last item it held. The next page starts after that
 * item, so an item written meanwhile never shifts the pages: it is either
 * behind the cursor (already seen) or ahead of it (seen once). The cursor is
 * opaque (base64url JSON) and bound to the list's query: sent with other
 * filters it is refused.
 */

/** A position in a list: the sort key's value and the id of the last item seen. */
export type Position = readonly [value: string | number, id: string];

const PositionSchema = z.tuple([z.union([z.string().max(500), z.number()]), z.string().min(1).max(500)]);

/** The query a cursor belongs to, as a short fingerprint: every parameter but the page's own. */
function queryTag(query: Record<string, unknown>): string {
  const entries = Object.entries(query)
    .filter(([k, v]) => v !== undefined && k !== 'cursor' && k !== 'limit' && k !== 'offset')
    .sort(([a], [b]) => a.localeCompare(b));
  return crypto.createHash('sha256').update(JSON.stringify(entries)).digest('base64url').slice(0, 10);
}

export function encodeCursor(at: Position, query: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ q: queryTag(query), at })).toString('base64url');
}

export function decodeCursor(cursor: string, query: Record<string, unknown>): Position {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new AppError(400, 'invalid_cursor', 'cursor is not one this API gave out; start from the first page');
  }
  const shape = z.object({ q: z.string(), at: PositionSchema }).safeParse(parsed);
  if (!shape.success) throw new AppError(400, 'invalid_cursor', 'cursor is not one this API gave out; start from the first page');
  if (shape.data.q !== queryTag(query)) {
    throw new AppError(400, 'cursor_mismatch', 'cursor belongs to a list with other filters; send it with the filters of the page it came from');
  }
  return shape.data.at;
}

/** The page parameters every list takes: `limit`, `cursor`, and (deprecated, for this release) `offset`. */
export const PageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z.string().min(1).max(2_000).optional(),
  offset: z.coerce.number().int().min(0).max(100_000).optional(),
});
export type PageQuery = z.infer<typeof PageQuery>;

/** `offset` is answered for one more release; its answers say so (RFC 9745). */
export const OFFSET_DEPRECATED_AT = '@1796601600'; // 2026-12-07, release 1.1

export interface Paged<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * Writes a page: `{ items, nextCursor }` (with `limit` and `offset` when the
 * caller paged by offset), a `Link: <…>; rel="next"` header when there is a
 * next page, and `Deprecation` when `offset` was used.
 */
export function sendPage<T>(req: Request, res: Response, page: Paged<T>): void {
  const query = req.query as Record<string, unknown>;
  if (page.nextCursor) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (typeof v === 'string' && k !== 'cursor' && k !== 'offset') params.set(k, v);
    params.set('cursor', page.nextCursor);
    res.append('Link', `<${req.baseUrl}${req.path}?${params.toString()}>; rel="next"`);
  }
  if (query.offset !== undefined) {
    res.set('Deprecation', OFFSET_DEPRECATED_AT);
  }
  res.json(page);
}

/**
 * One page of a list that is read whole (a company's users, keys, pipelines,
 * webhooks, an instance's audit trail: lists bounded by their owner), paged
 * in the order of `keyOf` (a stable key, unique per item). Without `limit`,
 * `cursor` or `offset` the whole list is answered, in its own order, as
 * before pages existed, with `nextCursor: null`.
 */
export function pageOfList<T>(items: readonly T[], keyOf: (item: T) => string | number, page: PageQuery, query: Record<string, unknown>): Paged<T> {
  const { limit, after, skip } = keysetParams(page, query);
  // Asked whole, the list comes in its own order, as before pages existed.
  if (page.limit === undefined && page.cursor === undefined && page.offset === undefined) return { items: [...items], nextCursor: null };
  const sorted = [...items].sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
  const found = after ? sorted.findIndex((item) => compareKeys(keyOf(item), after[0]) > 0) : (skip ?? 0);
  const start = found < 0 ? sorted.length : found;
  const slice = sorted.slice(start, start + limit);
  const last = slice.at(-1);
  const more = start + limit < sorted.length && last !== undefined;
  return { items: slice, nextCursor: more ? encodeCursor([keyOf(last), String(keyOf(last))], query) : null };
}

function compareKeys(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/** A keyset list's page parameters, checked: the limit (50 by default), where to start, or the deprecated offset. */
export function keysetParams(page: PageQuery, query: Record<string, unknown>): { limit: number; after?: Position; skip?: number } {
  if (page.offset !== undefined && page.cursor !== undefined) throw new AppError(400, 'invalid_request', 'send cursor or offset, not both');
  const limit = page.limit ?? 50;
  if (page.cursor !== undefined) return { limit, after: decodeCursor(page.cursor, query) };
  return page.offset !== undefined ? { limit, skip: page.offset } : { limit };
}

/** The answer of a keyset list: its items, the cursor of the next page, and the page's own parameters. */
export function keysetAnswer<T>(items: T[], next: Position | undefined, page: PageQuery, query: Record<string, unknown>): Paged<T> & { limit: number; offset?: number } {
  return {
    items,
    nextCursor: next ? encodeCursor(next, query) : null,
    limit: page.limit ?? 50,
    ...(page.offset !== undefined ? { offset: page.offset } : {}),
  };
}
