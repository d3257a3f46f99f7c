import { createClient, type Client } from '../../api/client';

/** The key lives in this tab's session storage only: never a cookie, never local storage. */
const KEY = 'propeller.apiKey';

export const storedKey = (): string | null => sessionStorage.getItem(KEY);
export const storeKey = (key: string): void => sessionStorage.setItem(KEY, key);
export const forgetKey = (): void => sessionStorage.removeItem(KEY);

/** A refusal of the key itself (401): the console signs out and says why. */
export class SignedOut extends Error {}

/** An answer the caller should show: the API's own error message. */
export class Refused extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** The typed client, same origin, with the tab's key. */
export function apiFor(apiKey: string): Client {
  return createClient({ baseUrl: '', apiKey, fetch: (input, init) => fetch(input, init) });
}

type Answer = { ok: true; data: unknown } | { ok: false; status: number; error: { code: string; message: string } };

/** The data of a successful answer; a 401 throws SignedOut, any other refusal Refused with the API's message. */
export function dataOf<A extends Answer>(answer: A): Extract<A, { ok: true }>['data'] {
  if (answer.ok) return answer.data as Extract<A, { ok: true }>['data'];
  if (answer.status === 401) throw new SignedOut(answer.error?.message ?? 'your key was refused');
  throw new Refused(answer.status, answer.error?.code ?? 'error', answer.error?.message ?? `the API answered ${answer.status}`);
}
