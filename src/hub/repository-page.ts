import { SEVERITIES } from "../engine/types.js";
import { html, invisibleCount, visible, type Html } from "./html.js";
import type { ConfigDetail, DependencyDetail, FindingDetail, RepositoryDetail, ServerDetail, ToolChangeDetail, ToolDetail } from "./hub-queries.js";
import { markdown } from "./markdown.js";
import { location, plural, severityBadge, when, whoUsesHref } from "./view-helpers.js";

export interface RepositoryView {
  detail: RepositoryDetail;
  /** The GitHub web host, for links to lines at the scanned commit. */
  web: string;
  canRescan: boolean;
  csrf: string;
  /** A message after an action (the rescan was queued). */
  notice?: string;
}

/** One repository: findings with their remediation, servers, tools, configs, dependencies and the tool-definition history. */
export function repositoryPage(view: RepositoryView): Html {
  const { detail, web } = view;
  const repo = detail.repository;
  const commit = repo.lastScannedCommit;
  const at = (path: string, line: number, endLine?: number | null) => location(web, repo.fullName, commit, path, line, endLine);
  const serverNames = new Map(detail.servers.map((s) => [s.key, s.name ?? `${s.path}:${s.line}`]));
  const open = SEVERITIES.reduce((n, s) => n + repo.open[s], 0);
  const scan = detail.latestScan;
  return html`<div class="repo-head">
  <div>
    <h1>${repo.fullName}</h1>
    <p class="muted">${repo.private ? html`<span class="tag">private</span> ` : ""}${repo.archived ? html`<span class="tag">archived</span> ` : ""}
      <a href="${web}/${repo.fullName}" rel="noopener noreferrer">Open on GitHub</a></p>
  </div>
  <div class="actions">
    ${view.canRescan
      ? html`<form method="post" action="/hub/repos/${repo.id}/rescan"><input type="hidden" name="csrf" value="${view.csrf}"><button type="submit" class="primary">Rescan default branch</button></form>`
      : ""}
    <a class="button" href="/hub/repos/${repo.id}.sarif" download>Download SARIF</a>
  </div>
</div>
${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : ""}
${scan && scan.status === "failed" ? html`<p class="warning">The latest scan (${when(scan.startedAt)}) failed: ${visible(scan.error ?? "unknown error")}. What is shown is from the last completed scan.</p>` : ""}
<dl class="facts">
  <dt>Default branch</dt><dd>${repo.defaultBranch ?? "—"}</dd>
  <dt>Last scan</dt><dd>${repo.lastScanAt ? html`${when(repo.lastScanAt)}${commit ? html` at <a class="mono" href="${web}/${repo.fullName}/commit/${commit}" rel="noopener noreferrer">${commit.slice(0, 7)}</a>` : ""}` : "not scanned yet"}${scan && scan.status === "running" ? html` · <span class="tag">a scan is running</span>` : ""}</dd>
  <dt>Open findings</dt><dd>${open === 0 ? "none" : SEVERITIES.filter((s) => repo.open[s] > 0).map((s) => html`${severityBadge(s, repo.open[s])} ${s} `)}</dd>
  <dt>Inventory</dt><dd>${plural(detail.servers.length, "server")} · ${plural(detail.tools.length, "tool or resource", "tools and resources")} · ${plural(detail.configs.length, "client config")} · ${plural(detail.dependencies.length, "MCP dependency", "MCP dependencies")}</dd>
  ${scan && (scan.notes.length > 0 || scan.notRead > 0) ? html`<dt>Coverage</dt><dd>${scan.notes.map((n) => html`${n} `)}${scan.notRead > 0 ? `${plural(scan.notRead, "file")} not read.` : ""}</dd>` : ""}
</dl>
<nav aria-label="On this page"><p>
  <a href="#findings">Findings (${detail.findings.length})</a> ·
  <a href="#servers">Servers (${detail.servers.length})</a> ·
  <a href="#tools">Tools (${detail.tools.length})</a> ·
  <a href="#configs">Client configs (${detail.configs.length})</a> ·
  <a href="#dependencies">Dependencies (${detail.dependencies.length})</a> ·
  <a href="#history">Tool history (${detail.history.length})</a>
</p></nav>

<h2 id="findings">Open findings</h2>
${detail.findings.length === 0 ? html`<p class="muted">No open findings.</p>` : detail.findings.map((f) => finding(f, at))}

<h2 id="servers">MCP servers</h2>
${detail.servers.length === 0 ? html`<p class="muted">No MCP server is implemented in this repository.</p>` : serversTable(detail.servers, at)}

<h2 id="tools">Tools, resources and prompts</h2>
${detail.tools.length === 0 ? html`<p class="muted">None found.</p>` : detail.tools.map((t) => tool(t, serverNames, at))}

<h2 id="configs">MCP client configs</h2>
${detail.configs.length === 0 ? html`<p class="muted">No MCP client config in this repository.</p>` : detail.configs.map((c) => config(c, at))}

<h2 id="dependencies">MCP dependencies</h2>
${detail.dependencies.length === 0 ? html`<p class="muted">No MCP package in the manifests and lockfiles.</p>` : dependenciesTable(detail.dependencies, at)}

<h2 id="history">Tool-definition history</h2>
${detail.history.length === 0 ? html`<p class="muted">No tool was added, changed or removed since the first scan.</p>` : detail.history.map((c) => change(c, web, repo.fullName))}`;
}

type At = (path: string, line: number, endLine?: number | null) => Html;

function finding(f: FindingDetail, at: At): Html {
  return html`<article class="finding ${f.severity}" aria-labelledby="f-${f.fingerprint}">
  <h3 id="f-${f.fingerprint}">${severityBadge(f.severity)} ${f.title}</h3>
  <p class="muted"><a href="/hub/repos?rule=${encodeURIComponent(f.ruleId)}" class="mono">${f.ruleId}</a>${f.cwe ? ` · ${f.cwe}` : ""} · ${at(f.path, f.line, f.endLine)}${f.context && f.context !== "production" ? html` · <span class="tag">${f.context} code</span>` : ""} · open since ${when(f.firstSeenAt)}</p>
  <p>${visible(f.message)}</p>
  ${f.remediation ? html`<div class="remediation"><h4>How to fix it</h4>${markdown(f.remediation)}</div>` : ""}
</article>`;
}

function serversTable(servers: ServerDetail[], at: At): Html {
  const auth = (s: ServerDetail) => (s.auth === "yes" ? html`<span class="tag good">required</span>` : s.auth === "no" ? html`<span class="tag bad">none</span>` : s.auth === "unknown" ? html`<span class="tag">unknown</span>` : html`<span class="muted">not HTTP</span>`);
  const listen = (s: ServerDetail) =>
    s.listen.length === 0
      ? s.exposure ? html`<span class="tag">${s.exposure}</span>` : html`<span class="muted">—</span>`
      : html`<ul class="plain">${s.listen.map((l) => html`<li><span class="mono">${visible(l.host ?? "(set at run time)")}${l.port ? `:${l.port}` : ""}</span> <span class="tag${l.exposure === "all" ? " bad" : l.exposure === "loopback" ? " good" : ""}">${l.exposure === "all" ? "all interfaces" : l.exposure}</span></li>`)}</ul>`;
  return html`<div class="table-wrap"><table>
  <thead><tr><th scope="col">server</th><th scope="col">language · SDK</th><th scope="col">transports</th><th scope="col">listens on</th><th scope="col">authentication</th><th scope="col">Host/Origin check</th><th scope="col">CORS</th></tr></thead>
  <tbody>${servers.map((s) => html`<tr>
    <th scope="row">${s.name ? html`<a href="${whoUsesHref("server", s.name)}" class="mono">${visible(s.name)}</a>` : html`<span class="muted">unnamed</span>`}${s.version ? html` <span class="muted">${visible(s.version)}</span>` : ""}<br>${at(s.path, s.line)}</th>
    <td>${s.language} · ${visible(s.sdk)}</td>
    <td>${s.transports.length ? s.transports.map((t) => html`<span class="tag">${t}</span> `) : html`<span class="muted">none found</span>`}</td>
    <td>${listen(s)}</td><td>${auth(s)}</td>
    <td>${s.hostValidation === null ? html`<span class="muted">—</span>` : s.hostValidation ? html`<span class="tag good">yes</span>` : html`<span class="tag bad">no</span>`}</td>
    <td>${s.cors ? html`<span class="tag${s.cors === "wildcard" ? " bad" : ""}">${s.cors}</span>` : html`<span class="muted">—</span>`}</td>
  </tr>`)}</tbody>
</table></div>`;
}

function tool(t: ToolDetail, servers: Map<string, string>, at: At): Html {
  const hidden = invisibleCount(t.description ?? "") + invisibleCount(t.name) + invisibleCount(t.inputSchema ?? "");
  let schema = t.inputSchema;
  try {
    if (schema) schema = JSON.stringify(JSON.parse(schema), null, 2);
  } catch {
    // shown as stored
  }
  return html`<article class="tool" aria-label="${t.kind} ${t.name}">
  <header><span class="tag">${t.kind}</span><h3>${visible(t.name)}</h3>
    <span class="muted">${t.serverKey && servers.has(t.serverKey) ? html`on ${visible(servers.get(t.serverKey)!)} · ` : ""}${at(t.path, t.line)} · <a href="${whoUsesHref("tool", t.name)}">who else has it</a></span></header>
  ${hidden > 0 ? html`<p class="warning"><strong>${plural(hidden, "invisible character")}</strong> in this definition, shown as escapes such as <span class="invisible">\\u200b</span>. Text a reader cannot see is a sign of tool poisoning.</p>` : ""}
  ${t.uri ? html`<p class="mono">${visible(t.uri)}</p>` : ""}
  <h4 class="visually-hidden">Description</h4>
  ${t.description ? html`<div class="untrusted" aria-label="description, as written in the code">${visible(t.description)}</div>` : html`<p class="muted">No description.</p>`}
  ${schema ? html`<details><summary>Input schema</summary><pre class="schema"><code>${visible(schema)}</code></pre></details>` : ""}
</article>`;
}

function config(c: ConfigDetail, at: At): Html {
  return html`<section class="change" aria-label="${c.client} config ${c.path}">
  <h3>${c.client} · ${at(c.path, 1)}</h3>
  ${c.parseError ? html`<p class="warning">This file does not parse: ${visible(c.parseError)}</p>` : ""}
  ${c.servers.length === 0
    ? html`<p class="muted">No servers configured.</p>`
    : html`<div class="table-wrap"><table>
    <thead><tr><th scope="col">server</th><th scope="col">transport</th><th scope="col">launch or URL</th><th scope="col">package</th><th scope="col">pinned</th></tr></thead>
    <tbody>${c.servers.map((s) => html`<tr>
      <th scope="row"><a href="${whoUsesHref("server", s.name)}" class="mono">${visible(s.name)}</a><br>${at(c.path, s.line)}</th>
      <td>${s.transport}</td>
      <td class="mono">${s.url ? visible(s.url) : visible([s.command ?? "", ...s.args].join(" "))}</td>
      <td>${s.packageName ? html`<a href="${whoUsesHref("package", s.packageName)}" class="mono">${visible(s.packageName)}</a>${s.packageVersion ? html` <span class="mono">${visible(s.packageVersion)}</span>` : ""} <span class="muted">${s.packageEcosystem ?? ""}</span>` : html`<span class="muted">—</span>`}</td>
      <td>${s.pinned === null ? html`<span class="muted">—</span>` : s.pinned ? html`<span class="tag good">pinned</span>` : html`<span class="tag bad">floating</span>`}</td>
    </tr>`)}</tbody>
  </table></div>`}
</section>`;
}

function dependenciesTable(dependencies: DependencyDetail[], at: At): Html {
  return html`<div class="table-wrap"><table>
  <thead><tr><th scope="col">package</th><th scope="col">version</th><th scope="col">declared in</th><th scope="col">advisories</th></tr></thead>
  <tbody>${dependencies.map((d) => html`<tr>
    <th scope="row"><a href="${whoUsesHref("package", d.name)}" class="mono">${visible(d.name)}</a> <span class="muted">${d.ecosystem}</span></th>
    <td class="mono">${visible(d.spec)}${d.exact ? "" : html` <span class="tag">range</span>`}</td>
    <td>${at(d.path, d.line)} <span class="muted">${d.locked ? "lockfile" : "manifest"}</span></td>
    <td>${d.advisories.length === 0
      ? html`<span class="muted">none known</span>`
      : html`<ul class="plain">${d.advisories.map((a) => html`<li>${/^https:\/\//.test(a.url) ? html`<a href="${a.url}" rel="noopener noreferrer">${a.id}</a>` : a.id}${a.cve ? ` (${a.cve})` : ""}: ${a.summary} <span class="muted">fixed in ${a.fixed}</span></li>`)}</ul>`}</td>
  </tr>`)}</tbody>
</table></div>`;
}

function change(c: ToolChangeDetail, web: string, fullName: string): Html {
  const pretty = (schema: string | null) => {
    if (!schema) return null;
    try {
      return JSON.stringify(JSON.parse(schema), null, 2);
    } catch {
      return schema;
    }
  };
  const side = (label: string, description: string | null, schema: string | null, present: boolean) => html`<div>
    <h4>${label}</h4>
    ${!present ? html`<p class="muted">${label === "Before" ? "did not exist" : "removed"}</p>` : html`<div class="untrusted">${description ? visible(description) : html`<span class="muted">no description</span>`}</div>${schema ? html`<pre class="schema"><code>${visible(pretty(schema)!)}</code></pre>` : ""}`}
  </div>`;
  return html`<article class="change" aria-label="${c.kind} ${c.name} ${c.change}">
  <h3><span class="tag${c.change === "changed" ? " bad" : ""}">${c.change}</span> <span class="mono">${visible(c.name)}</span> <span class="muted">${c.kind} · ${when(c.changedAt)}${c.commit ? html` · <a class="mono" href="${web}/${fullName}/commit/${c.commit}" rel="noopener noreferrer">${c.commit.slice(0, 7)}</a>` : ""}</span></h3>
  <div class="side-by-side">
    ${side("Before", c.oldDescription, c.oldSchema, c.change !== "added")}
    ${side("After", c.newDescription, c.newSchema, c.change !== "removed")}
  </div>
</article>`;
}
