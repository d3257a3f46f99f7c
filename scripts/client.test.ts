import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { openApiDocument } from '../api/openapi/document';

const run = promisify(execFile);
const TSC = require.resolve('typescript/bin/tsc');
const WRAPPER = path.resolve(__dirname, '..', 'api', 'client', 'index.ts');
const CLIENT_TYPES = path.resolve(__dirname, '..', 'api', 'client', 'schema.d.ts');
const TSX = require.resolve('tsx/cli');

/** `npm run client` as a child process: openapi-typescript is ESM inside, which jest's CommonJS cannot load. */
async function generate(out: string, from?: string): Promise<void> {
  await run(process.execPath, [TSX, path.join(__dirname, 'client.ts'), '--out', out, ...(from ? ['--from', from] : [])]);
}

/**
 * What the web console will write against the client: a wrong or missing
 * schema makes a field `unknown` (or absent), and then this does not compile.
 */
const PROGRAM = `
import type { paths } from './schema';
import { createClient } from './index';

type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type IsUnknown<T> = unknown extends T ? true : false;

type InstanceBody = paths['/v1/instances/{id}']['get']['responses'][200]['content']['application/json'];
type StageKey = InstanceBody['stage']['key'];
type InstanceList = paths['/v1/instances']['get']['responses'][200]['content']['application/json'];
type RecordList = paths['/v1/records/{type}']['get']['responses'][200]['content']['application/json'];
type Moved = paths['/v1/instances/{id}/moves']['post']['responses'][200]['content']['application/json'];
type ListItem = InstanceList['items'][number];
type RecordBody = paths['/v1/records/{type}/{id}']['get']['responses'][200]['content']['application/json'];

export const checks: [
  Exactly<StageKey, string>,
  IsUnknown<InstanceBody>,
  Exactly<InstanceBody['stage']['type'], 'normal' | 'success' | 'failure' | 'invalid'>,
  Exactly<InstanceList['nextCursor'], string | null>,
  Exactly<InstanceList['items'][number]['instanceId'], string>,
  Exactly<RecordList['items'][number]['version'], number>,
  Exactly<Moved, InstanceBody>,
  Exactly<ListItem['stage'], InstanceBody['stage']>,
  Exactly<RecordBody['instances'][number], ListItem>,
  InstanceBody extends ListItem ? true : false,
] = [true, false, true, true, true, true, true, true, true, true];

export async function consoleLike(): Promise<string[]> {
  const api = createClient({ baseUrl: 'http://127.0.0.1:0', apiKey: 'pk_test' });
  const one = await api.get('/v1/instances/{id}', { params: { id: 'pipeline:cmp:deals:opportunity:opp_1' } });
  const page = await api.get('/v1/instances', { query: { limit: 20, status: 'running', shape: 'instance' } });
  const keys: string[] = [];
  if (one.ok) keys.push(one.data.stage.key, ...one.data.allowedMoves.map((m) => m.key));
  if (page.ok) keys.push(...page.data.items.map((i) => i.stage.key), page.data.nextCursor ?? 'last page');
  const moved = await api.post('/v1/instances/{id}/moves', { params: { id: 'x' }, body: { to: 'won', reason: 'signed' } });
  if (!moved.ok) keys.push(moved.error.code);
  return keys;
}
`;

describe('the generated API client', () => {
  jest.setTimeout(120_000);

  it('When the document is turned into types and a small program uses them, then it type-checks with every answer typed', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'propeller-client-'));
    try {
      await fs.writeFile(path.join(dir, 'openapi.json'), JSON.stringify(openApiDocument()));
      await generate(path.join(dir, 'schema.d.ts'), path.join(dir, 'openapi.json'));
      await fs.copyFile(WRAPPER, path.join(dir, 'index.ts'));
      await fs.writeFile(path.join(dir, 'program.ts'), PROGRAM);
      // Its own compiler options, as a browser project would have them: no Node types, the DOM's fetch.
      const compilerOptions = { noEmit: true, strict: true, noUncheckedIndexedAccess: true, target: 'ES2022', lib: ['ES2022', 'DOM'], module: 'commonjs', types: [] };
      await fs.writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['program.ts'] }));
      const result = await run(process.execPath, [TSC, '-p', dir], { cwd: dir }).then(
        () => 'compiles',
        (err: { stdout?: string }) => err.stdout ?? String(err),
      );
      expect(result).toBe('compiles');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('When the committed client is compared with the document, then it is current (run npm run client otherwise)', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'propeller-client-'));
    try {
      await generate(path.join(dir, 'schema.d.ts'));
      const [committed, fresh] = await Promise.all([fs.readFile(CLIENT_TYPES, 'utf8'), fs.readFile(path.join(dir, 'schema.d.ts'), 'utf8')]);
      expect(committed === fresh ? 'current' : 'stale: run npm run client').toBe('current');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
