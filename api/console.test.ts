import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { expressRoutes } from '../test/support/openapi';
import { CONSOLE_CSP, consoleRoutes } from './console';

/** The console's files as the API serves them: from a build directory, with the CSP on every answer. */
describe('consoleRoutes', () => {
  let dir: string;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'propeller-console-'));
    fs.mkdirSync(path.join(dir, 'assets'));
    fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Console</title>');
    fs.writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    const app = express();
    app.use(consoleRoutes(dir));
    app.use((_req, res) => res.status(418).send('past the console'));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const security = (res: Response) => {
    expect(res.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  };

  it('serves the page at /console and, for its router, at any path under it, never cached', async () => {
    for (const p of ['/console', '/console/', '/console/pipelines/deals']) {
      const res = await fetch(`${base}${p}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).toContain('<title>Console</title>');
      security(res);
    }
  });

  it('serves hashed assets for a year, and answers a missing one 404 as text, not the page', async () => {
    const asset = await fetch(`${base}/console/assets/index-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    security(asset);
    const missing = await fetch(`${base}/console/assets/nope.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^text\/plain/);
    security(missing);
  });

  it('leaves every other path to the API', async () => {
    expect((await fetch(`${base}/consoles`)).status).toBe(418);
    expect((await fetch(`${base}/v1/me`)).status).toBe(418);
  });

  it('adds no route: the console is a client of the API, not an operation of its OpenAPI document', () => {
    const app = express();
    app.use(consoleRoutes(dir));
    expect(expressRoutes(app)).toEqual([]);
  });

  it('leaves other methods to the API', async () => {
    expect((await fetch(`${base}/console`, { method: 'POST' })).status).toBe(418);
  });

  it('says how to build the console when it is not built', async () => {
    const app = express();
    app.use(consoleRoutes(path.join(dir, 'nowhere')));
    const s = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => s.once('listening', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/console`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('npm run console:build');
      security(res);
    } finally {
      await new Promise((resolve) => s.close(resolve));
    }
  });
});
