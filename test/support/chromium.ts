import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const ROOT = path.resolve(__dirname, '..', '..');

/** Debian's Chromium, driven by playwright-core (no browser download). */
export const CHROMIUM = '/usr/bin/chromium';

/** Headless in a container as root, and quiet: nothing fetched but what the test opens. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A fresh machine has no Chromium: the project's script installs Debian's (apt-get, as root). */
export function ensureChromium(): void {
  execFileSync('sh', [path.join(ROOT, 'scripts', 'ensure-chromium.sh')], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000 });
}

/** A browser with a profile of its own, removed again by `close`. */
export async function launchChromium(viewport: { width: number; height: number }): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'propeller-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport, deviceScaleFactor: 1 });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The browser's page, watched as a person's hostile-text checks need: every
 * dialog (dismissed) into `dialogs`, every script error into `consoleErrors`.
 * The API's refusals (a 401 for a wrong key, a 409 for a refused move) are
 * logged by Chromium as failed loads; the page handles them, so they are not errors.
 */
export async function watchedPage(context: BrowserContext, into: { dialogs: string[]; consoleErrors: string[] }): Promise<Page> {
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('dialog', (d) => {
    into.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) into.consoleErrors.push(m.text());
  });
  page.on('pageerror', (err) => into.consoleErrors.push(String(err)));
  return page;
}
