import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LoadResult } from '../../scripts/load/report';
import { testStack } from '../support/stack';

// jest reads testTimeout only from the root config; the quick run starts its own worker and API processes.
jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * `npm run load -- --quick` against this run's servers: it must finish, write
 * its three files, find a capacity on both sides and check the overload
 * phase's changes. Nothing about speed is asserted beyond "not zero".
 */
describe('npm run load, quick', () => {
  let out: string;
  let exit: { code: number | null; stderr: string };

  beforeAll(async () => {
    const s = testStack();
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'propeller-load-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/load/main.ts', '--quick', '--out', out], {
      cwd: ROOT,
      env: { ...process.env, TEMPORAL_ADDRESS: s.temporalAddress, MONGODB_URI: s.mongoUri, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-20_000)));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    exit = { code, stderr };
  });
  afterAll(() => {
    if (out) fs.rmSync(out, { recursive: true, force: true });
  });

  it('When it runs in quick mode, then it exits 0 and writes result.json, result.md and latency.svg', () => {
    expect({ code: exit.code, stderr: exit.code === 0 ? '' : exit.stderr }).toEqual({ code: 0, stderr: '' });
    for (const file of ['result.json', 'result.md', 'latency.svg']) expect(fs.existsSync(path.join(out, file))).toBe(true);
    expect(fs.readFileSync(path.join(out, 'latency.svg'), 'utf8')).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(fs.readFileSync(path.join(out, 'result.md'), 'utf8')).toMatch(/^\| capacity, lifecycles\/s/m);
  });

  it('When its result is read, then both sides have a non-zero capacity from held steps, and the overload check found nothing lost or doubled', () => {
    const result = JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8')) as LoadResult;
    expect(result.capacity.propeller).toBeGreaterThan(0);
    expect(result.capacity.bare).toBeGreaterThan(0);
    expect(result.capacity.ratio).toBeCloseTo(result.capacity.propeller / result.capacity.bare, 2);
    for (const side of ['Propeller', 'bare Temporal']) {
      const held = result.steps.filter((s) => s.side === side && s.held);
      expect(held.length).toBeGreaterThan(0);
      for (const step of held) {
        expect(step.errors).toBe(0);
        expect(step.p99).toBeLessThanOrEqual(1_000);
        expect(step.requests).toBeGreaterThan(0);
      }
    }
    expect(result.settings.rateLimit).toMatch(/RATE_LIMIT_PER_MINUTE raised/);
    const overload = result.overload!;
    expect(overload.requests).toBeGreaterThan(0);
    expect(typeof overload.check).toBe('object');
    expect(overload.check).toMatchObject({ lost: 0, duplicated: 0, shedButApplied: 0 });
    expect((overload.check as { checked: number }).checked).toBeGreaterThan(0);
  });
});
