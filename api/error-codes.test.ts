import fs from 'node:fs';
import path from 'node:path';
import { ERROR_CODES, isErrorCode } from './error-codes';

const ROOT = path.resolve(__dirname, '..');

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'client' ? [] : sources(rel);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [rel] : [];
  });
}

const files = ['api', 'activities', 'workflows', 'lib'].flatMap(sources).map((file) => ({ file, text: fs.readFileSync(path.join(ROOT, file), 'utf8') }));
const found = (pattern: RegExp) => files.flatMap(({ file, text }) => [...text.matchAll(pattern)].map((m) => ({ file, groups: m.slice(1) })));

/** Failure types that never reach a caller: a worker's own signals to itself and to its activities. */
const INTERNAL_FAILURES = new Set(['not_shared', 'WebhookRejected', 'WebhookDeliveryFailed', 'UnprocessedUpdate']);

describe('the error code catalogue', () => {
  it('When an AppError is made with a literal status and code, then the catalogue answers that code with that status', () => {
    const made = found(/new AppError\(\s*(\d{3}),\s*'([a-z_]+)'/g);
    expect(made.length).toBeGreaterThan(50);
    const wrong = made.filter(({ groups: [status, code] }) => !ERROR_CODES[code as keyof typeof ERROR_CODES]?.status.includes(Number(status)));
    expect(wrong).toEqual([]);
  });

  it('When a workflow or activity fails with a type, then the type is catalogued or one that never reaches a caller', () => {
    const types = found(/ApplicationFailure\.create\(\{\s*type:\s*'([A-Za-z_]+)'/g);
    expect(types.length).toBeGreaterThan(0);
    expect(types.filter(({ groups: [type] }) => !isErrorCode(type!) && !INTERNAL_FAILURES.has(type!))).toEqual([]);
  });

  it('When an error body is written by hand, then its code is catalogued', () => {
    const bodies = found(/errorBody\(\s*'([a-z_]+)'/g);
    expect(bodies.filter(({ groups: [code] }) => !isErrorCode(code!))).toEqual([]);
    expect(found(/error:\s*\{\s*code:\s*'([a-z_]+)'/g).filter(({ file, groups: [code] }) => !file.includes('schemas') && !isErrorCode(code!))).toEqual([]);
  });

  it('When a meaning is read, then it is one line and every status is an error status', () => {
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      expect([code, entry.meaning.includes('\n'), entry.status.every((s) => s >= 400 && s < 600)]).toEqual([code, false, true]);
    }
  });
});
