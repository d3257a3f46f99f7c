import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { call, type TestUser } from '../support/auth';
import { CHROMIUM, launchChromium, watchedPage } from '../support/chromium';
import { seedDemo, type DemoWorld } from '../support/demo';
import { startHarness, type Harness } from '../support/harness';
import { createRecord, instancePath, publishPipeline, startInstance, testPipeline } from '../support/pipelines';
import { testStack } from '../support/stack';

/**
 * The console's instance page in Debian's Chromium, against the real stack: opened from a card's
 * link on the board, it shows the record's fields, the stage path and the audit trail as the API
 * answers them, completes a task that needs a field (the API's refusal first, in its own words),
 * links the run in the Temporal Web UI by its workflow id, follows a move made elsewhere within
 * 2 s, and keeps hostile record text as text.
 */

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..', '..');
const OUTPUT_DIR = path.join(ROOT, 'test-output', 'console');
const UI_MS = 15_000;
const LIVE_MS = 2_000;
const HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>';

const haveChromium = fs.existsSync(CHROMIUM);
/** Run in the page by page.evaluate: they name nothing outside themselves. */
const pageWidth = () => (globalThis as any).document.documentElement.scrollWidth as number;
const pathname = () => (globalThis as any).location.pathname as string;
const textOf = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));

if (!haveChromium) process.stderr.write(`[console-instance.test] SKIPPED: ${CHROMIUM} is missing (apt-get install -y chromium; .ci/run does).\n`);

(haveChromium ? describe : describe.skip)("The console's instance page in Chromium", () => {
  let h: Harness;
  let demo: DemoWorld;
  let sales: TestUser;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  const dialogs: string[] = [];
  const consoleErrors: string[] = [];
  const def = testPipeline('Instance page deals', 'opportunity', [
    {
      key: 'qualify',
      name: 'Qualify',
      type: 'normal',
      initial: true,
      winRate: 20,
      deadline: { after: '7d', to: 'lost' },
      reminders: [{ before: '1d' }],
      tasks: [{ key: 'nda', name: 'Sign the NDA', assignee: { kind: 'owner' }, required: true, kind: 'edit_fields', fields: ['nda'] }],
    },
    {
      key: 'propose',
      name: 'Propose',
      type: 'normal',
      winRate: 50,
      tasks: [
        { key: 'quote', name: 'Make the quotation', assignee: { kind: 'owner' }, required: false, kind: 'create_record', recordType: 'quotation', linkField: 'quotationId' },
        { key: 'contract', name: 'Link the contract', assignee: { kind: 'owner' }, required: false, kind: 'create_record', recordType: 'contract', linkField: 'contractId' },
      ],
    },
    { key: 'won', name: 'Won', type: 'success', winRate: 100 },
    { key: 'lost', name: 'Lost', type: 'failure', winRate: 0 },
  ]);
  const deals: Record<'alpha' | 'hostile', { title: string; instanceId: string }> = {} as never;

  const card = (title: string) => page.locator('[data-testid="card"]').filter({ has: page.locator('.title', { hasText: title }) });
  const detailOf = async (instanceId: string) => (await call(h, 'GET', instancePath(instanceId), { user: sales })).body;
  const openTask = (name: string) => page.getByRole('form', { name: `Complete ${name}` });

  beforeAll(async () => {
    h = await startHarness();
    demo = await seedDemo(h);
    sales = demo.users.sales;
    await publishPipeline(h, demo.users.admin, def);
    const make = async (title: string, extra: Record<string, unknown> = {}) => {
      const record = await createRecord(h, sales, 'opportunity', { fields: { title, amount: 3_000, ...extra }, partnerCompanyId: demo.companies.partnerA });
      const started = await startInstance(h, sales, def.key, record.id);
      expect(started.status).toBe(201);
      return { title, instanceId: started.body.instanceId as string };
    };
    deals.alpha = await make('Alpha instance', { nextStep: 'Call the buyer' });
    deals.hostile = await make(HOSTILE, { notes: HOSTILE });

    browser = await launchChromium({ width: 1280, height: 800 });
    page = await watchedPage(browser.context, { dialogs, consoleErrors });
    fs.mkdirSync(OUTPUT_DIR, { recursive: true });

    await page.goto(`${h.apiUrl}/console`);
    await page.getByLabel('API key').fill(sales.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Pipeline').selectOption(def.key);
  });

  afterAll(async () => {
    await browser?.close();
    demo?.cleanup();
    await h?.stop();
  });

  it("When a card's link is clicked on the board, then its instance page opens at /console/instances/<instanceId> without a reload", async () => {
    const before = await page.evaluate(() => performance.timeOrigin);
    const link = card(deals.alpha.title).getByRole('link', { name: deals.alpha.title });
    await link.waitFor({ timeout: UI_MS });
    expect(await link.getAttribute('href')).toBe(`/console/instances/${encodeURIComponent(deals.alpha.instanceId)}`);
    await link.click();
    await page.getByTestId('instance-title').waitFor({ timeout: UI_MS });
    expect(await page.getByTestId('instance-title').textContent()).toBe(deals.alpha.title);
    expect(await page.evaluate(pathname)).toBe(`/console/instances/${encodeURIComponent(deals.alpha.instanceId)}`);
    expect(await page.evaluate(() => performance.timeOrigin)).toBe(before);
  });

  it('When the page shows the instance, then its fields, stage path and audit trail are what the API answers', async () => {
    const detail = await detailOf(deals.alpha.instanceId);
    const fields = page.getByTestId('fields');
    await fields.locator('[data-field="nextStep"]').waitFor({ timeout: UI_MS });
    const shown = await fields.locator('[data-field]').evaluateAll((rows) => rows.map((r) => [r.querySelector('dt')?.textContent, r.querySelector('dd')?.textContent]));
    expect(shown).toEqual(Object.entries(detail.record.fields).map(([k, v]) => [k, textOf(v)]));

    const pathShown = page.getByTestId('stage-path').locator('li');
    expect(await pathShown.evaluateAll((items) => items.map((i) => i.getAttribute('data-stage')))).toEqual(detail.history.map((x: { stage: string }) => x.stage));
    expect(await pathShown.first().getByTestId('duration').textContent()).toMatch(/^\d+[dhms]( \d+[dhms])?$/);

    const events = (await call(h, 'GET', `${instancePath(deals.alpha.instanceId)}/events?limit=100`, { user: sales })).body.items as Array<{ eventId: string; to?: string }>;
    expect(events.length).toBeGreaterThan(0);
    const rows = page.getByTestId('trail').locator('tbody tr');
    expect(await rows.evaluateAll((r) => r.map((x) => x.getAttribute('data-event')))).toEqual(events.map((e) => e.eventId));
    expect(await rows.first().locator('td').nth(4).textContent()).toBe(events[0]!.to ?? '');

    // The deadline and its reminder (a day before it) come from the detail and the stage's definition.
    expect(await page.getByTestId('deadline').textContent()).toMatch(/^in 6d 23h → Lost$/);
    expect(await page.getByTestId('reminders').textContent()).toMatch(/Reminder 1d before: in 5d 23h/);
  });

  it("When the page is photographed at 1280×800 and 390×844, then the open task's form and the deadline are on it and nothing is wider than a phone", async () => {
    expect(await openTask('Sign the NDA').getByLabel('nda').isVisible()).toBe(true);
    expect(await page.getByTestId('deadline').isVisible()).toBe(true);
    await page.screenshot({ path: path.join(OUTPUT_DIR, 'instance-1280x800.png'), fullPage: false });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByTestId('instance-title').waitFor({ timeout: UI_MS });
    expect(await page.evaluate(pageWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(OUTPUT_DIR, 'instance-390x844.png'), fullPage: false });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("When a task that needs a field is completed without it, then the API's message shows; with it, then the task is done in the API and MongoDB", async () => {
    const form = openTask('Sign the NDA');
    await form.waitFor({ timeout: UI_MS });
    await form.getByRole('button', { name: 'Complete' }).click();
    const error = form.getByTestId('task-error');
    await error.waitFor({ timeout: UI_MS });
    const taskId = (await detailOf(deals.alpha.instanceId)).tasks.open.find((t: { key: string }) => t.key === 'nda').id as string;
    const refused = await call(h, 'POST', `${instancePath(deals.alpha.instanceId)}/tasks/${encodeURIComponent(taskId)}/complete`, { user: sales, body: {} });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(await error.textContent()).toBe(refused.body.error.message);

    await form.getByLabel('nda').fill('signed 2026-12-08');
    await form.getByRole('button', { name: 'Complete' }).click();
    await page.getByTestId('done-tasks').getByText('Sign the NDA').waitFor({ timeout: UI_MS });
    expect(await openTask('Sign the NDA').count()).toBe(0);

    const detail = await detailOf(deals.alpha.instanceId);
    expect(detail.tasks.open).toEqual([]);
    expect(detail.tasks.done.map((t: { key: string }) => t.key)).toEqual(['nda']);
    expect(detail.record.fields.nda).toBe('signed 2026-12-08');
    const doc = await h.db.collection('instances').findOne({ _id: deals.alpha.instanceId as never });
    expect(Object.values((doc?.tasks ?? {}) as Record<string, { key: string; status: string }>).find((t) => t.key === 'nda')?.status).toBe('done');
    // The trail grew by the completion, and the page shows it.
    await page.getByTestId('trail').getByText('task completed').waitFor({ timeout: UI_MS });
  });

  it("When the Web UI's address is known, then the link names the instance's workflow id", async () => {
    const link = page.getByTestId('web-ui-link');
    await link.waitFor({ timeout: UI_MS });
    const href = new URL((await link.getAttribute('href'))!);
    expect(href.origin).toBe(new URL(testStack().temporalUiUrl).origin);
    expect(href.pathname).toBe('/namespaces/default/workflows');
    expect(href.searchParams.get('query')).toBe(`WorkflowId="${deals.alpha.instanceId}"`);
    expect(await page.getByTestId('workflow-id').textContent()).toBe(deals.alpha.instanceId);
    expect((await call(h, 'GET', '/v1/me', { user: sales })).body.temporalWebUi).toEqual({ url: testStack().temporalUiUrl, namespace: 'default' });
    expect((await call(h, 'GET', '/v1/me', { user: demo.users.partnerA_user })).body.temporalWebUi).toBeUndefined();
  });

  it('When the instance is moved elsewhere, then the page shows the new stage within 2 s without a reload', async () => {
    const before = await page.evaluate(() => performance.timeOrigin);
    const moved = await call(h, 'POST', `${instancePath(deals.alpha.instanceId)}/moves`, { user: sales, body: { to: 'propose' } });
    expect(moved.status).toBe(200);
    const t0 = Date.now();
    await page.getByTestId('stage-path').locator('li[data-stage="propose"]').waitFor({ timeout: LIVE_MS });
    expect(Date.now() - t0).toBeLessThanOrEqual(LIVE_MS);
    expect(await page.getByTestId('instance-stage').textContent()).toBe('Propose');
    expect(await page.evaluate(() => performance.timeOrigin)).toBe(before);
  });

  it('When tasks create or link a record, then their forms create one, or link the id typed, and the API holds the links', async () => {
    const quote = openTask('Make the quotation');
    await quote.waitFor({ timeout: UI_MS });
    await quote.getByLabel('Create a new quotation').check();
    await quote.getByLabel('Title of the new quotation').fill('Quote for Alpha');
    await quote.getByRole('button', { name: 'Complete' }).click();
    await page.getByTestId('done-tasks').getByText('Make the quotation').waitFor({ timeout: UI_MS });

    const contract = await createRecord(h, sales, 'contract', { fields: { title: 'Alpha contract' } });
    const link = openTask('Link the contract');
    await link.getByLabel('contract id (contractId)').fill('ctr_not_there');
    await link.getByRole('button', { name: 'Complete' }).click();
    await link.getByTestId('task-error').waitFor({ timeout: UI_MS });
    await link.getByLabel('contract id (contractId)').fill(contract.id);
    await link.getByRole('button', { name: 'Complete' }).click();
    await page.getByTestId('done-tasks').getByText('Link the contract').waitFor({ timeout: UI_MS });

    const detail = await detailOf(deals.alpha.instanceId);
    expect(detail.tasks.open).toEqual([]);
    expect(detail.record.fields.contractId).toBe(contract.id);
    const quotation = await call(h, 'GET', `/v1/records/quotation/${detail.record.fields.quotationId}`, { user: sales });
    expect(quotation.status).toBe(200);
    expect(quotation.body.fields.title).toBe('Quote for Alpha');
  });

  it('When Back is clicked and a hostile record is opened by its address, then its text stays text: no element of it, no dialog, no console error', async () => {
    await page.getByRole('link', { name: '← Back' }).click();
    await card(deals.hostile.title).waitFor({ timeout: UI_MS });
    await page.goto(`${h.apiUrl}/console/instances/${encodeURIComponent(deals.hostile.instanceId)}`);
    await page.getByTestId('instance-title').waitFor({ timeout: UI_MS });
    expect(await page.getByTestId('instance-title').textContent()).toBe(HOSTILE);
    expect(await page.getByTestId('fields').locator('[data-field="notes"] dd').textContent()).toBe(HOSTILE);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').evaluateAll((s) => s.map((e) => e.getAttribute('src')))).toEqual([expect.stringMatching(/^\/console\/assets\/index-.*\.js$/)]);
    expect(dialogs).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
