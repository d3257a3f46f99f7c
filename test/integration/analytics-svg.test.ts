import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { COLLECTIONS } from '../../activities/store';
import { FUNNEL_COLOURS, humanDuration } from '../../api/funnel-svg';
import type { StageType } from '../../workflows/domain/types';
import { call, seedUser, type TestUser } from '../support/auth';
import { ensureChromium, launchChromium } from '../support/chromium';
import { uid } from '../support/factories';
import { startHarness, type Harness } from '../support/harness';
import { createRecord, instancePath, publishPipeline, recordInstanceId, testPipeline } from '../support/pipelines';

/**
 * The funnel as a picture, checked the way a person would: Chromium opens the
 * SVG straight from the API, and the screenshot's pixels must show bars in
 * the ratios of the JSON's `entered` figures, outcomes in their colours.
 */

// jest reads testTimeout only from the root config, not from the integration project's.
jest.setTimeout(90_000);

/** Screenshots for a human to look at; test-output/ is not in git. */
const OUTPUT_DIR = path.resolve(__dirname, '..', '..', 'test-output', 'analytics-svg');
const WON = 'Won & <done>';

interface Stage {
  stage: string;
  name: string;
  type: StageType;
  entered: number;
  now: number;
  timeInStage: { medianMs: number | null };
}

const hex = (c: string) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
const near = (png: PNG, x: number, y: number, rgb: number[]) => rgb.every((v, k) => Math.abs(png.data[(y * png.width + x) * 4 + k]! - v) <= 3);

/** The longest horizontal run of one colour on pixel row `y`. */
function run(png: PNG, y: number, colour: string): { start: number; length: number } {
  const rgb = hex(colour);
  let best = { start: -1, length: 0 };
  for (let x = 0, start = -1; x <= png.width; x += 1) {
    if (x < png.width && near(png, x, y, rgb)) {
      if (start < 0) start = x;
    } else if (start >= 0) {
      if (x - start > best.length) best = { start, length: x - start };
      start = -1;
    }
  }
  return best;
}

describe('the funnel as an SVG picture, in Chromium', () => {
  let h: Harness;
  let sales: TestUser;
  let partner: TestUser;
  const company = uid('cmp');
  const type = uid('deal');
  const def = testPipeline(
    'Deals',
    type,
    [
      { key: 'open', name: 'Open', type: 'normal', initial: true },
      { key: 'qualified', name: 'Qualified', type: 'normal' },
      { key: 'won', name: WON, type: 'success' },
      { key: 'lost', name: 'Lost', type: 'failure' },
    ],
    { trigger: { onCreate: true, manual: false, reinitiate: false } },
  );
  let query: string;
  const jsonPath = () => `/v1/pipelines/${def.key}/analytics${query}`;
  const svgPath = () => `/v1/pipelines/${def.key}/analytics.svg${query}`;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let page: Page;

  beforeAll(() => ensureChromium(), 620_000);

  beforeAll(async () => {
    h = await startHarness();
    const admin = await seedUser(h, { companyId: company, roles: ['admin'] });
    sales = await seedUser(h, { companyId: company, roles: ['sales'] });
    partner = await seedUser(h, { companyKind: 'partner', roles: ['partner_user'] });
    const from = new Date(Date.now() - 1_000).toISOString();
    query = `?from=${encodeURIComponent(from)}&to=${encodeURIComponent(new Date(Date.now() + 120_000).toISOString())}`;
    await publishPipeline(h, admin, def);
    browser = await launchChromium({ width: 1000, height: 600 });
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.setExtraHTTPHeaders({ authorization: `Bearer ${sales.apiKey}` });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  const move = async (recordId: string, to: string) => {
    const res = await call(h, 'POST', `${instancePath(recordInstanceId(company, def.key, type, recordId))}/moves`, { user: sales, body: { to } });
    expect(res.status).toBe(200);
  };

  it('When five deals move, then the screenshot shows bars in the ratios of the JSON, outcomes in their colours, and the JSON figures as text', async () => {
    // Five open; four qualified; of those one won, two lost, one still qualified; one still open.
    const deals: string[] = [];
    for (let i = 0; i < 5; i += 1) deals.push((await createRecord(h, sales, type, { fields: { title: `Deal ${i}` } })).id);
    const [won, lost1, lost2, waiting] = deals as [string, string, string, string];
    for (const id of [won, lost1, lost2, waiting]) await move(id, 'qualified');
    await move(won, 'won');
    await move(lost1, 'lost');
    await move(lost2, 'lost');

    const json = await call(h, 'GET', jsonPath(), { user: sales });
    expect(json.status).toBe(200);
    const stages = json.body.stages as Stage[];
    expect(stages.map((s) => [s.stage, s.entered, s.now])).toEqual([['open', 5, 1], ['qualified', 4, 1], ['won', 1, 1], ['lost', 2, 2]]);
    expect(json.body.outcomes.map((o: { stage: string; count: number; share: number }) => [o.stage, o.count, o.share])).toEqual([['won', 1, 0.3333], ['lost', 2, 0.6667]]);
    expect(json.body.timeToOutcome.count).toBe(3);

    const answer = await page.goto(`${h.apiUrl}${svgPath()}`);
    expect(answer?.status()).toBe(200);
    const headers = answer!.headers();
    expect(headers['content-type']).toBe('image/svg+xml; charset=utf-8');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['content-security-policy']).toContain("default-src 'none'");
    // A standalone SVG document that failed to parse would be Chromium's error page, not an <svg> root.
    const size = await page.$eval(':root', (root) => ({ tag: root.tagName, width: Number(root.getAttribute('width')), height: Number(root.getAttribute('height')) }));
    expect(size.tag).toBe('svg');
    await page.setViewportSize({ width: size.width, height: size.height });
    fs.mkdirSync(OUTPUT_DIR, { recursive: true });
    const shot = await page.screenshot({ path: path.join(OUTPUT_DIR, 'funnel.png'), clip: { x: 0, y: 0, width: size.width, height: size.height } });
    const png = PNG.sync.read(shot);
    expect([png.width, png.height]).toEqual([size.width, size.height]);

    // Each bar measured on the pixel row through its middle; only the row is read from the DOM, never the width.
    const rows = await page.$$eval('rect[data-bar]', (rects) => rects.map((r) => ({ stage: r.getAttribute('data-bar')!, y: Number(r.getAttribute('y')) + Number(r.getAttribute('height')) / 2 })));
    expect(rows.map((r) => r.stage)).toEqual(stages.map((s) => s.stage));
    const measured = stages.map((s, i) => ({ ...s, y: Math.floor(rows[i]!.y), bar: run(png, Math.floor(rows[i]!.y), FUNNEL_COLOURS[s.type]) }));
    const widest = Math.max(...measured.map((m) => m.bar.length));
    const largest = Math.max(...stages.map((s) => s.entered));
    expect(widest).toBeGreaterThan(300);
    for (const m of measured) {
      expect([m.stage, Math.abs(m.bar.length - (widest * m.entered) / largest) <= 2]).toEqual([m.stage, true]);
      expect([m.stage, m.bar.start]).toEqual([m.stage, measured[0]!.bar.start]);
      // An outcome's bar is its type's colour, not the stage colour.
      if (m.type !== 'normal') expect([m.stage, run(png, m.y, FUNNEL_COLOURS.normal).length]).toEqual([m.stage, 0]);
    }
    expect(measured.map((m) => m.bar.length)).toEqual([widest, widest * 0.8, widest * 0.2, widest * 0.4].map(Math.round));

    const text = (selector: string) => page.$eval(selector, (el) => el.textContent ?? '');
    expect(await text('#title')).toBe(`Funnel of ${def.key} (v1)`);
    for (const s of stages) {
      const shown = await text(`g[data-stage="${s.stage}"]`);
      expect(shown).toContain(s.name);
      expect(shown).toContain(`entered ${s.entered} · now ${s.now}`);
      if (s.type === 'normal') expect(shown).toContain(`median time in stage ${humanDuration(s.timeInStage.medianMs)}`);
    }
    expect(await text('g[data-stage="open"]')).toContain('to Qualified 100%');
    expect(await text('g[data-stage="qualified"]')).toContain(`to Lost 66.7%, ${WON} 33.3%`);
    expect(await text('g[data-stage="won"]')).toContain('count 1 · 33.3% of outcomes');
    expect(await text('g[data-stage="lost"]')).toContain('count 2 · 66.7% of outcomes');
    expect(await text('#time-to-outcome')).toBe(`Time to outcome: median ${humanDuration(json.body.timeToOutcome.medianMs)} over 3 instances`);
  });

  it('When the analytics route is asked for image/svg+xml, then it answers the same picture; for */* or no Accept, JSON', async () => {
    const svg = await call(h, 'GET', svgPath(), { user: sales });
    const negotiated = await call(h, 'GET', jsonPath(), { user: sales, headers: { accept: 'application/json;q=0.5, image/svg+xml' } });
    expect(negotiated.status).toBe(200);
    expect(negotiated.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    expect(negotiated.headers.get('vary')).toMatch(/Accept/);
    expect(negotiated.body).toBe(svg.body);
    for (const accept of ['*/*', 'application/json', 'text/html']) {
      const res = await call(h, 'GET', jsonPath(), { user: sales, headers: { accept } });
      expect([accept, res.headers.get('content-type')]).toEqual([accept, expect.stringMatching(/^application\/json/)]);
      expect(res.body.pipelineKey).toBe(def.key);
    }
    const bare = await fetch(`${h.apiUrl}${jsonPath()}`, { headers: { authorization: `Bearer ${sales.apiKey}` } });
    expect(bare.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it.each([
    ['`from` after `to`', '?from=2026-06-01T00:00:00Z&to=2026-05-01T00:00:00Z', 'from'],
    ['a date that is not one', '?from=yesterday', 'from'],
    ['an unknown parameter', '?stage=open', ''],
  ])('When the .svg route gets %s, then 400 as JSON and nothing changes', async (_what, bad, field) => {
    const ours = () => h.db.collection(COLLECTIONS.events).find({ instanceId: { $regex: `^pipeline:${company}:` } }).toArray();
    const before = await ours();
    const res = await call(h, 'GET', `/v1/pipelines/${def.key}/analytics.svg${bad}`, { user: sales, headers: { accept: 'image/svg+xml' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body.error.code).toBe('invalid_request');
    if (field) expect(res.body.error.details.fieldErrors).toHaveProperty(field);
    expect(await ours()).toEqual(before);
  });

  it('When a partner, an unknown pipeline or no key asks for the picture, then 403, 404 or 401 as JSON', async () => {
    expect((await call(h, 'GET', `/v1/pipelines/${def.key}/analytics.svg`, { user: partner })).status).toBe(403);
    const missing = await call(h, 'GET', `/v1/pipelines/${uid('nope')}/analytics.svg`, { user: sales });
    expect([missing.status, missing.body.error.code]).toEqual([404, 'not_found']);
    expect((await call(h, 'GET', `/v1/pipelines/${def.key}/analytics.svg`)).status).toBe(401);
  });
});
