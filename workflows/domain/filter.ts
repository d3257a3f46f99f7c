import type { Filter, FilterOp } from './types';
import { sameValue, toEpochMs } from './values';

/** Reads a dotted path ("account.industry", "user.attributes.region") out of plain data. */
export function readPath(context: unknown, path: string): unknown {
  let current: unknown = context;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** Negative, zero or positive; undefined when the two cannot be ordered. */
function compare(field: unknown, value: unknown): number | undefined {
  if (typeof field === 'number' && typeof value === 'number') return field - value;
  if (typeof field === 'string' || typeof value === 'string') {
    const a = toEpochMs(field);
    const b = toEpochMs(value);
    if (a !== undefined && b !== undefined) return a - b;
  }
  if (typeof field === 'string' && typeof value === 'string') return field < value ? -1 : field > value ? 1 : 0;
  return undefined;
}

function isIn(field: unknown, value: unknown): boolean {
  return Array.isArray(value) && value.some((candidate) => sameValue(candidate, field));
}

function applyOp(op: FilterOp, field: unknown, value: unknown): boolean {
  switch (op) {
    case 'eq':
      return sameValue(field, value);
    case 'ne':
      return !sameValue(field, value);
    case 'in':
      return isIn(field, value);
    case 'nin':
      return !isIn(field, value);
    case 'exists':
      return (field !== undefined && field !== null) === (value !== false);
    case 'contains':
      if (typeof field === 'string') return typeof value === 'string' && field.includes(value);
      return Array.isArray(field) && field.some((item) => sameValue(item, value));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const order = compare(field, value);
      if (order === undefined || Number.isNaN(order)) return false;
      if (op === 'gt') return order > 0;
      if (op === 'gte') return order >= 0;
      if (op === 'lt') return order < 0;
      return order <= 0;
    }
    default:
      return false;
  }
}

function evaluate(filter: Filter, context: Record<string, unknown>): boolean {
  if (filter === null || typeof filter !== 'object') return false;
  if ('and' in filter) return Array.isArray(filter.and) && filter.and.every((f) => evaluate(f, context));
  if ('or' in filter) return Array.isArray(filter.or) && filter.or.some((f) => evaluate(f, context));
  if (typeof filter.path !== 'string') return false;
  return applyOp(filter.op, readPath(context, filter.path), filter.value);
}

/** A condition of a filter that did not hold: where and how, never the value (it may be one the caller may not see). */
export interface FailedCondition {
  path: string;
  op: FilterOp;
}

function failures(filter: Filter, context: Record<string, unknown>): FailedCondition[] {
  if (evaluate(filter, context)) return [];
  if (filter === null || typeof filter !== 'object') return [];
  if ('and' in filter) return Array.isArray(filter.and) ? filter.and.flatMap((f) => failures(f, context)) : [];
  // An or fails only when every branch fails, so each branch's failures are why.
  if ('or' in filter) return Array.isArray(filter.or) ? filter.or.flatMap((f) => failures(f, context)) : [];
  return typeof filter.path === 'string' ? [{ path: filter.path, op: filter.op }] : [];
}

/**
 * The leaf conditions that made the filter fail, in the filter's order; empty
 * when it matches. A malformed node that fails names nothing of itself.
 */
export function failedConditions(filter: Filter | undefined, context: Record<string, unknown>): FailedCondition[] {
  if (filter === undefined) return [];
  try {
    return failures(filter, context);
  } catch {
    return [];
  }
}

/**
 * The names the filters read at the top of the context (`contact` for
 * "contact.email"): what a context must hold for them, so the records
 * behind every other name need not be read. A malformed node names nothing.
 */
export function filterRoots(filters: ReadonlyArray<Filter | undefined>): Set<string> {
  const roots = new Set<string>();
  const visit = (filter: Filter | undefined): void => {
    if (filter === null || typeof filter !== 'object') return;
    if ('and' in filter) return void (Array.isArray(filter.and) && filter.and.forEach(visit));
    if ('or' in filter) return void (Array.isArray(filter.or) && filter.or.forEach(visit));
    if (typeof filter.path === 'string') roots.add(filter.path.split('.')[0]!);
  };
  filters.forEach(visit);
  return roots;
}

/** Whether the trigger context matches; a malformed filter is a non-match, never an exception. */
export function evaluateFilter(filter: Filter | undefined, context: Record<string, unknown>): boolean {
  if (filter === undefined) return true;
  try {
    return evaluate(filter, context);
  } catch {
    return false;
  }
}
