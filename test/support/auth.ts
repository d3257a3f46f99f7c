import type { Actor } from '../../workflows/domain/types';
import type { Harness } from './harness';
import { uid } from './factories';

export interface TestUser {
  actor: Actor;
  apiKey: string;
  /** Headers for fetch: the bearer key and JSON. */
  headers: Record<string, string>;
}

/** Creates a company (if new), a user in it and an API key, straight through the store. */
export async function seedUser(
  h: Harness,
  opts: {
    companyId?: string;
    companyKind?: 'platform' | 'owner' | 'partner';
    /** A new partner company's programs (owner company ids); without it, a partner company from before programs. */
    programs?: string[];
    roles?: string[];
    department?: string;
    attributes?: Record<string, unknown>;
  } = {},
): Promise<TestUser> {
  const now = new Date().toISOString();
  const companyId = opts.companyId ?? uid('cmp');
  if (!(await h.stores.people.getCompany(companyId))) {
    await h.stores.people.upsertCompany({ id: companyId, name: companyId, kind: opts.companyKind ?? 'owner', ...(opts.programs ? { programs: opts.programs } : {}), createdAt: now });
  }
  const userId = uid('usr');
  const roles = opts.roles ?? ['sales'];
  await h.stores.people.upsertUser({
    id: userId,
    companyId,
    name: userId,
    email: `${userId}@example.test`,
    roles,
    department: opts.department,
    attributes: opts.attributes ?? {},
    createdAt: now,
  });
  const { key } = await h.stores.people.createApiKey(userId, now);
  return {
    actor: { kind: 'user', userId, companyId, roles, department: opts.department, attributes: opts.attributes ?? {} },
    apiKey: key,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
  };
}

export interface Answer {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

const listeners = new Set<(answer: Answer) => void>();

/** Hears every answer `call` gets from now on (test/support/error-codes.ts checks error codes with it); returns how to stop. */
export function onAnswer(listener: (answer: Answer) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** A JSON request against the harness API; returns status and parsed body. */
export async function call(
  h: Harness,
  method: string,
  path: string,
  opts: { user?: TestUser; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${h.apiUrl}${path}`, {
    method,
    headers: { ...(opts.user?.headers ?? { 'content-type': 'application/json' }), ...opts.headers },
    body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: keep the text.
  }
  for (const listener of listeners) listener({ method, path, status: res.status, body });
  return { status: res.status, body, headers: res.headers };
}
