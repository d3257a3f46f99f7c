import type { AddressInfo } from 'node:net';
import net from 'node:net';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import zlib from 'node:zlib';
import pino from 'pino';
import { createApp } from '../../api/app';
import { applyServerTimeouts } from '../../api/limits';
import { call, seedUser, type TestUser } from '../support/auth';
import { eventually, startHarness, startWorker, type Harness } from '../support/harness';
import { isErrorBody } from '../support/world';
import { testPipeline } from '../support/pipelines';

// jest reads testTimeout only from the root config, not from the integration project's.
jest.setTimeout(120_000);

/**
 * OWASP API4 (unrestricted resource consumption): the body size, the page
 * size, the rate limit per API key and the request timeout, each on the API as
 * it runs. Figures are printed at the end.
 */
const figures: string[] = [];
afterAll(() => {
  if (figures.length) process.stdout.write(`\nResource limits\n${figures.map((f) => `  ${f}`).join('\n')}\n`);
});

interface Operation {
  method: string;
  path: string;
  query: string[];
}

/** Every operation of the served OpenAPI document, with its path parameters filled with harmless ids. */
async function operationsOf(h: Harness): Promise<Operation[]> {
  const doc = (await call(h, 'GET', '/openapi.json')).body as { paths: Record<string, Record<string, { parameters?: Array<{ in?: string; name?: string }> }>> };
  return Object.entries(doc.paths).flatMap(([template, item]) =>
    Object.entries(item).map(([method, op]) => ({
      method: method.toUpperCase(),
      path: template.replace(/\{(\w+)\}/g, (_m, name: string) => (name === 'version' ? '1' : name === 'type' ? 'lead' : `missing_${name}`)),
      query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name!),
    })),
  );
}

describe('body size and page size', () => {
  let h: Harness;
  let user: TestUser;
  let ops: Operation[];

  beforeAll(async () => {
    h = await startHarness({ worker: false });
    user = await seedUser(h, { roles: ['admin'] });
    ops = await operationsOf(h);
  });
  afterAll(async () => h?.stop());

  const LIMIT = 256 * 1024;
  /** A JSON object of exactly `size` bytes: well-formed, but no route's schema takes it. */
  const jsonOfSize = (size: number) => {
    const text = `{"padding":"${'x'.repeat(size - 14)}"}`;
    expect(Buffer.byteLength(text)).toBe(size);
    return text;
  };

  it('When a body of every writing route is one byte over 256 kB, then 413 payload_too_large; at 256 kB it is read (and refused by its schema)', async () => {
    const writing = ops.filter((o) => o.method !== 'GET');
    expect(writing.length).toBeGreaterThan(20);
    for (const op of writing) {
      const over = await call(h, op.method, op.path, { user, body: jsonOfSize(LIMIT + 1) });
      expect([op.method, op.path, over.status, over.body?.error?.code]).toEqual([op.method, op.path, 413, 'payload_too_large']);
      const at = await call(h, op.method, op.path, { user, body: jsonOfSize(LIMIT) });
      expect([op.method, op.path, at.status]).toEqual([op.method, op.path, expect.any(Number)]);
      expect(at.status).toBeGreaterThanOrEqual(400);
      expect(at.status).not.toBe(413);
      expect(isErrorBody(at.body)).toBe(true);
    }
    figures.push(`body size: ${writing.length} writing routes refuse ${LIMIT + 1} bytes with 413 and read ${LIMIT}`);
  });

  it('When an oversized body comes chunked (no Content-Length), then 413 as well', async () => {
    const chunk = new TextEncoder().encode(`{"fields":{"a":"${'y'.repeat(64 * 1024)}`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 6) return controller.close();
        sent += 1;
        controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${h.apiUrl}/v1/records/lead`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(isErrorBody(await res.json())).toBe(true);
  });

  it('When a small gzip body inflates beyond 256 kB, then 413 (the limit counts what is read, not what is sent)', async () => {
    const bomb = zlib.gzipSync(Buffer.from(`{"fields":{"a":"${'0'.repeat(10 * 1024 * 1024)}"}}`));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const res = await fetch(`${h.apiUrl}/v1/records/lead`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: bomb,
    });
    expect(res.status).toBe(413);
    expect(isErrorBody(await res.json())).toBe(true);
    expect(await h.db.collection('records').countDocuments({})).toBe(0);
    figures.push(`gzip bomb: ${bomb.length} bytes inflating to 10 MB refused with 413`);
  });

  it('When a list is asked for more than 100 items, or a bad page, then 400; 100 is served', async () => {
    // Every list pages; the ones named by an id that does not exist here answer 404 before their page is read.
    const paged = ops.filter((o) => o.query.includes('limit'));
    const keyset = ['GET /v1/audit', 'GET /v1/instances', 'GET /v1/records/lead'];
    expect(paged.map((o) => `${o.method} ${o.path}`)).toEqual(expect.arrayContaining([...keyset, 'GET /v1/users', 'GET /v1/webhooks', 'GET /v1/pipelines']));
    const lists = paged.filter((o) => !o.path.includes('missing_'));
    for (const op of lists) {
      for (const query of ['limit=101', 'limit=1000000', 'limit=0', 'limit=-1', 'limit=1.5', 'limit=abc', 'limit=1e3', 'limit=', 'offset=100001', 'offset=-1', 'limit=1&limit=2']) {
        const res = await call(h, 'GET', `${op.path}?${query}`, { user });
        expect([op.path, query, res.status]).toEqual([op.path, query, 400]);
        expect(res.body.error.code).toBe('invalid_request');
      }
      const ok = await call(h, 'GET', `${op.path}?limit=100`, { user });
      expect([op.path, ok.status]).toEqual([op.path, 200]);
      expect(ok.body).toMatchObject({ items: expect.any(Array) });
      if (!keyset.includes(`${op.method} ${op.path}`)) continue;
      const far = await call(h, 'GET', `${op.path}?limit=100&offset=100000`, { user });
      expect(far.body).toMatchObject({ items: [], limit: 100, offset: 100_000 });
    }
    figures.push(`page size: ${lists.length} paged lists refuse limit > 100 (and 10 other bad pages) with 400`);
  });
});

describe('rate limit per API key', () => {
  let h: Harness;
  let first: TestUser;
  let second: TestUser;
  const PER_MINUTE = 5;

  beforeAll(async () => {
    h = await startHarness({ worker: false, limits: { rateLimitPerMinute: PER_MINUTE } });
    first = await seedUser(h);
    second = await seedUser(h, { companyId: first.actor.companyId });
  });
  afterAll(async () => h?.stop());

  it('When one key sends a 6th request within the minute, then 429 with Retry-After in the error format; other keys go on', async () => {
    for (let i = 1; i <= PER_MINUTE; i += 1) {
      const res = await call(h, 'GET', '/v1/me', { user: first });
      expect(res.status).toBe(200);
      // draft-8 RateLimit header: "<limit>-in-1min"; r=<remaining>; t=<seconds to reset>
      expect(res.headers.get('ratelimit')).toMatch(new RegExp(`; r=${PER_MINUTE - i}; t=\\d+$`));
    }
    const limited = await call(h, 'GET', '/v1/me', { user: first });
    expect(limited.status).toBe(429);
    expect(isErrorBody(limited.body)).toBe(true);
    expect(limited.body.error).toMatchObject({ code: 'rate_limited', details: { limit: PER_MINUTE, windowSeconds: 60 } });
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);

    // A write over the limit is refused before its body is read: nothing is written.
    const write = await call(h, 'POST', '/v1/records/note', { user: first, body: { fields: { title: 'over the limit' } } });
    expect(write.status).toBe(429);
    expect(await h.db.collection('records').countDocuments({})).toBe(0);

    // Another user, and another key of the same user, each have their own count.
    expect((await call(h, 'GET', '/v1/me', { user: second })).status).toBe(200);
    const { key } = await h.stores.people.createApiKey(first.actor.userId, new Date().toISOString());
    expect((await call(h, 'GET', '/v1/me', { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    // Callers without a valid key are refused before they are counted; the public routes are not counted.
    expect((await call(h, 'GET', '/v1/me', { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await call(h, 'GET', '/healthz', { user: first })).status).toBe(200);
    expect((await call(h, 'GET', '/v1/me', { user: first })).status).toBe(429);
    figures.push(`rate limit: ${PER_MINUTE}/min per key → request ${PER_MINUTE + 1} answered 429 rate_limited, Retry-After ${retryAfter} s; another key and another user unaffected`);
  });
});

describe('request timeout', () => {
  let h: Harness;
  let user: TestUser;
  let server: Server;
  let port: number;
  const TIMEOUT_MS = 200;
  const logs: Array<{ level: number; msg: string }> = [];

  beforeAll(async () => {
    // No worker yet: creating a note starts its pipeline's instance, which nothing runs, so the handler hangs.
    h = await startHarness({ worker: false, api: false });
    user = await seedUser(h);
    const notes = testPipeline('Notes', 'note', [{ key: 'open', name: 'Open', type: 'normal', initial: true }], {
      trigger: { onCreate: true, manual: false, reinitiate: false },
    });
    await h.stores.pipelines.createDraft(user.actor.companyId!, notes, user.actor.userId, new Date().toISOString());
    await h.stores.pipelines.publish(user.actor.companyId!, notes.key, user.actor.userId, new Date().toISOString());
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line) as { level: number; msg: string });
        done();
      },
    });
    const app = createApp({
      temporal: h.client,
      taskQueue: h.taskQueue,
      db: h.db,
      stores: h.stores,
      log: pino({ level: 'warn' }, sink),
      limits: { requestTimeoutMs: TIMEOUT_MS },
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    // Node's guards as api/main.ts sets them, at their default budget: the app's own 200 ms timeout is what is tested here.
    applyServerTimeouts(server, 30_000);
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    const closed = new Promise((resolve) => server?.close(resolve));
    server?.closeAllConnections();
    await closed;
    await h?.stop();
  });

  /** One raw HTTP/1.1 exchange on its own keep-alive socket: everything the server sends until it closes the socket. */
  function rawExchange(head: string, body: string): Promise<{ text: string; ms: number }> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const socket = net.connect(port, '127.0.0.1');
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('error', reject);
      socket.on('close', () => resolve({ text, ms: Date.now() - started }));
      socket.write(`${head}\r\n\r\n${body}`);
    });
  }

  const requestHead = (path: string, contentLength: number) =>
    [
      `POST ${path} HTTP/1.1`,
      'Host: 127.0.0.1',
      `Authorization: Bearer ${user.apiKey}`,
      'Content-Type: application/json',
      `Content-Length: ${contentLength}`,
      'Connection: keep-alive',
    ].join('\r\n');

  function parseResponses(text: string) {
    const count = text.match(/^HTTP\/1\.1 \d{3}/gm)?.length ?? 0;
    const [head = '', body = ''] = text.split('\r\n\r\n');
    return { count, status: Number(head.slice(9, 12)), head: head.toLowerCase(), body: JSON.parse(body) as unknown };
  }

  it('When a fast request comes, then it is answered normally, and its connection is kept for 65 s (longer than clients keep theirs)', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/me`, { headers: { authorization: `Bearer ${user.apiKey}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('keep-alive')).toBe('timeout=65');
  });

  it('When a handler takes longer than the timeout, then 503 timeout, the socket closes, and the late end of the handler sends nothing', async () => {
    const body = JSON.stringify({ fields: { title: 'slow' } });
    const { text, ms } = await rawExchange(requestHead('/v1/records/note', Buffer.byteLength(body)), body);
    const res = parseResponses(text);
    expect(res.count).toBe(1);
    expect(res.status).toBe(503);
    expect(res.head).toContain('connection: close');
    expect(isErrorBody(res.body)).toBe(true);
    expect(res.body).toMatchObject({ error: { code: 'timeout', details: { timeoutMs: TIMEOUT_MS } } });
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS);

    // Now let the work finish: the record is written by its instance's first step, and the handler ends after its answer.
    await startWorker(h);
    const late = await eventually(async () => logs.find((l) => l.msg === 'request ended after its answer was sent'), 30_000);
    expect(late.level).toBe(40);
    expect(await h.db.collection('records').countDocuments({ 'fields.title': 'slow' })).toBe(1);
    // Nothing reached the (closed) socket after the 503: the exchange above already holds everything it carried.
    expect(parseResponses(text).count).toBe(1);
    figures.push(`request timeout: a handler slower than ${TIMEOUT_MS} ms answered 503 timeout after ${ms} ms; one response on the socket, then closed`);
  });

  it('When a client sends its body too slowly, then 503 timeout and the connection is closed', async () => {
    const { text, ms } = await rawExchange(requestHead('/v1/records/note', 1_000), '{"fields": {"title": "never fin');
    const res = parseResponses(text);
    expect(res.count).toBe(1);
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ error: { code: 'timeout' } });
    // Only the slow handler's record of the test before exists.
    expect(await h.db.collection('records').countDocuments({})).toBe(1);
    figures.push(`slow body: ${1_000} bytes announced, 31 sent → 503 timeout after ${ms} ms`);
  });
});
