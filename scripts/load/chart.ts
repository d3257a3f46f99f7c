/** A line chart of p50 and p99 latency against the offered rate, both sides, as a standalone SVG (log-scaled latency). */
export interface ChartSeries {
  side: string;
  color: string;
  points: Array<{ rate: number; p50: number; p99: number }>;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function latencyChart(series: ChartSeries[], title: string, bound = 1000): string {
  const W = 720;
  const H = 420;
  const L = 70;
  const R = 180;
  const T = 40;
  const B = 50;
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.p99));
  const maxRate = Math.max(1, ...all.map((p) => p.rate));
  const minRate = Math.min(maxRate, ...all.map((p) => p.rate));
  const pad = (maxRate - minRate) * 0.08 || 0.5;
  const lo = Math.max(1, Math.min(bound, ...all.map((p) => p.p50)) / 2);
  const hi = Math.max(bound * 2, ...all.map((p) => p.p99));
  const x = (r: number) => L + ((r - minRate + pad) / (maxRate - minRate + 2 * pad)) * (W - L - R);
  const y = (ms: number) => T + (1 - (Math.log10(Math.max(ms, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (H - T - B);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${L}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#333"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#333"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">offered rate (lifecycles/s)</text>`,
    `<text x="16" y="${(T + H - B) / 2}" transform="rotate(-90 16 ${(T + H - B) / 2})" text-anchor="middle">latency (ms, log scale)</text>`,
  ];
  for (let e = Math.ceil(Math.log10(lo)); e <= Math.floor(Math.log10(hi)); e++) {
    const v = 10 ** e;
    parts.push(`<line x1="${L}" y1="${y(v)}" x2="${W - R}" y2="${y(v)}" stroke="#eee"/>`, `<text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${v}</text>`);
  }
  const ticks = [...new Set(all.map((p) => p.rate))].sort((a, b) => a - b);
  for (const r of ticks) parts.push(`<text x="${x(r)}" y="${H - B + 16}" text-anchor="middle">${r}</text>`);
  parts.push(
    `<line x1="${L}" y1="${y(bound)}" x2="${W - R}" y2="${y(bound)}" stroke="#c00" stroke-dasharray="6 4"/>`,
    `<text x="${L + 6}" y="${y(bound) - 5}" fill="#c00">capacity bound: p99 ${bound} ms</text>`,
  );
  let legend = T + 60;
  for (const s of series) {
    for (const [key, dash] of [['p50', ''], ['p99', '5 3']] as const) {
      const pts = s.points.filter((p) => Number.isFinite(p[key]));
      if (pts.length === 0) continue;
      parts.push(
        `<polyline fill="none" stroke="${s.color}" stroke-width="2" ${dash ? `stroke-dasharray="${dash}"` : ''} points="${pts.map((p) => `${x(p.rate).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ')}"/>`,
        ...pts.map((p) => `<circle cx="${x(p.rate).toFixed(1)}" cy="${y(p[key]).toFixed(1)}" r="3" fill="${s.color}"/>`),
        `<line x1="${W - R + 6}" y1="${legend + 20}" x2="${W - R + 30}" y2="${legend + 20}" stroke="${s.color}" stroke-width="2" ${dash ? `stroke-dasharray="${dash}"` : ''}/>`,
        `<text x="${W - R + 36}" y="${legend + 24}">${esc(`${s.side} ${key}`)}</text>`,
      );
      legend += 18;
    }
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
