import type { Collection, Document, Filter, FindOptions } from 'mongodb';

/** How a list is ordered: by `field` (ascending or descending), then by `_id` ascending, so every item has one place. */
export interface Order {
  field: string;
  dir: 1 | -1;
}

/** Where the next page starts: after the item with this sort value and id. */
export type After = readonly [value: string | number, id: string];

/** The items strictly after `after` in `order`. */
export function afterFilter(order: Order, after: After): Filter<Document> {
  const [value, id] = after;
  // Every collection here is keyed by string ids.
  const idAfter: Document = { _id: { $gt: id } };
  if (order.field === '_id') return idAfter as Filter<Document>;
  return { $or: [{ [order.field]: { [order.dir === 1 ? '$gt' : '$lt']: value } }, { [order.field]: value, ...idAfter }] } as Filter<Document>;
}

/** A page asked for: how many, and where it starts (after an item, or, deprecated, after `skip` items). */
export interface PageAsked {
  limit: number;
  after?: After;
  skip?: number;
}

/**
 * One page by keyset: `limit` items of `filter` after `after`, in `order`,
 * and where the next page starts (none when this one is the last). Reads one
 * item more than it answers, to know. A page asked by offset (`skip`, served
 * for one more release) is read in the same order and answers no next.
 */
export async function keysetPage<T extends Document>(
  collection: Collection<T>,
  filter: Filter<T>,
  order: Order,
  page: PageAsked,
  options: FindOptions = {},
): Promise<{ docs: T[]; next?: After }> {
  const sort = order.field === '_id' ? { _id: 1 as const } : { [order.field]: order.dir, _id: 1 as const };
  if (page.skip !== undefined) return { docs: (await collection.find(filter, options).sort(sort).skip(page.skip).limit(page.limit).toArray()) as T[] };
  const where = page.after ? ({ $and: [filter, afterFilter(order, page.after)] } as Filter<T>) : filter;
  const docs = (await collection.find(where, options).sort(sort).limit(page.limit + 1).toArray()) as T[];
  const more = docs.length > page.limit;
  const shown = more ? docs.slice(0, page.limit) : docs;
  const last = shown.at(-1) as (Document & { _id: unknown }) | undefined;
  return { docs: shown, ...(more && last ? { next: [(order.field === '_id' ? last._id : last[order.field]) as string | number, String(last._id)] as const } : {}) };
}
