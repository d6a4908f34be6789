import { html, type Html } from "./html.js";
import { STYLE_PATH } from "./style.js";

export type Section = "overview" | "repositories" | "who-uses" | "search" | "none";

export interface Viewer {
  login: string;
  /** Every form of the page posts it back. */
  csrf: string;
}

/** The frame of every hub page: a skip link, the bar (navigation, search, who is signed in, sign out), the content. */
export function layout(page: { title: string; section: Section; viewer?: Viewer; query?: string; body: Html }): Html {
  const nav = (href: string, label: string, section: Section) => html`<li><a href="${href}"${page.section === section ? html` aria-current="page"` : ""}>${label}</a></li>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${page.title} · mcp-review hub</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${STYLE_PATH}">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <div class="bar">
    <a class="brand" href="/hub"><svg width="20" height="20" viewBox="0 0 20 20" aria-hidden="true"><path d="M10 1 2 4v6c0 4.4 3.4 8.2 8 9 4.6-.8 8-4.6 8-9V4z" fill="#fff"></path><path d="M6 10l3 3 5-6" stroke="#1f2328" stroke-width="2" fill="none"></path></svg>mcp-review hub</a>
    ${page.viewer
      ? html`<nav aria-label="Hub"><ul>${nav("/hub", "Overview", "overview")}${nav("/hub/repos", "Repositories", "repositories")}${nav("/hub/who-uses", "Who uses…", "who-uses")}</ul></nav>
    <form class="search" role="search" method="get" action="/hub">
      <label for="q" class="visually-hidden">Search repositories, servers, tools, packages and rules</label>
      <input id="q" name="q" type="search" value="${page.query ?? ""}" placeholder="Search servers, tools, packages, rules…" maxlength="200">
      <button type="submit">Search</button>
    </form>
    <div class="who"><span>Signed in as <strong>${page.viewer.login}</strong></span>
      <form method="post" action="/hub/sign-out"><input type="hidden" name="csrf" value="${page.viewer.csrf}"><button type="submit">Sign out</button></form>
    </div>`
      : ""}
  </div>
</header>
<main id="main" tabindex="-1">
${page.body}
</main>
<footer class="bottom">mcp-review shows only the repositories GitHub lets you read. Text from repositories is shown as written, with invisible characters made visible.</footer>
</body>
</html>`;
}
