import { SEVERITIES, type Severity } from "../engine/types.js";
import { html, type Html } from "./html.js";
import type { TrendPoint } from "./hub-queries.js";

/** The severity colours: white text on each passes WCAG AA (4.5:1). */
export const SEVERITY_COLOURS: Record<Severity, string> = { critical: "#a40e26", high: "#bc4c00", medium: "#8a5a00", low: "#0969da", info: "#59636e" };

const WIDTH = 720;
const HEIGHT = 200;
const PAD = { left: 40, right: 12, top: 12, bottom: 28 };

/**
 * Open findings by severity over the days given, as stacked areas in inline SVG: no script, no
 * external file, presentation attributes only (the page's CSP allows no inline style). The numbers
 * behind it follow in a table for screen readers and for whoever wants them.
 */
export function trendChart(points: readonly TrendPoint[]): Html {
  if (points.length === 0) return html``;
  const totals = points.map((p) => SEVERITIES.reduce((n, s) => n + p.counts[s], 0));
  const max = niceMax(Math.max(1, ...totals));
  const innerW = WIDTH - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (points.length === 1 ? innerW : (i / (points.length - 1)) * innerW);
  const y = (v: number) => PAD.top + innerH - (v / max) * innerH;
  const below = points.map(() => 0);
  const areas: Html[] = [];
  // Drawn from the least serious up, so critical sits on top where the eye lands.
  for (const severity of [...SEVERITIES].reverse()) {
    const top = points.map((p, i) => below[i]! + p.counts[severity]);
    if (top.every((v, i) => v === below[i])) continue;
    const upper = top.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`);
    const lower = below.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).reverse();
    areas.push(html`<polygon points="${[...upper, ...lower].join(" ")}" fill="${SEVERITY_COLOURS[severity]}" fill-opacity="0.85"><title>${severity}</title></polygon>`);
    top.forEach((v, i) => (below[i] = v));
  }
  const ticks = [0, max / 2, max].map((v) => html`<g><line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y(v)}" y2="${y(v)}" stroke="#d1d9e0" stroke-width="1"></line><text x="${PAD.left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11" fill="#59636e">${Math.round(v)}</text></g>`);
  const labels = [0, Math.floor((points.length - 1) / 2), points.length - 1].map((i, k) => html`<text x="${x(i)}" y="${HEIGHT - 8}" text-anchor="${k === 0 ? "start" : k === 2 ? "end" : "middle"}" font-size="11" fill="#59636e">${points[i]!.day}</text>`);
  const first = totals[0]!;
  const last = totals[totals.length - 1]!;
  const summary = `Open findings over the last ${points.length} days: ${first} on ${points[0]!.day}, ${last} on ${points[points.length - 1]!.day}.`;
  return html`<figure class="trend">
  <svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-labelledby="trend-title trend-desc" preserveAspectRatio="xMidYMid meet">
    <title id="trend-title">Open findings by severity, last ${points.length} days</title>
    <desc id="trend-desc">${summary}</desc>
    ${ticks}${areas}${labels}
  </svg>
  <figcaption>
    <ul class="legend">${[...SEVERITIES].map((s) => html`<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" rx="2" fill="${SEVERITY_COLOURS[s]}"></rect></svg> ${s}</li>`)}</ul>
    <details><summary>The numbers, week by week</summary>
      <table class="numbers"><caption class="visually-hidden">Open findings by severity</caption>
        <thead><tr><th scope="col">day</th>${SEVERITIES.map((s) => html`<th scope="col" class="num">${s}</th>`)}</tr></thead>
        <tbody>${points.filter((_, i) => (points.length - 1 - i) % 7 === 0).map((p) => html`<tr><th scope="row">${p.day}</th>${SEVERITIES.map((s) => html`<td class="num">${p.counts[s]}</td>`)}</tr>`)}</tbody>
      </table>
    </details>
  </figcaption>
</figure>`;
}

function niceMax(value: number): number {
  const step = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 5, 10]) if (m * step >= value) return Math.max(2, m * step);
  return value;
}
