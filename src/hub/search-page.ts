import { html, visible, type Html } from "./html.js";
import type { SearchHits } from "./hub-queries.js";
import { plural, repoHref, whoUsesHref } from "./view-helpers.js";

/** `GET /hub?q=`: what holds the text, by kind, each hit a link into the repository or to who uses it. */
export function searchPage(text: string, hits: SearchHits): Html {
  const count = hits.repositories.length + hits.servers.length + hits.tools.length + hits.packages.length + hits.rules.length;
  const section = (id: string, title: string, n: number, items: Html[]) =>
    n === 0 ? "" : html`<h2 id="${id}">${title} <span class="muted">(${n})</span></h2><ul class="plain hits">${items}</ul>`;
  return html`<h1>Search</h1>
<p class="lede" role="status">${count === 0 ? html`Nothing you can read matches <strong>${visible(text)}</strong>.` : html`${plural(count, "match", "matches")} for <strong>${visible(text)}</strong> in the repositories you can read.`}</p>
${section("repositories", "Repositories", hits.repositories.length, hits.repositories.map((r) => html`<li><a href="${repoHref(r.id)}">${r.fullName}</a></li>`))}
${section("servers", "Servers", hits.servers.length, hits.servers.map((s) => html`<li><a href="${repoHref(s.repositoryId)}#${s.source === "code" ? "servers" : "configs"}" class="mono">${visible(s.name)}</a> in <a href="${repoHref(s.repositoryId)}">${s.fullName}</a> <span class="muted">${s.source === "code" ? "server code" : "client config"} · <span class="mono">${visible(s.path)}:${s.line}</span>${s.detail ? html` · ${visible(s.detail)}` : ""}</span> · <a href="${whoUsesHref("server", s.name)}">who uses it</a></li>`))}
${section("tools", "Tools", hits.tools.length, hits.tools.map((t) => html`<li><span class="tag">${t.kind}</span> <a href="${repoHref(t.repositoryId)}#tools" class="mono">${visible(t.name)}</a> in <a href="${repoHref(t.repositoryId)}">${t.fullName}</a> <span class="muted">· <span class="mono">${visible(t.path)}:${t.line}</span></span>${t.description ? html`<div class="untrusted">${visible(t.description.length > 400 ? `${t.description.slice(0, 400)}…` : t.description)}</div>` : ""}</li>`))}
${section("packages", "Packages", hits.packages.length, hits.packages.map((p) => html`<li><a href="${whoUsesHref("package", p.name)}" class="mono">${visible(p.name)}</a>${p.version ? html` <span class="mono">${visible(p.version)}</span>` : ""} in <a href="${repoHref(p.repositoryId)}#${p.source === "config" ? "configs" : "dependencies"}">${p.fullName}</a> <span class="muted">${p.source === "config" ? "client config" : "dependency"} · <span class="mono">${visible(p.path)}:${p.line}</span></span></li>`))}
${section("rules", "Rules with open findings", hits.rules.length, hits.rules.map((r) => html`<li><a href="/hub/repos?rule=${encodeURIComponent(r.ruleId)}" class="mono">${r.ruleId}</a> <span class="muted">${plural(r.findings, "open finding")} in ${plural(r.repositories, "repository", "repositories")}</span></li>`))}`;
}
