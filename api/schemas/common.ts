import { z } from 'zod';

/** Keys of pipelines, stages, tasks and object types: readable in workflow ids and URLs. */
export const key = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, "_" or "-"');

export const name = z.string().trim().min(1).max(200);

/**
 * Field names become MongoDB paths (`fields.<name>`), so "." and "$" must never get through.
 * Names of Object.prototype members are refused too: as a key, `__proto__` is dropped by
 * parsing or rewires the object's prototype, and rules that read `fields[name]` would find
 * `constructor` or `toString` "filled" on every record.
 */
export const fieldName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'field names are up to 64 letters, digits or "_", not starting with a digit')
  .refine((n) => !(n in Object.prototype) && n !== 'prototype', 'this field name is reserved');

/** Ids of users and companies, made by the application. */
export const id = z.string().min(1).max(100);

/** A moment in a query: ISO 8601 with any offset, read as UTC (`…Z`), the form every stored time has, so it compares as text. */
export const instant = z.iso.datetime({ offset: true }).transform((at) => new Date(at).toISOString());

export const role = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'roles are lowercase words like sales or partner_admin');

/**
 * Values written into records or compared in filters. Objects are left out on
 * purpose: their keys would reach MongoDB unchecked ("$" operators, dotted paths).
 */
const scalar = z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()]);
export const jsonValue = z.union([scalar, z.array(scalar).max(100)]);

export const list = <T extends z.ZodType>(item: T, max: number) => z.array(item).max(max);

/** "stages[1].tasks[0].key: …" → ['stages', 1, 'tasks', 0, 'key']; [] when it names no path. */
export function problemPath(problem: string): PropertyKey[] {
  const path: PropertyKey[] = [];
  for (const part of problem.slice(0, Math.max(problem.indexOf(':'), 0)).split('.')) {
    const match = /^(\w+)((?:\[\d+\])*)$/.exec(part);
    if (!match) return [];
    path.push(match[1]!, ...[...match[2]!.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])));
  }
  return path;
}

/** A problem about a part zod already refused would say the same thing twice. */
export function alreadyReported(issues: readonly { path?: PropertyKey[] }[], path: PropertyKey[]): boolean {
  if (path.length === 0) return false;
  return issues.some(({ path: at = [] }) =>
    path.length > 1 ? path.every((part, i) => at[i] === part) : at.length === path.length && at[0] === path[0],
  );
}

/** An issue's place as a reader writes it: `stages[3].winRate`. */
export const issuePath = (path: readonly PropertyKey[]): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');

/** One issue as a line that names its place ("stages[0].key: …"). */
export function describeIssue(issue: z.core.$ZodIssue): string {
  const at = issuePath(issue.path);
  return !at || issue.message.startsWith(at) ? issue.message : `${at}: ${issue.message}`;
}

/** Issues as lines that name their place, for 422 details. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map(describeIssue);
}

/**
 * A 400's details: zod's flattened form (a nested issue's message prefixed
 * with its full place, since flattening keeps only the first key), and every
 * issue with its path, code and message.
 */
export function badRequestDetails(error: z.ZodError) {
  return {
    ...z.flattenError(error, (issue) => (issue.path.length > 1 ? describeIssue(issue) : issue.message)),
    issues: error.issues.map((issue) => ({ path: issuePath(issue.path), code: issue.code, message: issue.message })),
  };
}
