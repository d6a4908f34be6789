import { SEVERITIES } from "../engine/types.js";
import { html, visible, type Html } from "./html.js";
import type { Posture, SeverityCounts, ToolChangeDetail, TrendPoint } from "./hub-queries.js";
import { trendChart } from "./trend-chart.js";
import { percent, plural, repoHref, when } from "./view-helpers.js";

export interface OverviewData {
  totals: { repositories: number; withServers: number; withConfigs: number; scanned: number; open: SeverityCounts };
  posture: Posture;
  trend: TrendPoint[];
  changes: (ToolChangeDetail & { repositoryId: number; fullName: string })[];
}

/** The organization at a glance: open findings by severity, their trend, the posture figures, recent tool changes. */
export function overviewPage(data: OverviewData): Html {
  const { totals, posture } = data;
  if (totals.repositories === 0) {
    return html`<h1>Overview</h1>
<div class="notice"><p><strong>No repositories to show yet.</strong></p>
<p>The hub lists the repositories where mcp-review is installed and that GitHub lets you read. If the app was just installed, the first scans may still be running; otherwise ask an organization owner to install mcp-review on the repositories you work on.</p></div>`;
  }
  const card = (value: string | number, label: string, href?: string, extra = "") => {
    const inner = html`<span class="value">${value}</span><span class="label">${label}</span>`;
    return html`<li class="card ${extra}">${href ? html`<a href="${href}">${inner}</a>` : inner}</li>`;
  };
  return html`<h1>Overview</h1>
<p class="lede">${plural(totals.repositories, "repository", "repositories")} you can read · ${totals.scanned} scanned · ${totals.withServers} with MCP servers · ${totals.withConfigs} with MCP client configs</p>

<h2 id="open">Open findings</h2>
<ul class="cards" aria-labelledby="open">
  ${SEVERITIES.map((s) => card(totals.open[s], s, `/hub/repos?severity=${s}`, `sev sev-${s}`))}
</ul>

<h2 id="trend">Trend, last ${data.trend.length} days</h2>
${trendChart(data.trend)}

<h2 id="posture">Posture</h2>
<ul class="cards" aria-labelledby="posture">
  ${card(percent(posture.pinnedConfiguredServers, posture.judgedConfiguredServers), `of configured servers fetched from a registry are pinned to one version (${posture.pinnedConfiguredServers} of ${posture.judgedConfiguredServers})`, "/hub/repos?configs=yes")}
  ${card(posture.exposedServers, `HTTP servers listening beyond loopback (of ${posture.httpServers} HTTP servers)`, "/hub/repos?rule=bind-all-interfaces")}
  ${card(posture.exposedWithoutAuth, "of those, without authentication", "/hub/repos?rule=missing-auth", posture.exposedWithoutAuth > 0 ? "sev sev-critical" : "")}
  ${card(posture.commandServers, "servers whose tools run commands or code from their input (open injection findings)", "/hub/repos?rule=command-injection")}
  ${card(posture.openCritical, "open critical findings", "/hub/repos?severity=critical", posture.openCritical > 0 ? "sev sev-critical" : "")}
  ${card(posture.toolChanges30d, "tool definitions changed in the last 30 days", "#changes")}
</ul>

<h2 id="changes">Recent tool-definition changes</h2>
${data.changes.length === 0
  ? html`<p class="muted">No tool was added, changed or removed since each repository's first scan.</p>`
  : html`<div class="table-wrap"><table>
  <thead><tr><th scope="col">when</th><th scope="col">repository</th><th scope="col">tool</th><th scope="col">change</th></tr></thead>
  <tbody>${data.changes.map((c) => html`<tr><td>${when(c.changedAt)}</td><td><a href="${repoHref(c.repositoryId)}#history">${c.fullName}</a></td><td class="mono">${visible(c.name)}</td><td><span class="tag${c.change === "changed" ? " bad" : ""}">${c.change}</span></td></tr>`)}</tbody>
</table></div>`}`;
}
