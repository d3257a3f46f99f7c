import { isDeepStrictEqual } from 'node:util';
import { stateQuery } from '../../workflows/messages';
import type { Harness } from './harness';

/** Everything a request could change: every document of every collection, and the workflows' state. */
export interface World {
  docs: Record<string, Array<{ _id: unknown }>>;
  workflows: Record<string, { state: unknown; historyLength: number }>;
}

export interface WorldOptions {
  /** Instances whose workflow state (query) and history length are compared. */
  instanceIds?: string[];
  /**
   * Collections left out, each with the reason it may change on a refused
   * request (bookkeeping, not data). Printed with the figures.
   */
  exclude?: Record<string, string>;
}

/**
 * Reads the world: all collections of the harness database (sorted by _id) and,
 * for each instance, its state as the workflow answers it and its event count
 * (a refused update leaves no event; a signal or an accepted update adds some).
 */
export async function readWorld(h: Harness, opts: WorldOptions = {}): Promise<World> {
  const names = (await h.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
  const docs: World['docs'] = {};
  for (const name of names) {
    if (opts.exclude && name in opts.exclude) continue;
    docs[name] = (await h.db.collection(name).find({}).sort({ _id: 1 }).toArray()) as Array<{ _id: unknown }>;
  }
  const workflows: World['workflows'] = {};
  for (const id of opts.instanceIds ?? []) {
    const handle = h.client.workflow.getHandle(id);
    const [state, description] = await Promise.all([handle.query(stateQuery), handle.describe()]);
    workflows[id] = { state, historyLength: description.historyLength };
  }
  return { docs, workflows };
}

/** One line per document or workflow that differs: "records rec_x changed", "events evt_y added". */
export function worldChanges(before: World, after: World): string[] {
  const changes: string[] = [];
  for (const name of new Set([...Object.keys(before.docs), ...Object.keys(after.docs)])) {
    const was = new Map((before.docs[name] ?? []).map((d) => [String(d._id), d]));
    const now = new Map((after.docs[name] ?? []).map((d) => [String(d._id), d]));
    for (const [id, doc] of now) {
      if (!was.has(id)) changes.push(`${name} ${id} added`);
      else if (!isDeepStrictEqual(was.get(id), doc)) changes.push(`${name} ${id} changed`);
    }
    for (const id of was.keys()) if (!now.has(id)) changes.push(`${name} ${id} removed`);
  }
  for (const id of new Set([...Object.keys(before.workflows), ...Object.keys(after.workflows)])) {
    const [was, now] = [before.workflows[id], after.workflows[id]];
    if (!isDeepStrictEqual(was?.state, now?.state)) changes.push(`workflow ${id} state changed`);
    if (was?.historyLength !== now?.historyLength) changes.push(`workflow ${id} history ${was?.historyLength} → ${now?.historyLength}`);
  }
  return changes;
}

/** The error format of every refusal: exactly `{ error: { code, message, details, requestId } }`. */
export function isErrorBody(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== 'error') return false;
  const error = (body as { error: unknown }).error;
  if (typeof error !== 'object' || error === null || Array.isArray(error)) return false;
  const { code, message, details, requestId } = error as Record<string, unknown>;
  return (
    Object.keys(error).sort().join() === 'code,details,message,requestId' &&
    typeof requestId === 'string' &&
    requestId.length > 0 &&
    typeof code === 'string' &&
    code.length > 0 &&
    typeof message === 'string' &&
    typeof details === 'object' &&
    details !== null &&
    !Array.isArray(details)
  );
}
