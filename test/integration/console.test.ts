import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { CONSOLE_CSP } from '../../api/console';
import { call, type TestUser } from '../support/auth';
import { CHROMIUM, launchChromium, watchedPage } from '../support/chromium';
import { seedDemo, type DemoWorld } from '../support/demo';
import { eventually, startHarness, type Harness } from '../support/harness';
import { createRecord, instancePath, publishPipeline, startInstance, testPipeline } from '../support/pipelines';

/**
 * The Propeller Console in Debian's Chromium (playwright-core, no browser
 * download), against the real stack: the harness's API serves /console from
 * the build the global setup made. A person signs in with a key, works the
 * board (its column headers are the API's figures), moves cards from their
 * menu (forms for required fields, the rule's own message on a refusal), sees
 * a move made elsewhere without a reload, and signs out. Hostile record text
 * stays text.
 */

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..', '..');
/** Screenshots for a human to look at; test-output/ is not in git. */
const OUTPUT_DIR = path.join(ROOT, 'test-output', 'console');
const UI_MS = 15_000;
/** A change made elsewhere shows on the board within this, without a reload. */
const LIVE_MS = 2_000;
const HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>';

const haveChromium = fs.existsSync(CHROMIUM);

/**
 * Run inside the page by page.evaluate, which sends their source: they name nothing outside
 * themselves, and reach the page's globals through globalThis (the tests compile without the DOM library).
 */
/** Where a tab could keep a key: its session storage's keys, how many local storage entries, its cookies. */
const kept = () => [Object.keys((globalThis as any).sessionStorage), (globalThis as any).localStorage.length, (globalThis as any).document.cookie];
const sessionEntries = () => (globalThis as any).sessionStorage.length as number;
const focusedText = () => ((globalThis as any).document.activeElement?.textContent ?? '') as string;
const pageWidth = () => (globalThis as any).document.documentElement.scrollWidth as number;
if (!haveChromium) {
  process.stderr.write(`[console.test] SKIPPED: ${CHROMIUM} is missing; install Debian's chromium (apt-get install -y chromium; .ci/run does) to run the console's browser tests.\n`);
}

(haveChromium ? describe : describe.skip)('The Propeller Console in Chromium', () => {
  let h: Harness;
  let demo: DemoWorld;
  let sales: TestUser;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  const dialogs: string[] = [];
  const consoleErrors: string[] = [];
  const consoleResponses: Array<{ url: string; csp: string | undefined }> = [];
  const def = testPipeline('Console deals', 'opportunity', [
    { key: 'qualify', name: 'Qualify', type: 'normal', initial: true, winRate: 20, deadline: { after: '7d', to: 'expired' } },
    {
      key: 'propose',
      name: 'Propose',
      type: 'normal',
      winRate: 50,
      rules: { requiredFields: ['nextStep'] },
      tasks: [{ key: 'sign', name: 'Sign the NDA', assignee: { kind: 'owner' }, required: false, kind: 'edit_fields', fields: ['nda'] }],
    },
    { key: 'negotiate', name: 'Negotiate', type: 'normal', winRate: 70, rules: { requiredTasks: ['sign'] } },
    { key: 'trial', name: 'Trial', type: 'normal', winRate: 30, deadline: { after: '4s', to: 'expired' } },
    { key: 'won', name: 'Won', type: 'success', winRate: 100 },
    { key: 'lost', name: 'Lost', type: 'failure', winRate: 0, rules: { requireReason: true } },
    { key: 'expired', name: 'Expired', type: 'failure', winRate: 0 },
  ]);
  const deals: Record<'alpha' | 'beta' | 'gamma' | 'hostile', { title: string; amount: number; instanceId: string; id: string }> = {} as never;

  const column = (stage: string) => page.locator(`[data-stage="${stage}"]`);
  const card = (title: string) => page.locator('[data-testid="card"]').filter({ has: page.locator('.title', { hasText: title }) });
  const stageInApi = async (instanceId: string) => (await call(h, 'GET', instancePath(instanceId), { user: sales })).body.stage.key as string;

  beforeAll(async () => {
    h = await startHarness();
    demo = await seedDemo(h);
    sales = demo.users.sales;
    await publishPipeline(h, demo.users.admin, def);
    const make = async (title: string, amount: number, extra: Record<string, unknown> = {}) => {
      const record = await createRecord(h, sales, 'opportunity', { fields: { title, amount, ...extra }, partnerCompanyId: demo.companies.partnerA });
      const started = await startInstance(h, sales, def.key, record.id);
      expect(started.status).toBe(201);
      return { title, amount, id: started.body.id as string, instanceId: started.body.instanceId as string };
    };
    deals.alpha = await make('Alpha deal', 1_000);
    deals.beta = await make('Beta deal', 2_000);
    deals.gamma = await make('Gamma deal', 4_000);
    deals.hostile = await make(HOSTILE, 8_000, { notes: HOSTILE, nextStep: HOSTILE });

    browser = await launchChromium({ width: 1280, height: 800 });
    page = await watchedPage(browser.context, { dialogs, consoleErrors });
    page.on('response', (res) => {
      if (new URL(res.url()).pathname.startsWith('/console')) consoleResponses.push({ url: res.url(), csp: res.headers()['content-security-policy'] });
    });
    fs.mkdirSync(OUTPUT_DIR, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    demo?.cleanup();
    await h?.stop();
  });

  it('When /console is opened without a key, then the page and its files come under the strict CSP, nosniff and no-referrer', async () => {
    const res = await page.goto(`${h.apiUrl}/console`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toBe(CONSOLE_CSP);
    expect(res?.headers()['x-content-type-options']).toBe('nosniff');
    expect(res?.headers()['referrer-policy']).toBe('no-referrer');
    await page.getByLabel('API key').waitFor({ timeout: UI_MS });
    // The script and the stylesheet came from the API too, under the same policy.
    expect(consoleResponses.filter((r) => r.url.includes('/console/assets/')).length).toBeGreaterThanOrEqual(2);
    for (const r of consoleResponses) expect(r.csp).toBe(CONSOLE_CSP);
  });

  it('When a wrong key is typed, then the reason is shown; when a right one is, then the name, roles and company are', async () => {
    await page.getByLabel('API key').fill('pk_not_a_real_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const reason = page.getByTestId('signin-reason');
    await reason.waitFor({ timeout: UI_MS });
    const refused = await fetch(`${h.apiUrl}/v1/me`, { headers: { authorization: 'Bearer pk_not_a_real_key' } });
    expect(refused.status).toBe(401);
    expect(await reason.textContent()).toBe(`Key refused: ${((await refused.json()) as any).error.message}`);
    expect(await page.evaluate(sessionEntries)).toBe(0);

    const me = (await call(h, 'GET', '/v1/me', { user: sales })).body;
    await page.getByLabel('API key').fill(sales.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('user-name').waitFor({ timeout: UI_MS });
    expect(await page.getByTestId('user-name').textContent()).toBe(me.user.name);
    expect(await page.getByTestId('company-name').textContent()).toBe(me.company.name);
    expect(await page.getByTestId('user-roles').textContent()).toBe(me.user.roles.join(', '));
    // The key is in this tab's session storage, and nowhere else.
    expect(await page.evaluate(kept)).toEqual([['propeller.apiKey'], 0, '']);
  });

  it("When a pipeline is picked, then its board has a column per stage in order, the cards in their stage and the API's figures in the headers", async () => {
    await page.getByLabel('Pipeline').selectOption(def.key);
    await card(deals.alpha.title).waitFor({ timeout: UI_MS });
    expect(await page.locator('[data-stage]').evaluateAll((cols) => cols.map((c) => c.getAttribute('data-stage')))).toEqual(def.stages.map((s) => s.key));
    for (const d of Object.values(deals)) expect(await column('qualify').locator('[data-testid="card"]').filter({ has: page.locator('.title', { hasText: d.title }) }).count()).toBe(1);
    const alpha = card(deals.alpha.title);
    expect(await alpha.textContent()).toContain('Partner');
    expect(await alpha.getByTestId('countdown').textContent()).toMatch(/^in 6d 23h → Expired$/);

    const figures = (await call(h, 'GET', `/v1/pipelines/${def.key}/board`, { user: sales })).body;
    expect(figures.stages.find((s: { key: string }) => s.key === 'qualify')).toMatchObject({ count: 4, amount: 15_000, weightedAmount: 3_000 });
    const digits = (s: string | null) => (s ?? '').replace(/\D/g, '');
    for (const s of figures.stages) {
      const head = column(s.key).locator('.column-head');
      expect(await head.getByTestId('count').textContent()).toBe(String(s.count));
      expect(digits(await head.getByTestId('amount').textContent())).toBe(String(Math.round(s.amount)));
      expect(digits(await head.getByTestId('weighted').textContent())).toBe(String(Math.round(s.weightedAmount)));
    }

    await page.screenshot({ path: path.join(OUTPUT_DIR, 'board-1280x800.png'), fullPage: false });
    await page.setViewportSize({ width: 390, height: 844 });
    await card(deals.alpha.title).waitFor({ timeout: UI_MS });
    // Usable at a phone's width: nothing wider than the screen, the menu button in reach.
    expect(await page.evaluate(pageWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(OUTPUT_DIR, 'board-390x844.png'), fullPage: false });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('When a card is moved from its menu, then the menu offers only allowedMoves, a form asks for the required fields, and the card lands in the new column', async () => {
    const allowed = (await call(h, 'GET', instancePath(deals.alpha.instanceId), { user: sales })).body.allowedMoves.map((m: { name: string }) => m.name);
    const alpha = card(deals.alpha.title);
    await alpha.getByRole('button', { name: 'Move…' }).click();
    const menu = alpha.getByRole('list', { name: `Move ${deals.alpha.title} to` });
    await menu.getByRole('button').first().waitFor({ timeout: UI_MS });
    expect(await menu.getByRole('button').allTextContents()).toEqual(allowed);
    await menu.getByRole('button', { name: 'Propose', exact: true }).click();

    // Propose requires nextStep, which the record lacks: a form asks for it.
    const form = alpha.getByRole('form', { name: 'Move to Propose' });
    await form.getByLabel('nextStep').fill('Send the proposal');
    await form.getByRole('button', { name: 'Move to Propose' }).click();

    await column('propose').locator('[data-testid="card"]').filter({ hasText: deals.alpha.title }).waitFor({ timeout: UI_MS });
    expect(await column('qualify').getByText(deals.alpha.title, { exact: true }).count()).toBe(0);
    expect(await stageInApi(deals.alpha.instanceId)).toBe('propose');
    const view = await h.db.collection('instances').findOne({ _id: deals.alpha.instanceId as never });
    expect(view?.stage).toBe('propose');
    const record = (await call(h, 'GET', `/v1/records/opportunity/${(await call(h, 'GET', instancePath(deals.alpha.instanceId), { user: sales })).body.record.id}`, { user: sales })).body;
    expect(record.fields.nextStep).toBe('Send the proposal');
    // The headers follow the API's figures.
    await eventually(async () => (await column('propose').locator('.column-head').getByTestId('count').textContent()) === '1', UI_MS);
  });

  it("When a move is refused, from the keyboard, then the card shows the rule's own message and nothing changes", async () => {
    const beta = card(deals.beta.title);
    const toggle = beta.getByRole('button', { name: 'Move…' });
    await toggle.focus();
    await page.keyboard.press('Enter');
    const menu = beta.getByRole('list', { name: `Move ${deals.beta.title} to` });
    await menu.getByRole('button').first().waitFor({ timeout: UI_MS });
    // The menu takes the focus; the arrows walk it.
    const focused = () => page.evaluate(focusedText);
    for (let i = 0; i < 10 && (await focused()) !== 'Negotiate'; i++) await page.keyboard.press('ArrowDown');
    expect(await focused()).toBe('Negotiate');
    await page.keyboard.press('Enter');

    const error = beta.getByTestId('card-error');
    await error.waitFor({ timeout: UI_MS });
    // The same move through the API is refused with the same words: the console shows the rule's message.
    const refused = await call(h, 'POST', `${instancePath(deals.beta.instanceId)}/moves`, { user: sales, body: { to: 'negotiate' } });
    expect(refused.status).toBe(409);
    expect(await error.textContent()).toBe(refused.body.error.message);
    expect(refused.body.error.message).toMatch(/Sign the NDA|sign/);
    expect(await stageInApi(deals.beta.instanceId)).toBe('qualify');
    expect(await column('qualify').locator('[data-testid="card"]').filter({ hasText: deals.beta.title }).count()).toBe(1);
  });

  it('When a move is made elsewhere, then the board shows it within 2 s without a reload', async () => {
    const before = await page.evaluate(() => performance.timeOrigin);
    const moved = await call(h, 'POST', `${instancePath(deals.gamma.instanceId)}/moves`, { user: sales, body: { to: 'won' } });
    expect(moved.status).toBe(200);
    const t0 = Date.now();
    await column('won').locator('[data-testid="card"]').filter({ hasText: deals.gamma.title }).waitFor({ timeout: LIVE_MS });
    expect(Date.now() - t0).toBeLessThanOrEqual(LIVE_MS);
    expect(await page.evaluate(() => performance.timeOrigin)).toBe(before);
    await eventually(async () => (await column('won').locator('.column-head').getByTestId('count').textContent()) === '1', LIVE_MS);
  });

  it('When a deadline a few seconds out fires, then its card moves within 2 s without a reload', async () => {
    const before = await page.evaluate(() => performance.timeOrigin);
    const record = await createRecord(h, sales, 'opportunity', { fields: { title: 'Delta deal', amount: 500 } });
    const started = await startInstance(h, sales, def.key, record.id);
    expect(started.status).toBe(201);
    const moved = await call(h, 'POST', `${instancePath(started.body.instanceId)}/moves`, { user: sales, body: { to: 'trial' } });
    expect(moved.status).toBe(200);
    const inTrial = column('trial').locator('[data-testid="card"]').filter({ hasText: 'Delta deal' });
    await inTrial.waitFor({ timeout: UI_MS });
    expect(await inTrial.getByTestId('countdown').textContent()).toMatch(/^in [0-4]s → Expired$/);

    await column('expired').locator('[data-testid="card"]').filter({ hasText: 'Delta deal' }).waitFor({ timeout: UI_MS });
    const seenAt = Date.now();
    const fired = (await call(h, 'GET', instancePath(started.body.instanceId), { user: sales })).body;
    expect(fired.stage.key).toBe('expired');
    // From the moment the deadline moved the instance to the moment the board showed it.
    expect(seenAt - Date.parse(fired.stageEnteredAt)).toBeLessThanOrEqual(LIVE_MS);
    expect(await page.evaluate(() => performance.timeOrigin)).toBe(before);
  });

  it('When a record holds <script> and <img onerror>, then they render as text: no element made of them, no dialog, no console error', async () => {
    const hostile = card(HOSTILE);
    await hostile.waitFor({ timeout: UI_MS });
    expect(await hostile.locator('.title').textContent()).toBe(HOSTILE);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').evaluateAll((s) => s.map((e) => e.getAttribute('src')))).toEqual([expect.stringMatching(/^\/console\/assets\/index-.*\.js$/)]);
    // Its form echoes the field names, never their values as markup.
    await hostile.getByRole('button', { name: 'Move…' }).click();
    await hostile.getByRole('button', { name: 'Lost', exact: true }).click();
    const form = hostile.getByRole('form', { name: 'Move to Lost' });
    await form.getByLabel('Reason').fill(HOSTILE);
    await form.getByRole('button', { name: 'Move to Lost' }).click();
    await column('lost').locator('[data-testid="card"]').filter({ has: page.locator('.title', { hasText: HOSTILE }) }).waitFor({ timeout: UI_MS });
    // A later poll has rendered the card again, with the figures of the move.
    await eventually(async () => (await column('lost').locator('.column-head').getByTestId('count').textContent()) === '1', UI_MS);
    expect(await page.locator('img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it("When the board is filtered by text and by partner, then only those cards show and the headers are the API's figures for that partner", async () => {
    const search = page.getByLabel('Search titles');
    await search.fill('alpha');
    await eventually(async () => (await page.locator('[data-testid="card"]').allTextContents()).length === 1, UI_MS);
    expect(await page.locator('[data-testid="card"] .title').allTextContents()).toEqual([deals.alpha.title]);
    await search.fill('');

    // Delta has no partner: with partner A picked, it leaves its column and the figures.
    await page.getByLabel('Partner').selectOption(demo.companies.partnerA);
    await eventually(async () => (await column('expired').locator('[data-testid="card"]').count()) === 0, UI_MS);
    const figures = (await call(h, 'GET', `/v1/pipelines/${def.key}/board?partnerCompanyId=${demo.companies.partnerA}`, { user: sales })).body;
    expect(figures.stages.find((st: { key: string }) => st.key === 'expired').count).toBe(0);
    await eventually(async () => {
      for (const st of figures.stages) {
        const head = column(st.key).locator('.column-head');
        if ((await head.getByTestId('count').textContent()) !== String(st.count)) return false;
        expect(await column(st.key).locator('[data-testid="card"]').count()).toBe(st.count);
      }
      return true;
    }, UI_MS);
    await page.getByLabel('Partner').selectOption('');
    await column('expired').locator('[data-testid="card"]').filter({ hasText: 'Delta deal' }).waitFor({ timeout: UI_MS });
  });

  it('When the person signs out, then the key is forgotten and the sign-in form is back', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor({ timeout: UI_MS });
    expect(await page.evaluate(kept)).toEqual([[], 0, '']);
    await page.reload();
    await page.getByLabel('API key').waitFor({ timeout: UI_MS });
  });

  it('When the key is revoked while the tab is open, then the next 401 signs the tab out with the reason', async () => {
    const issued = await call(h, 'POST', `/v1/users/${sales.actor.userId}/api-keys`, { user: demo.users.admin, body: {} });
    expect(issued.status).toBe(201);
    await page.getByLabel('API key').fill(issued.body.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('user-name').waitFor({ timeout: UI_MS });
    const revoked = await call(h, 'POST', `/v1/api-keys/${issued.body.id}/revoke`, { user: demo.users.admin, body: {} });
    expect(revoked.status).toBe(200);
    // The board's next poll answers 401: the console forgets the key and says why.
    await page.getByTestId('signin-reason').waitFor({ timeout: UI_MS });
    expect(await page.getByTestId('signin-reason').textContent()).toMatch(/^Signed out: /);
    expect(await page.evaluate(sessionEntries)).toBe(0);
    expect(consoleErrors).toEqual([]);
  });
});
