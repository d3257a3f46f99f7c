import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { partnerLeadTemplate } from '../../workflows/domain/templates/partner-lead';
import { call, type TestUser } from '../support/auth';
import { ensureChromium, launchChromium } from '../support/chromium';
import { seedDemo, type DemoWorld } from '../support/demo';
import { uid } from '../support/factories';
import { eventually, startHarness, type Harness } from '../support/harness';
import { publishPipeline, recordInstanceId } from '../support/pipelines';
import { testStack } from '../support/stack';

/**
 * The SRE's view: the run's Temporal Web UI (the dev server's, on loopback),
 * driven by Debian's Chromium through playwright-core. Pipeline instances are
 * found by their search attributes, their page says what they are (static
 * summary and memo), and their history shows who moved them and why.
 */

// jest reads testTimeout only from the root config, not from the integration project's.
jest.setTimeout(90_000);

const ROOT = path.resolve(__dirname, '..', '..');
/** Screenshots for a human to look at; test-output/ is not in git. */
const OUTPUT_DIR = path.join(ROOT, 'test-output', 'web-ui');
/** What the UI gets to render a page or fetch a list: generous, the SPA loads its bundle first. */
const UI_MS = 30_000;
const REASON = 'Out of territory';

describe("The SRE's view of pipeline instances in the Temporal Web UI", () => {
  const key = `partner-lead-ui-${crypto.randomBytes(3).toString('hex')}`;
  const instanceId = (leadId: string) => recordInstanceId(demo.companies.owner, key, 'lead', leadId);
  let uiUrl: string;
  let h: Harness;
  let demo: DemoWorld;
  let sales: TestUser;
  let partnerUser: TestUser;
  let partnerA: string;
  let leads: Array<{ id: string; instanceId: string; title: string }>;
  /** The lead partner A declined (with a reason); the others stay Pending. */
  let declined: { id: string; instanceId: string; title: string };
  let pending: Array<{ id: string; instanceId: string; title: string }>;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let page: Page;

  beforeAll(() => ensureChromium(), 620_000);

  beforeAll(async () => {
    uiUrl = testStack().temporalUiUrl;
    h = await startHarness();
    demo = await seedDemo(h);
    ({ sales, partnerA_user: partnerUser } = demo.users);
    partnerA = demo.companies.partnerA;
    await publishPipeline(h, demo.users.admin, partnerLeadTemplate({ key, acceptWithin: '1h', convertWithin: '1h' }));

    leads = [];
    for (let i = 1; i <= 3; i++) {
      const title = `UI lead ${i} ${uid('t')}`;
      const res = await call(h, 'POST', '/v1/records/lead', {
        user: sales,
        body: { fields: { title, amount: 1_000 * i, contactName: 'Jo Contact' }, partnerCompanyId: partnerA },
      });
      expect(res.status).toBe(201);
      expect(res.body.instances).toEqual([{ instanceId: instanceId(res.body.id), outcome: 'started' }]);
      leads.push({ id: res.body.id, instanceId: instanceId(res.body.id), title });
    }
    declined = leads[2]!;
    pending = leads.slice(0, 2);
    // A 'move' update whose input carries the partner user as actor and the reason.
    const res = await call(h, 'POST', `/v1/leads/${declined.id}/decline`, { user: partnerUser, body: { reason: REASON } });
    expect(res.status).toBe(200);
    expect(res.body.stage).toMatchObject({ key: 'declined', name: 'Declined' });

    // Visibility catches up a moment after the upserts: wait for it here, not in the browser.
    const pendingQuery = `PipelineKey="${key}" AND Stage="Pending"`;
    await eventually(async () => {
      const ids: string[] = [];
      for await (const wf of h.client.workflow.list({ query: pendingQuery })) ids.push(wf.workflowId);
      return ids.sort().join() === pending.map((l) => l.instanceId).sort().join();
    }, UI_MS);

    fs.mkdirSync(OUTPUT_DIR, { recursive: true });
    browser = await launchChromium({ width: 1600, height: 1200 });
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.setDefaultTimeout(UI_MS);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    demo?.cleanup();
    await h?.stop();
  });

  const listUrl = (query: string) => `${uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(query)}`;
  /** The workflow list's rows (UI 2.42). */
  const rows = () => page.locator('tr[data-testid="workflows-summary-configurable-table-row"]');
  const workflowLink = (id: string) => page.getByRole('link', { name: id, exact: true });

  /** Opens the list for `query` and returns the workflow ids it shows, once `expected` are all there. */
  async function listWorkflows(query: string, expected: string[]): Promise<string[]> {
    await page.goto(listUrl(query));
    for (const id of expected) await workflowLink(id).waitFor();
    const shown = await rows().evaluateAll((trs) =>
      trs.map((tr) => tr.querySelector('input[type="checkbox"]')?.getAttribute('aria-label')?.replace(/^Select Workflow /, '') ?? ''),
    );
    return shown.sort();
  }

  /** The JSON shown in one of the UI's code views (CodeMirror), the one whose text contains every `marker`. */
  async function codeJson(...markers: string[]): Promise<any> {
    let view = page.locator('.cm-content');
    for (const marker of markers) view = view.filter({ hasText: marker });
    await view.first().waitFor();
    return JSON.parse((await view.first().textContent()) ?? '');
  }

  it('When the SRE searches Stage="Pending" for the pipeline, then the list shows the pending test leads and not the declined one', async () => {
    const query = `PipelineKey="${key}" AND Stage="Pending"`;
    const shown = await listWorkflows(query, pending.map((l) => l.instanceId));
    expect(shown).toEqual(pending.map((l) => l.instanceId).sort());
    expect(shown).not.toContain(declined.instanceId);
    await expect(workflowLink(declined.instanceId).count()).resolves.toBe(0);
    // The query stands in the filter bar as the SRE would have typed it.
    await page.getByText(`"${key}"`).first().waitFor();
    await page.screenshot({ path: path.join(OUTPUT_DIR, '1-stage-pending.png') });
  });

  it('When the SRE searches by RecordId, PartnerCompanyId, OwnerId and DeadlineAt, then exactly that lead is listed', async () => {
    const lead = pending[0]!;
    const query =
      `PipelineKey="${key}" AND RecordId="${lead.id}" AND PartnerCompanyId="${partnerA}"` +
      ` AND OwnerId="${sales.actor.userId}" AND DeadlineAt > "${new Date().toISOString()}"`;
    expect(await listWorkflows(query, [lead.instanceId])).toEqual([lead.instanceId]);
    await page.screenshot({ path: path.join(OUTPUT_DIR, '2-by-attributes.png') });
  });

  it("When the SRE opens the declined lead, then its page shows the pipeline's summary and memo and its history the move's actor and reason", async () => {
    // Found by its record id and its stage, opened from the list as the SRE would.
    await listWorkflows(`PipelineKey="${key}" AND RecordId="${declined.id}" AND Stage="Declined"`, [declined.instanceId]);
    await workflowLink(declined.instanceId).click();
    await page.waitForURL(/\/history/);
    expect(decodeURIComponent(page.url())).toContain(`/namespaces/default/workflows/${declined.instanceId}/`);

    // What it is: the static summary set at start, shown on its Workflow Execution Started event.
    const summary = `Partner lead v1 · lead ${declined.id} · "${declined.title}"`;
    await page.getByText(summary).first().waitFor();

    // Who moved it and why: the 'move' update's input, in its Update Accepted event.
    const accepted = page.getByRole('row').filter({ hasText: 'Workflow Execution Update Accepted' }).filter({ hasText: 'move' });
    await expect(accepted.count()).resolves.toBe(1);
    await accepted.click();
    const request = await codeJson('"actor"', REASON);
    expect(request.input.name).toBe('move');
    expect(request.input.args.payloads).toHaveLength(1);
    const input = request.input.args.payloads[0];
    expect(input.actor).toMatchObject({ kind: 'user', userId: partnerUser.actor.userId, companyId: partnerA });
    expect(input.move).toMatchObject({ to: 'declined', reason: REASON });
    // The request's code view scrolls on its own: bring the reason line into the picture (the actor stays in it).
    const requestView = page.locator('.cm-content').filter({ hasText: '"actor"' }).filter({ hasText: REASON }).first();
    await requestView.locator('.cm-line').filter({ hasText: `"reason": "${REASON}"` }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(OUTPUT_DIR, '3-move-actor-and-reason.png') });

    // The User Metadata tab renders the summary (as Temporal markdown, in a frame of its own).
    await page.getByRole('tab', { name: 'User Metadata', exact: true }).click();
    await page.waitForURL(/\/user-metadata$/);
    await page.frameLocator('iframe[title="output"]').first().getByText(`Partner lead v1 · lead ${declined.id}`).waitFor();
    await page.screenshot({ path: path.join(OUTPUT_DIR, '4-summary.png') });

    // The memo names the pipeline, its version and the record.
    await page.getByRole('tab', { name: 'Memo', exact: true }).click();
    await page.waitForURL(/\/memo$/);
    const memo = await codeJson('pipelineName');
    expect(memo.fields).toEqual({ pipelineName: 'Partner lead', pipelineVersion: 1, recordId: declined.id, recordTitle: declined.title });
    await page.screenshot({ path: path.join(OUTPUT_DIR, '5-memo.png') });
  });
});
