import { html, visible, type Html } from "./html.js";
import type { WhoUsesKind, WhoUsesRow } from "./hub-queries.js";
import { location, plural, repoHref } from "./view-helpers.js";

const KIND_LABELS: Record<WhoUsesKind, string> = { package: "package", server: "configured or implemented server", tool: "tool" };

/** "Who uses …": the question to answer when an advisory appears, across the repositories the person may read. */
export function whoUsesPage(view: { web: string; kind: WhoUsesKind; name: string; rows: WhoUsesRow[] | undefined }): Html {
  const { kind, name, rows } = view;
  const repositories = new Set(rows?.map((r) => r.repositoryId) ?? []).size;
  return html`<h1>Who uses…</h1>
<form class="filters" method="get" action="/hub/who-uses" aria-label="Who uses">
  <label for="w-kind">What
    <select id="w-kind" name="kind">${(Object.keys(KIND_LABELS) as WhoUsesKind[]).map((k) => html`<option value="${k}"${k === kind ? html` selected` : ""}>${KIND_LABELS[k]}</option>`)}</select></label>
  <label for="w-name">Name
    <input id="w-name" name="name" value="${name}" required maxlength="200" placeholder="@modelcontextprotocol/sdk"></label>
  <div class="actions"><button type="submit" class="primary">Find</button></div>
</form>
${rows === undefined
  ? html`<p class="muted">Name a package (npm, PyPI or a Docker image), a server of a client config or server code, or a tool, to list every repository you can read that uses it.</p>`
  : rows.length === 0
    ? html`<p class="notice" role="status">No repository you can read uses the ${KIND_LABELS[kind]} <strong class="mono">${visible(name)}</strong>.</p>`
    : html`<p role="status">${plural(repositories, "repository", "repositories")} use the ${KIND_LABELS[kind]} <strong class="mono">${visible(name)}</strong>:</p>
<div class="table-wrap"><table>
  <thead><tr><th scope="col">repository</th><th scope="col">where</th><th scope="col">as</th><th scope="col">details</th></tr></thead>
  <tbody>${rows.map((r) => html`<tr><th scope="row"><a href="${repoHref(r.repositoryId)}">${r.fullName}</a></th><td>${location(view.web, r.fullName, r.commit, r.path, r.line)}</td><td>${r.source}</td><td>${r.detail ? html`<span class="untrusted-inline">${visible(r.detail.length > 300 ? `${r.detail.slice(0, 300)}…` : r.detail)}</span>` : html`<span class="muted">—</span>`}</td></tr>`)}</tbody>
</table></div>`}`;
}
