import type { TestUser } from '../../support/auth';
import type { Harness } from '../../support/harness';

/** One request and how the API answered it: status, error code and message, and how long it took. */
export interface Probe {
  status: number;
  code?: string;
  message?: string;
  ms: number;
  body: unknown;
}

/** A request that never throws: a dropped connection or a client timeout comes back as status 0. */
export async function probe(
  h: Harness,
  method: string,
  path: string,
  user?: TestUser,
  body?: unknown,
  timeoutMs = 60_000,
  headers: Record<string, string> = {},
): Promise<Probe> {
  const started = Date.now();
  try {
    const res = await fetch(`${h.apiUrl}${path}`, {
      method,
      headers: { ...(user?.headers ?? { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    return { status: res.status, code: parsed?.error?.code, message: parsed?.error?.message, ms: Date.now() - started, body: parsed };
  } catch (err) {
    return { status: 0, code: (err as Error).name, message: String(err), ms: Date.now() - started, body: undefined };
  }
}
