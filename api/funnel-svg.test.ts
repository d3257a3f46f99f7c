import type { StageFigures } from './analytics';
import { barWidth, FUNNEL_COLOURS, FUNNEL_LAYOUT, humanDuration, NO_DATA, percent, renderFunnelSvg, xmlText, type FunnelInput } from './funnel-svg';

const stage = (key: string, type: StageFigures['type'], entered: number, extra: Partial<StageFigures> = {}): StageFigures => ({
  stage: key, name: key[0]!.toUpperCase() + key.slice(1), type, entered, left: 0, leftByDeadline: 0, now: 0, next: [], timeInStage: { medianMs: null, p90Ms: null }, ...extra,
});

const funnel = (stages: StageFigures[], extra: Partial<FunnelInput> = {}): FunnelInput => ({
  pipelineKey: 'deals',
  version: 2,
  window: { from: '2026-01-01T00:00:00.000Z', to: '2026-01-31T00:00:00.000Z' },
  stages,
  outcomes: stages.filter((s) => s.type !== 'normal').map((s) => ({ stage: s.stage, name: s.name, type: s.type, count: s.entered, share: 0.5 })),
  timeToOutcome: { count: 2, medianMs: 90_000 },
  ...extra,
});

/** Each bar's `data-bar` and width, in document order. */
const bars = (svg: string) => [...svg.matchAll(/<rect data-bar="([^"]*)" [^>]*width="(\d+)"[^>]*fill="([^"]+)"/g)].map((m) => ({ stage: m[1], width: Number(m[2]), fill: m[3] }));

describe('the funnel as SVG', () => {
  const sample = funnel([
    stage('open', 'normal', 4, { now: 0, left: 4, next: [{ stage: 'qualified', count: 3, rate: 0.75 }, { stage: 'lost', count: 1, rate: 0.25 }], timeInStage: { medianMs: 4_200, p90Ms: 5_000 } }),
    stage('qualified', 'normal', 3, { now: 1 }),
    stage('won', 'success', 1, { now: 1 }),
    stage('lost', 'failure', 2, { now: 2 }),
  ]);
  const svg = renderFunnelSvg(sample);

  it('When stages have visits, then each bar is as wide as its entered count over the largest, in pipeline order', () => {
    const max = FUNNEL_LAYOUT.barMax;
    expect(bars(svg)).toEqual([
      { stage: 'open', width: max, fill: FUNNEL_COLOURS.normal },
      { stage: 'qualified', width: Math.round((3 / 4) * max), fill: FUNNEL_COLOURS.normal },
      { stage: 'won', width: Math.round((1 / 4) * max), fill: FUNNEL_COLOURS.success },
      { stage: 'lost', width: Math.round((2 / 4) * max), fill: FUNNEL_COLOURS.failure },
    ]);
    expect(svg).toContain('data-stage="qualified" data-type="normal" data-kind="stage" data-entered="3" data-now="1"');
    expect(svg).toContain('data-stage="won" data-type="success" data-kind="outcome" data-entered="1"');
  });

  it('When it is rendered, then it has fixed dimensions, a viewBox, a generic font, a title with the key, version and window, and the figures', () => {
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="900" height="(\d+)" viewBox="0 0 900 \1"/);
    expect(svg).toContain('font-family:sans-serif');
    expect(svg).toContain('Funnel of deals (v2)');
    expect(svg).toContain('2026-01-01 00:00 to 2026-01-31 00:00 UTC');
    expect(svg).toContain('entered 4 · now 0 · to Qualified 75%, Lost 25% · median time in stage 4.2 s');
    expect(svg).toContain('entered 1 · now 1 · count 1 · 50% of outcomes');
    expect(svg).toContain('Time to outcome: median 1.5 min over 2 instances');
    expect(svg).not.toContain(NO_DATA);
    expect(svg).not.toMatch(/<script|on\w+=/i);
  });

  it('When a stage name or key has markup, then it is text, escaped everywhere it appears', () => {
    const evil = '<script>alert("x")</script>&\'';
    const out = renderFunnelSvg(funnel([stage('a"b', 'normal', 1, { name: evil, next: [{ stage: 'c', count: 1, rate: 1 }] }), stage('c', 'success', 1, { name: '<b>C</b>' })], { pipelineKey: '<k&>' }));
    expect(out).not.toContain('<script');
    expect(out).not.toContain('<b>');
    expect(out).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/s…');
    expect(out).toContain('data-stage="a&quot;b"');
    expect(out).toContain('to &lt;b&gt;C&lt;/b&gt; 100%');
    expect(out).toContain('Funnel of &lt;k&amp;&gt; (v2)');
  });

  it.each([
    ['ampersand and quotes', `a & "b" 'c'`, 'a &amp; &quot;b&quot; &apos;c&apos;'],
    ['a control character XML forbids', 'a\u0000b\u001bc', 'a\uFFFDb\uFFFDc'],
    ['a lone surrogate', 'a\uD800b', 'a\uFFFDb'],
    ['an emoji (a surrogate pair)', 'won 🎉', 'won 🎉'],
    ['tab and newline', 'a\tb\nc', 'a\tb\nc'],
  ])('When text has %s, then xmlText makes it well-formed', (_what, text, expected) => {
    expect(xmlText(text)).toBe(expected);
  });

  it('When no instance entered any stage in the window, then every bar is 0 wide (no division by zero) and the picture says so', () => {
    const out = renderFunnelSvg(funnel([stage('open', 'normal', 0), stage('won', 'success', 0)], { version: null, timeToOutcome: { count: 0, medianMs: null }, outcomes: [] }));
    expect(bars(out).map((b) => b.width)).toEqual([0, 0]);
    expect(out).not.toMatch(/NaN|Infinity/);
    expect(out).toContain(NO_DATA);
    expect(out).toContain('Funnel of deals (draft)');
    expect(out).toContain('median time in stage —');
    expect(out).toContain('Time to outcome: no instance reached an outcome');
  });

  it('When a pipeline has no stages at all, then it is still a picture with a title', () => {
    const out = renderFunnelSvg(funnel([], { timeToOutcome: { count: 0, medianMs: null } }));
    expect(out).toContain(NO_DATA);
    expect(out).not.toMatch(/NaN|Infinity/);
  });

  it.each([
    [4, 4, FUNNEL_LAYOUT.barMax],
    [1, 3, 200],
    [2, 3, 400],
    [0, 3, 0],
    [0, 0, 0],
  ])('When %d entered of a largest %d, then the bar is %d px', (entered, max, width) => {
    expect(barWidth(entered, max)).toBe(width);
  });

  it.each([
    [null, '—'],
    [850, '850 ms'],
    [4_200, '4.2 s'],
    [90_000, '1.5 min'],
    [3 * 3_600_000, '3 h'],
    [60 * 3_600_000, '2.5 d'],
  ])('When a duration is %p ms, then it reads %p', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });

  it.each([
    [0.6667, '66.7%'],
    [0.5, '50%'],
    [1, '100%'],
    [0, '0%'],
  ])('When a rate is %p, then it reads %p', (rate, text) => {
    expect(percent(rate)).toBe(text);
  });
});
