/** A caller of the API under test: its key, and who it is. */
export interface BenchUser {
  apiKey: string;
  userId: string;
  companyId: string;
}

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: HTTP ${status} ${body.slice(0, 300)}`);
  }
}

/** One JSON request as `user`; answers the parsed body, throws an HttpError on anything but 2xx. */
export async function callApi<T = Record<string, unknown>>(
  baseUrl: string,
  user: BenchUser,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new HttpError(res.status, text, `${method} ${path}`);
  return (text ? JSON.parse(text) : {}) as T;
}

export const instancePath = (instanceId: string) => `/v1/instances/${encodeURIComponent(instanceId)}`;
