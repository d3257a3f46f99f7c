import type { components, operations, paths } from './schema';

/**
 * A typed client of the Propeller API: the generated types (schema.d.ts, from
 * the served OpenAPI document) over fetch. It sends the caller's own API key
 * and nothing else, so it can do nothing the key cannot.
 */

export type { components, operations, paths };
export type Schemas = components['schemas'];
export type ErrorBody = Schemas['Error'];

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Operation<P extends keyof paths, M extends Method> = Exclude<paths[P][M], undefined>;

/** The paths that take this method. */
export type PathsOf<M extends Method> = { [P in keyof paths]: [Operation<P, M>] extends [never] ? never : P }[keyof paths];

type Json<R> = R extends { content: { 'application/json': infer B } } ? B : never;
type Success<O> = O extends { responses: infer R } ? Json<R[Extract<keyof R, 200 | 201>]> : never;
type Part<O, K extends 'path' | 'query'> = O extends { parameters: { [k in K]?: infer X } } ? ([X] extends [never | undefined] ? never : X) : never;
type Body<O> = O extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

/** What a call sends: the path's parameters, its query and its body, each only where the operation takes it. */
export interface CallInput<O> {
  params?: Part<O, 'path'>;
  query?: Part<O, 'query'>;
  body?: Body<O>;
  headers?: Record<string, string>;
}

export type Answer<O> =
  | { ok: true; status: number; data: Success<O>; headers: Headers }
  | { ok: false; status: number; error: ErrorBody['error']; headers: Headers };

export interface ClientOptions {
  baseUrl: string;
  apiKey: string;
  fetch?: typeof fetch;
}

function urlOf(baseUrl: string, path: string, params: Record<string, unknown> = {}, query: Record<string, unknown> = {}): string {
  const filled = path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(String(params[name])));
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) search.set(k, String(v));
  const qs = search.toString();
  return `${baseUrl.replace(/\/$/, '')}${filled}${qs ? `?${qs}` : ''}`;
}

export function createClient({ baseUrl, apiKey, fetch: send = fetch }: ClientOptions) {
  async function call<M extends Method, P extends PathsOf<M>>(method: M, path: P, input: CallInput<Operation<P, M>> = {}): Promise<Answer<Operation<P, M>>> {
    const res = await send(urlOf(baseUrl, path, input.params as Record<string, unknown>, input.query as Record<string, unknown>), {
      method: method.toUpperCase(),
      headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json', ...(input.body !== undefined && { 'content-type': 'application/json' }), ...input.headers },
      body: input.body === undefined ? undefined : JSON.stringify(input.body),
    });
    const body = (await res.json()) as unknown;
    if (res.ok) return { ok: true, status: res.status, data: body as Success<Operation<P, M>>, headers: res.headers };
    return { ok: false, status: res.status, error: (body as ErrorBody).error, headers: res.headers };
  }
  return {
    call,
    get: <P extends PathsOf<'get'>>(path: P, input?: CallInput<Operation<P, 'get'>>) => call('get', path, input),
    post: <P extends PathsOf<'post'>>(path: P, input?: CallInput<Operation<P, 'post'>>) => call('post', path, input),
    put: <P extends PathsOf<'put'>>(path: P, input?: CallInput<Operation<P, 'put'>>) => call('put', path, input),
    patch: <P extends PathsOf<'patch'>>(path: P, input?: CallInput<Operation<P, 'patch'>>) => call('patch', path, input),
    delete: <P extends PathsOf<'delete'>>(path: P, input?: CallInput<Operation<P, 'delete'>>) => call('delete', path, input),
  };
}

export type Client = ReturnType<typeof createClient>;
