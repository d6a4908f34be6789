import { SEVERITIES, type Severity } from "../engine/types.js";
import { html, type Html } from "./html.js";
import { PAGE_SIZE, SORTS, type RepositoryRow, type Sort, type TableQuery } from "./hub-queries.js";
import { plural, repoHref, severityBadge, when } from "./view-helpers.js";

/** The table's view from GET parameters; anything unknown is ignored, never an error. */
export function tableQuery(params: URLSearchParams): TableQuery {
  const severity = params.get("severity");
  const sort = params.get("sort");
  const yesNo = (v: string | null) => (v === "yes" ? true : v === "no" ? false : undefined);
  const rule = params.get("rule")?.trim();
  const language = params.get("language")?.trim();
  const page = Number(params.get("page"));
  return {
    ...(severity && (SEVERITIES as readonly string[]).includes(severity) ? { severity: severity as Severity } : {}),
    ...(rule ? { rule: rule.slice(0, 100) } : {}),
    ...(language ? { language: language.slice(0, 40) } : {}),
    ...(yesNo(params.get("servers")) !== undefined ? { hasServers: yesNo(params.get("servers")) } : {}),
    ...(yesNo(params.get("configs")) !== undefined ? { hasConfigs: yesNo(params.get("configs")) } : {}),
    sort: sort && (SORTS as readonly string[]).includes(sort) ? (sort as Sort) : "severity",
    direction: params.get("dir") === "asc" ? "asc" : "desc",
    page: Number.isInteger(page) && page > 1 ? Math.min(page, 100_000) : 1,
  };
}

/** The GET parameters of a view (defaults left out), so a link names exactly what it shows. */
export function queryString(query: TableQuery, change: Partial<TableQuery> = {}): string {
  const q = { ...query, ...change };
  const params = new URLSearchParams();
  if (q.severity) params.set("severity", q.severity);
  if (q.rule) params.set("rule", q.rule);
  if (q.language) params.set("language", q.language);
  if (q.hasServers !== undefined) params.set("servers", q.hasServers ? "yes" : "no");
  if (q.hasConfigs !== undefined) params.set("configs", q.hasConfigs ? "yes" : "no");
  if (q.sort !== "severity") params.set("sort", q.sort);
  if (q.direction !== "desc") params.set("dir", q.direction);
  if (q.page > 1) params.set("page", String(q.page));
  const text = params.toString();
  return text ? `?${text}` : "";
}

const SORT_LABELS: Record<Sort, string> = { severity: "worst findings", name: "name", findings: "open findings", servers: "servers", tools: "tools", scanned: "last scan" };

export function repositoriesPage(data: { query: TableQuery; rows: RepositoryRow[]; total: number; choices: { rules: string[]; languages: string[] } }): Html {
  const { query, rows, total, choices } = data;
  const option = (value: string, label: string, selected: boolean) => html`<option value="${value}"${selected ? html` selected` : ""}>${label}</option>`;
  const yesNo = (value: boolean | undefined) => [option("", "either", value === undefined), option("yes", "yes", value === true), option("no", "no", value === false)];
  // A rule or language named in the link but absent from the choices stays selectable, so the form shows the view.
  const rules = query.rule && !choices.rules.includes(query.rule) ? [...choices.rules, query.rule] : choices.rules;
  const languages = query.language && !choices.languages.includes(query.language) ? [...choices.languages, query.language] : choices.languages;
  const sortHeader = (sort: Sort, label: string, numeric = false) => {
    const active = query.sort === sort;
    const direction = active && query.direction === "desc" ? "asc" : active ? "desc" : sort === "name" ? "asc" : "desc";
    const ariaSort = active ? (query.direction === "asc" ? "ascending" : "descending") : undefined;
    return html`<th scope="col"${numeric ? html` class="num"` : ""}${ariaSort ? html` aria-sort="${ariaSort}"` : ""}><a href="/hub/repos${queryString(query, { sort, direction, page: 1 })}">${label}${active ? (query.direction === "asc" ? " ▲" : " ▼") : ""}</a></th>`;
  };
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  return html`<h1>Repositories</h1>
<p class="lede">${plural(total, "repository", "repositories")} in this view, sorted by ${SORT_LABELS[query.sort]} (${query.direction === "asc" ? "ascending" : "descending"}).</p>
<form class="filters" method="get" action="/hub/repos" aria-label="Filter repositories">
  <label for="f-severity">Open findings at least
    <select id="f-severity" name="severity">${option("", "any", !query.severity)}${SEVERITIES.map((s) => option(s, s, query.severity === s))}</select></label>
  <label for="f-rule">Rule
    <select id="f-rule" name="rule">${option("", "any", !query.rule)}${rules.map((r) => option(r, r, query.rule === r))}</select></label>
  <label for="f-language">Server language
    <select id="f-language" name="language">${option("", "any", !query.language)}${languages.map((l) => option(l, l, query.language === l))}</select></label>
  <label for="f-servers">Has MCP servers
    <select id="f-servers" name="servers">${yesNo(query.hasServers)}</select></label>
  <label for="f-configs">Has client configs
    <select id="f-configs" name="configs">${yesNo(query.hasConfigs)}</select></label>
  <label for="f-sort">Sort by
    <select id="f-sort" name="sort">${SORTS.map((s) => option(s, SORT_LABELS[s], query.sort === s))}</select></label>
  <label for="f-dir">Order
    <select id="f-dir" name="dir">${option("desc", "descending", query.direction === "desc")}${option("asc", "ascending", query.direction === "asc")}</select></label>
  <div class="actions"><button type="submit" class="primary">Apply</button><a class="button" href="/hub/repos">Reset</a>
  <a class="button" href="/hub/repos.csv${queryString(query, { page: 1 })}" download>Export CSV</a></div>
</form>
${rows.length === 0
  ? html`<p class="notice">No repository matches this view.</p>`
  : html`<div class="table-wrap"><table>
  <caption class="visually-hidden">Repositories, with open findings by severity</caption>
  <thead><tr>${sortHeader("name", "repository")}${sortHeader("servers", "servers", true)}${sortHeader("tools", "tools", true)}<th scope="col" class="num">configs</th>
    ${SEVERITIES.map((s) => html`<th scope="col" class="num">${s}</th>`)}${sortHeader("findings", "open", true)}${sortHeader("scanned", "last scan")}</tr></thead>
  <tbody>${rows.map((r) => {
    const open = SEVERITIES.reduce((n, s) => n + r.open[s], 0);
    return html`<tr><th scope="row"><a href="${repoHref(r.id)}">${r.fullName}</a>${r.private ? html` <span class="tag">private</span>` : ""}${r.archived ? html` <span class="tag">archived</span>` : ""}</th>
      <td class="num">${r.servers}</td><td class="num">${r.tools}</td><td class="num">${r.configs}</td>
      ${SEVERITIES.map((s) => html`<td class="num">${severityBadge(s, r.open[s])}</td>`)}<td class="num">${open}</td><td>${r.lastScanAt ? when(r.lastScanAt) : html`<span class="muted">not yet</span>`}</td></tr>`;
  })}</tbody>
</table></div>`}
${pages > 1
  ? html`<nav class="pager" aria-label="Pages">${query.page > 1 ? html`<a href="/hub/repos${queryString(query, { page: query.page - 1 })}" rel="prev">← previous</a>` : ""}<span>page ${query.page} of ${pages}</span>${query.page < pages ? html`<a href="/hub/repos${queryString(query, { page: query.page + 1 })}" rel="next">next →</a>` : ""}</nav>`
  : ""}`;
}
