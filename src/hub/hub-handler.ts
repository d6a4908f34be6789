import type { IncomingMessage, ServerResponse } from "node:http";
import type { ScanQueue } from "../queue/scan-queue.js";
import type { Readable } from "../store/inventory-store.js";
import { ACCESS_TTL_MS, AccessError, readAccess } from "./access.js";
import { repositoriesCsv } from "./csv.js";
import type { HubConfig } from "./hub-config.js";
import { HubQueries, EXPORT_LIMIT, type WhoUsesKind } from "./hub-queries.js";
import { findingsSarif } from "./hub-sarif.js";
import { html, type Html } from "./html.js";
import { readForm, redirect, sameOrigin, sameToken, send, sendHtml } from "./http.js";
import { layout, type Section } from "./layout.js";
import { messagePage } from "./message-page.js";
import { overviewPage } from "./overview-page.js";
import { repositoriesPage, tableQuery } from "./repositories-page.js";
import { repositoryPage } from "./repository-page.js";
import { searchPage } from "./search-page.js";
import { cookie, isLive, PENDING_SIGN_IN_MS, readCookie, SESSION_COOKIE, SESSION_IDLE_MS, SESSION_LIFETIME_MS, SIGN_IN_COOKIE, type Session, type SessionStore } from "./sessions.js";
import { authorizeUrl, exchangeCode, pkcePair, randomToken, refreshToken, safeReturnPath, SignInError } from "./sign-in.js";
import { HUB_CSS } from "./style.js";
import { whoUsesPage } from "./who-uses-page.js";

type Log = { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };

export interface HubDeps {
  config: HubConfig;
  sessions: SessionStore;
  /** The hub's reads over the inventory's database (opened on first use). */
  queries: () => Promise<HubQueries>;
  /** Where a rescan goes: the organization inventory's scan queue. */
  scans: ScanQueue;
  log: Log;
  now?: () => number;
  /** How GitHub is asked (tests pass nock's interception of the global one). */
  fetch?: typeof fetch;
}

/** Sessions are touched at most this often: a page view is not a database write. */
const TOUCH_MS = 60 * 1000;
const PRUNE_MS = 10 * 60 * 1000;

/**
 * The hub at `/hub`, as a Probot 14 handler: it answers every path under `/hub` and passes the
 * rest. Sign-in with GitHub (state, PKCE, a new session id), then every page is built from the
 * repositories GitHub lets the person read, asked again every 15 minutes at most.
 */
export function hubHandler(deps: HubDeps): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const { config, sessions, log } = deps;
  const now = deps.now ?? Date.now;
  const fetchFn = deps.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  let lastPrune = 0;

  const cookies = {
    session: (id: string) => cookie(SESSION_COOKIE, id, { secure: config.secure, maxAgeSeconds: SESSION_LIFETIME_MS / 1000 }),
    clearSession: () => cookie(SESSION_COOKIE, "", { secure: config.secure, maxAgeSeconds: 0 }),
    signIn: (state: string) => cookie(SIGN_IN_COOKIE, state, { secure: config.secure, maxAgeSeconds: PENDING_SIGN_IN_MS / 1000 }),
    clearSignIn: () => cookie(SIGN_IN_COOKIE, "", { secure: config.secure, maxAgeSeconds: 0 }),
  };

  const page = (res: ServerResponse, status: number, title: string, section: Section, body: Html, session?: Session, query?: string, headers: Record<string, string | string[]> = {}) =>
    sendHtml(res, status, layout({ title, section, body, query, ...(session ? { viewer: { login: session.login, csrf: session.csrf } } : {}) }), headers);

  /** The one answer for a repository that does not exist and one the person may not read. */
  const notFound = (res: ServerResponse, session?: Session) => page(res, 404, "Not found", "none", messagePage("Not found", "There is nothing here, or nothing you can read.", { href: "/hub", label: "Back to the overview" }), session);

  /** The person's session, with access re-checked when it is older than ACCESS_TTL_MS; undefined when there is none (any more). */
  async function authenticate(req: IncomingMessage): Promise<{ session?: Session; unavailable?: true }> {
    const id = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (!id) return {};
    const session = await sessions.getSession(id);
    const t = now();
    if (!session) return {};
    if (!isLive(session, t)) {
      await sessions.deleteSession(id);
      return {};
    }
    let changed = t - session.lastSeenAt >= TOUCH_MS;
    session.lastSeenAt = t;
    if (t - session.access.checkedAt >= ACCESS_TTL_MS) {
      try {
        if (session.token.expiresAt !== undefined && t >= session.token.expiresAt - 60_000) {
          if (!session.token.refreshToken || (session.token.refreshExpiresAt !== undefined && t >= session.token.refreshExpiresAt)) throw new AccessError("the user token expired", 401);
          session.token = await refreshToken(config.hosts, { clientId: config.clientId, clientSecret: config.clientSecret, refreshToken: session.token.refreshToken }, fetchFn, t);
        }
        session.access = await readAccess(config.hosts, session.token.accessToken, fetchFn, t);
        changed = true;
      } catch (error) {
        if ((error instanceof AccessError && error.status === 401) || error instanceof SignInError) {
          // GitHub no longer takes the token (revoked, expired): the session ends here.
          await sessions.deleteSession(id);
          log.info({ user: session.login }, "hub: GitHub no longer accepts the user's token; the session ended");
          return {};
        }
        // Fail closed: without a fresh answer from GitHub, nothing is shown.
        log.warn({ user: session.login, err: error }, "hub: could not ask GitHub which repositories the user may read");
        return { unavailable: true };
      }
    }
    if (changed) await sessions.putSession(session);
    return { session };
  }

  async function signIn(res: ServerResponse, url: URL): Promise<void> {
    const state = randomToken();
    const { verifier, challenge } = pkcePair();
    await sessions.putPendingSignIn({ state, verifier, returnTo: safeReturnPath(url.searchParams.get("return")), createdAt: now() });
    send(res, 302, "", { location: authorizeUrl(config.hosts, { clientId: config.clientId, redirectUri: config.callbackUrl, state, challenge }), "set-cookie": cookies.signIn(state) });
  }

  async function callback(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const refused = (why: string) =>
      page(res, 400, "Sign-in failed", "none", messagePage("Sign-in failed", why, { href: "/hub/sign-in", label: "Sign in again" }), undefined, undefined, { "set-cookie": cookies.clearSignIn() });
    const state = url.searchParams.get("state");
    const browserState = readCookie(req.headers.cookie, SIGN_IN_COOKIE);
    // The state must be the one this browser was given: a sign-in started elsewhere is not finished here.
    if (!state || !sameToken(browserState, state)) return refused("This sign-in was not started in this browser, or it has expired.");
    const pending = await sessions.takePendingSignIn(state);
    if (!pending || now() - pending.createdAt > PENDING_SIGN_IN_MS) return refused("This sign-in has expired or was already used.");
    if (url.searchParams.get("error")) return refused("GitHub did not authorize the sign-in.");
    const code = url.searchParams.get("code");
    if (!code) return refused("GitHub sent no authorization code.");
    let token;
    try {
      token = await exchangeCode(config.hosts, { clientId: config.clientId, clientSecret: config.clientSecret, code, redirectUri: config.callbackUrl, verifier: pending.verifier }, fetchFn, now());
    } catch (error) {
      log.warn({ err: error instanceof SignInError ? error.message : error }, "hub: GitHub refused a sign-in");
      return refused("GitHub refused the sign-in.");
    }
    const user = await fetchFn(`${config.hosts.api}/user`, { headers: { accept: "application/vnd.github+json", authorization: `Bearer ${token.accessToken}`, "x-github-api-version": "2022-11-28", "user-agent": "mcp-review-hub" } });
    if (!user.ok) return refused("GitHub did not say who signed in.");
    const { id: userId, login } = (await user.json()) as { id: number; login: string };
    let access;
    try {
      access = await readAccess(config.hosts, token.accessToken, fetchFn, now());
    } catch (error) {
      log.warn({ user: login, err: error }, "hub: could not ask GitHub which repositories the user may read");
      return refused("GitHub did not say which repositories you may read. Try again in a minute.");
    }
    const previous = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (previous) await sessions.deleteSession(previous);
    const t = now();
    // A new id at every sign-in: an id planted in the browser before never becomes a session.
    const session: Session = { id: randomToken(), userId, login, token, access, csrf: randomToken(), createdAt: t, lastSeenAt: t };
    await sessions.putSession(session);
    log.info({ user: login, repositories: access.repositoryIds.length }, "hub: signed in");
    redirect(res, safeReturnPath(pending.returnTo), 303, { "set-cookie": [cookies.session(session.id), cookies.clearSignIn()] });
  }

  /** A POST from a page of this session: same origin and its CSRF token; the form, or undefined after answering 403. */
  async function checkedForm(req: IncomingMessage, res: ServerResponse, session: Session): Promise<URLSearchParams | undefined> {
    const form = sameOrigin(req, config.origin) ? await readForm(req) : undefined;
    if (!form || !sameToken(form.get("csrf"), session.csrf)) {
      page(res, 403, "Refused", "none", messagePage("Refused", "This request did not come from a page of the hub. Go back, reload the page and try again."), session);
      return undefined;
    }
    return form;
  }

  return async (req, res) => {
    const url = new URL(req.url ?? "/", config.origin);
    const path = url.pathname;
    if (path !== "/hub" && !path.startsWith("/hub/")) return false;
    const method = req.method ?? "GET";
    const read = method === "GET" || method === "HEAD";
    // Ended sessions and abandoned sign-ins go, whoever's request comes: sign-ins are started without a session.
    const t = now();
    if (t - lastPrune > PRUNE_MS) {
      lastPrune = t;
      void sessions.prune(t - SESSION_IDLE_MS, t - PENDING_SIGN_IN_MS).catch((error) => log.warn({ err: error }, "hub: pruning sessions failed"));
    }
    try {
      if (path === "/hub/static/hub.css" && read) {
        send(res, 200, HUB_CSS, { "content-type": "text/css; charset=utf-8", "cache-control": "public, max-age=86400, immutable" });
        return true;
      }
      if (path === "/hub/sign-in" && read) return await signIn(res, url), true;
      if (path === "/hub/callback" && read) return await callback(req, res, url), true;
      if (path === "/hub/signed-out" && read) {
        page(res, 200, "Signed out", "none", messagePage("You are signed out", "Your hub session has ended. You are still signed in to GitHub.", { href: "/hub/sign-in", label: "Sign in again" }));
        return true;
      }

      const { session, unavailable } = await authenticate(req);
      if (unavailable) {
        page(res, 503, "GitHub is not answering", "none", messagePage("GitHub is not answering", "The hub asks GitHub which repositories you may read every 15 minutes, and could not ask it now. Try again in a minute."), undefined, undefined, { "retry-after": "60" });
        return true;
      }
      if (!session) {
        if (read) redirect(res, `/hub/sign-in?${new URLSearchParams({ return: `${path}${url.search}` }).toString()}`, 302, req.headers.cookie?.includes(`${SESSION_COOKIE}=`) ? { "set-cookie": cookies.clearSession() } : {});
        else page(res, 403, "Signed out", "none", messagePage("Your session has ended", "Sign in again, then repeat what you were doing.", { href: "/hub/sign-in", label: "Sign in" }));
        return true;
      }
      const readable: Readable = { repositoryIds: session.access.repositoryIds };
      const queries = await deps.queries();

      if (method === "POST") {
        if (path === "/hub/sign-out") {
          if (!(await checkedForm(req, res, session))) return true;
          await sessions.deleteSession(session.id);
          log.info({ user: session.login }, "hub: signed out");
          redirect(res, "/hub/signed-out", 303, { "set-cookie": cookies.clearSession() });
          return true;
        }
        const rescan = /^\/hub\/repos\/(\d{1,18})\/rescan$/.exec(path);
        if (rescan) {
          if (!(await checkedForm(req, res, session))) return true;
          const repository = await queries.repository(readable, { id: Number(rescan[1]) });
          if (!repository) return notFound(res, session), true;
          if (!session.access.writable.includes(repository.id)) {
            page(res, 403, "Write access needed", "none", messagePage("Write access needed", html`Only people with write access to <strong>${repository.fullName}</strong> on GitHub can ask for a rescan.`, { href: `/hub/repos/${repository.id}`, label: "Back to the repository" }), session);
            return true;
          }
          const added = await deps.scans.enqueue([{ installationId: repository.installationId, repositoryId: repository.id, trigger: "manual", force: true }]);
          log.info({ user: session.login, repository: repository.fullName, queued: added }, "hub: rescan requested");
          redirect(res, `/hub/repos/${repository.id}?rescan=${added > 0 ? "queued" : "waiting"}`);
          return true;
        }
        send(res, 405, "", { allow: "GET, HEAD" });
        return true;
      }
      if (!read) {
        send(res, 405, "", { allow: "GET, HEAD, POST" });
        return true;
      }

      if (path === "/hub" || path === "/hub/") {
        const q = url.searchParams.get("q")?.trim().slice(0, 200);
        if (q) {
          page(res, 200, `Search: ${q}`, "search", searchPage(q, await queries.search(readable, q)), session, q);
          return true;
        }
        const today = new Date(now());
        const [totals, posture, trend, changes] = [await queries.totals(readable), await queries.posture(readable, today), await queries.trend(readable, today), await queries.recentToolChanges(readable)];
        page(res, 200, "Overview", "overview", overviewPage({ totals, posture, trend, changes }), session);
        return true;
      }
      if (path === "/hub/repos" || path === "/hub/repos.csv") {
        const query = tableQuery(url.searchParams);
        if (path === "/hub/repos.csv") {
          const { rows } = await queries.table(readable, query, { limit: EXPORT_LIMIT });
          send(res, 200, repositoriesCsv(rows, config.origin), { "content-type": "text/csv; charset=utf-8", "content-disposition": 'attachment; filename="mcp-review-repositories.csv"' });
          return true;
        }
        const [{ rows, total }, choices] = [await queries.table(readable, query), await queries.filterChoices(readable)];
        page(res, 200, "Repositories", "repositories", repositoriesPage({ query, rows, total, choices }), session);
        return true;
      }
      const byId = /^\/hub\/repos\/(\d{1,18})(\.sarif)?$/.exec(path);
      const byName = /^\/hub\/repos\/([^/]+)\/([^/]+)$/.exec(path);
      if (byId?.[2]) {
        const repository = await queries.repository(readable, { id: Number(byId[1]) });
        if (!repository) return notFound(res, session), true;
        const findings = await queries.openFindings(readable, repository.id);
        send(res, 200, findingsSarif(repository, findings, config.hosts.web), {
          "content-type": "application/sarif+json; charset=utf-8",
          "content-disposition": `attachment; filename="${repository.fullName.replace(/[^\w.-]+/g, "-")}.sarif"`,
        });
        return true;
      }
      if (byId || byName) {
        let which: { id: number } | { fullName: string };
        try {
          which = byId ? { id: Number(byId[1]) } : { fullName: `${decodeURIComponent(byName![1]!)}/${decodeURIComponent(byName![2]!)}` };
        } catch {
          return notFound(res, session), true;
        }
        const detail = await queries.repositoryDetail(readable, which);
        if (!detail) return notFound(res, session), true;
        const rescan = url.searchParams.get("rescan");
        const notice = rescan === "queued" ? "A scan of the default branch is queued; reload this page in a minute." : rescan === "waiting" ? "A scan of this repository is already waiting to run." : undefined;
        page(res, 200, detail.repository.fullName, "repositories", repositoryPage({ detail, web: config.hosts.web, canRescan: session.access.writable.includes(detail.repository.id), csrf: session.csrf, ...(notice ? { notice } : {}) }), session);
        return true;
      }
      if (path === "/hub/who-uses") {
        const params = url.searchParams;
        const kinds: WhoUsesKind[] = ["package", "server", "tool"];
        let kind = kinds.find((k) => params.get("kind") === k) ?? "package";
        let name = params.get("name")?.trim() ?? "";
        for (const k of kinds) {
          const given = params.get(k)?.trim();
          if (given) [kind, name] = [k, given];
        }
        name = name.slice(0, 200);
        const rows = name ? await queries.whoUses(readable, kind, name) : undefined;
        page(res, 200, name ? `Who uses ${name}` : "Who uses…", "who-uses", whoUsesPage({ web: config.hosts.web, kind, name, rows }), session);
        return true;
      }
      notFound(res, session);
      return true;
    } catch (error) {
      log.error({ err: error, path }, "hub: the page failed");
      if (!res.headersSent) sendHtml(res, 500, layout({ title: "Something went wrong", section: "none", body: messagePage("Something went wrong", "The hub could not build this page. The error is in the app's log.", { href: "/hub", label: "Back to the overview" }) }));
      return true;
    }
  };
}
