import { createHash, randomUUID } from "node:crypto";
import nock from "nock";
import { SECURITY_HEADERS } from "../../src/hub/http.js";
import { SESSION_COOKIE, SIGN_IN_COOKIE } from "../../src/hub/sessions.js";
import { SEVERITIES } from "../../src/engine/types.js";
import { openInventoryStore } from "../../src/store/inventory-store.js";
import { openDatabase } from "../../src/store/sql.js";
import { freshSqliteFile } from "../support/databases.js";
import { ALPHA, BRAVO, expectedOpen, HOSTILE_DESCRIPTION, INSTALLATION, installationRepositories, NOW, SHARED, seedHubStore, type FakeUser } from "../support/hub-fixture.js";
import { CookieClient, startHubServer, type HubServer } from "../support/hub-server.js";

const ORIGIN = "https://hub.example.test";
const CLIENT_ID = "Iv1.hubtest";
const CLIENT_SECRET = "hub-client-secret-for-tests";
const CALLBACK = `${ORIGIN}/hub/callback`;
const ENV = { GITHUB_CLIENT_ID: CLIENT_ID, GITHUB_CLIENT_SECRET: CLIENT_SECRET, APP_URL: ORIGIN };
const MINUTE = 60 * 1000;

/** GitHub as the hub meets it, on nock: the token endpoint checks the PKCE verifier against the challenge of the authorization. */
const grants = new Map<string, { challenge: string; user: FakeUser }>();
const users: FakeUser[] = [];
const asked = { installations: 0 };
/** Every credential the test handed out or saw: none may reach the log. */
const secrets = new Set<string>();

function userOf(authorization: string | string[] | undefined): FakeUser | undefined {
  const token = String(authorization ?? "").replace(/^Bearer /, "");
  return users.find((u) => u.token === token && !revokedTokens.has(token));
}
const revokedTokens = new Set<string>();
/** Authorization headers GitHub answers 502 for, as during an outage. */
const unavailable = new Set<string>();

/** Refresh tokens handed out, and whose; users whose tokens expire after ten minutes. */
const refreshes = new Map<string, FakeUser>();
const shortLived = new Set<number>();

function tokenAnswer(user: FakeUser) {
  const refresh = `ghr_${randomUUID().replace(/-/g, "")}`;
  secrets.add(refresh);
  refreshes.set(refresh, user);
  return { access_token: user.token, token_type: "bearer", scope: "", expires_in: shortLived.has(user.id) ? 600 : 28800, refresh_token: refresh, refresh_token_expires_in: 15897600 };
}

function mockGitHub(): void {
  nock("https://github.com")
    .persist()
    .post("/login/oauth/access_token")
    .reply((_uri, body) => {
      const b = body as Record<string, string>;
      if (b.client_id !== CLIENT_ID || b.client_secret !== CLIENT_SECRET) return [200, { error: "incorrect_client_credentials" }];
      if (b.grant_type === "refresh_token") {
        // GitHub rotates both: the old access token and refresh token stop working.
        const user = refreshes.get(b.refresh_token ?? "");
        refreshes.delete(b.refresh_token ?? "");
        if (!user) return [200, { error: "bad_refresh_token" }];
        user.token = `ghu_${randomUUID().replace(/-/g, "")}`;
        secrets.add(user.token);
        return [200, tokenAnswer(user)];
      }
      const grant = grants.get(b.code!);
      grants.delete(b.code!);
      if (!grant || b.redirect_uri !== CALLBACK) return [200, { error: "bad_verification_code" }];
      if (createHash("sha256").update(b.code_verifier ?? "").digest("base64url") !== grant.challenge) return [200, { error: "bad_verification_code", error_description: "The code_verifier does not match the code_challenge." }];
      return [200, tokenAnswer(grant.user)];
    });
  nock("https://api.github.com")
    .persist()
    .get("/user")
    .reply(function () {
      const user = userOf(this.req.headers.authorization);
      return user ? [200, { id: user.id, login: user.login }] : [401, { message: "Bad credentials" }];
    })
    .get("/user/installations")
    .query(true)
    .reply(function () {
      asked.installations++;
      if (unavailable.has(String(this.req.headers.authorization))) return [502, { message: "Server Error" }];
      return userOf(this.req.headers.authorization) ? [200, { total_count: 1, installations: [{ id: INSTALLATION, account: { login: "acme" } }] }] : [401, { message: "Bad credentials" }];
    })
    .get(`/user/installations/${INSTALLATION}/repositories`)
    .query(true)
    .reply(function () {
      const user = userOf(this.req.headers.authorization);
      return user ? [200, installationRepositories(user)] : [401, { message: "Bad credentials" }];
    });
}

const alice: FakeUser = { id: 1001, login: "alice", token: "ghu_aliceTokenAliceToken0123456789", repositories: [{ repository: SHARED, write: true }, { repository: ALPHA, write: true }] };
const bob: FakeUser = { id: 1002, login: "bob", token: "ghu_bobTokenBobTokenBob0123456789ab", repositories: [{ repository: SHARED, write: false }, { repository: BRAVO, write: true }] };

let clock = NOW;
let hub: HubServer;
let dropDb: () => void;
let dbFile: string;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1");
  mockGitHub();
  users.push(alice, bob);
  for (const u of users) secrets.add(u.token);
  const db = freshSqliteFile();
  dropDb = db.drop;
  dbFile = db.file;
  const store = await openInventoryStore({ MCP_REVIEW_SQLITE: db.file });
  await seedHubStore(store);
  await store.close();
  hub = await startHubServer({ env: ENV, database: () => openDatabase({ MCP_REVIEW_SQLITE: db.file }), now: () => clock });
});

afterAll(async () => {
  await hub.close();
  dropDb();
  nock.cleanAll();
  nock.enableNetConnect();
});

const text = (r: Response) => r.text();
const csrfOf = (page: string) => /name="csrf" value="([^"]+)"/.exec(page)![1]!;

/** The whole sign-in, as a browser makes it: the page asked for, the sign-in, GitHub, the callback, back to the page. */
async function signIn(user: FakeUser, path = "/hub"): Promise<CookieClient> {
  const client = new CookieClient(hub.base, ORIGIN);
  const first = await client.get(path);
  expect(first.status).toBe(302);
  const toSignIn = first.headers.get("location")!;
  expect(toSignIn).toBe(`/hub/sign-in?${new URLSearchParams({ return: path })}`);
  const start = await client.get(toSignIn);
  expect(start.status).toBe(302);
  const authorize = new URL(start.headers.get("location")!);
  const state = authorize.searchParams.get("state")!;
  secrets.add(state);
  const code = `code-${randomUUID()}`;
  secrets.add(code);
  grants.set(code, { challenge: authorize.searchParams.get("code_challenge")!, user });
  const back = await client.get(`/hub/callback?${new URLSearchParams({ code, state })}`);
  expect(back.status).toBe(303);
  expect(back.headers.get("location")).toBe(path);
  secrets.add(client.cookies.get(SESSION_COOKIE)!);
  return client;
}

describe("signing in with GitHub", () => {
  it("sends the browser to GitHub with state and an S256 challenge, trades the code with the verifier, and returns to the page asked for with a new HttpOnly, SameSite=Lax, Secure session cookie", async () => {
    const client = new CookieClient(hub.base, ORIGIN);
    const asked = await client.get("/hub/repos/701?x=1");
    expect(asked.status).toBe(302);
    const start = await client.get(asked.headers.get("location")!);
    const authorize = new URL(start.headers.get("location")!);
    expect(`${authorize.origin}${authorize.pathname}`).toBe("https://github.com/login/oauth/authorize");
    expect(authorize.searchParams.get("client_id")).toBe(CLIENT_ID);
    expect(authorize.searchParams.get("redirect_uri")).toBe(CALLBACK);
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    const state = authorize.searchParams.get("state")!;
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(client.cookies.get(SIGN_IN_COOKIE)).toBe(state);
    // A session id planted before signing in is not the one the browser gets.
    client.cookies.set(SESSION_COOKIE, "planted-session-id-000000000000000");
    const code = `code-${randomUUID()}`;
    secrets.add(code);
    secrets.add(state);
    grants.set(code, { challenge: authorize.searchParams.get("code_challenge")!, user: alice });
    const back = await client.get(`/hub/callback?${new URLSearchParams({ code, state })}`);
    expect(back.status).toBe(303);
    expect(back.headers.get("location")).toBe("/hub/repos/701?x=1");
    const set = back.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))!;
    expect(set).toMatch(/; Path=\/hub; HttpOnly; SameSite=Lax; Secure; Max-Age=28800$/);
    const id = client.cookies.get(SESSION_COOKIE)!;
    expect(id).not.toBe("planted-session-id-000000000000000");
    expect(client.cookies.has(SIGN_IN_COOKIE)).toBe(false);
    secrets.add(id);
    const page = await client.get("/hub/repos/701?x=1");
    expect(page.status).toBe(200);
    const body = await text(page);
    expect(body).toContain("acme/shared-tools");
    expect(body).toContain("Signed in as <strong>alice</strong>");
    // The token stays on the server.
    for (const secret of [alice.token, code]) expect(body).not.toContain(secret);
  });

  it("refuses a callback whose state is not the one this browser was given, a state used twice, and one without the sign-in cookie", async () => {
    const client = new CookieClient(hub.base, ORIGIN);
    const start = await client.get("/hub/sign-in");
    const authorize = new URL(start.headers.get("location")!);
    const state = authorize.searchParams.get("state")!;
    const code = `code-${randomUUID()}`;
    grants.set(code, { challenge: authorize.searchParams.get("code_challenge")!, user: alice });

    const other = await client.get(`/hub/callback?${new URLSearchParams({ code, state: `${state.slice(0, -2)}xx` })}`);
    expect(other.status).toBe(400);
    expect(await text(other)).toContain("Sign-in failed");

    const stranger = new CookieClient(hub.base, ORIGIN);
    const noCookie = await stranger.get(`/hub/callback?${new URLSearchParams({ code, state })}`);
    expect(noCookie.status).toBe(400);
    expect(stranger.cookies.has(SESSION_COOKIE)).toBe(false);

    // The refused attempts spent nothing: the right state still works once, and only once.
    client.cookies.set(SIGN_IN_COOKIE, state);
    const ok = await client.get(`/hub/callback?${new URLSearchParams({ code, state })}`);
    expect(ok.status).toBe(303);
    const replay = new CookieClient(hub.base, ORIGIN);
    replay.cookies.set(SIGN_IN_COOKIE, state);
    grants.set(code, { challenge: authorize.searchParams.get("code_challenge")!, user: alice });
    const again = await replay.get(`/hub/callback?${new URLSearchParams({ code, state })}`);
    expect(again.status).toBe(400);
    expect(await text(again)).toContain("expired or was already used");
    expect(replay.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  it("refuses a sign-in whose PKCE verifier does not match the challenge GitHub was given", async () => {
    const client = new CookieClient(hub.base, ORIGIN);
    const first = new URL((await client.get("/hub/sign-in")).headers.get("location")!);
    const second = new URL((await client.get("/hub/sign-in")).headers.get("location")!);
    // The code was granted for the first sign-in's challenge; the browser finishes the second one.
    const code = `code-${randomUUID()}`;
    grants.set(code, { challenge: first.searchParams.get("code_challenge")!, user: alice });
    const back = await client.get(`/hub/callback?${new URLSearchParams({ code, state: second.searchParams.get("state")! })}`);
    expect(back.status).toBe(400);
    expect(await text(back)).toContain("GitHub refused the sign-in");
    expect(client.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  it.each(["https://evil.example/hub", "//evil.example/hub", "/\\evil.example", "/hub@evil.example", "javascript:alert(1)", "/probot/setup"])("never sends the browser off the hub after signing in (return=%s)", async (target) => {
    const client = new CookieClient(hub.base, ORIGIN);
    const start = await client.get(`/hub/sign-in?${new URLSearchParams({ return: target })}`);
    const authorize = new URL(start.headers.get("location")!);
    const code = `code-${randomUUID()}`;
    secrets.add(code);
    grants.set(code, { challenge: authorize.searchParams.get("code_challenge")!, user: bob });
    const back = await client.get(`/hub/callback?${new URLSearchParams({ code, state: authorize.searchParams.get("state")! })}`);
    expect(back.status).toBe(303);
    expect(back.headers.get("location")).toBe("/hub");
    secrets.add(client.cookies.get(SESSION_COOKIE)!);
  });
});

describe("two people of one organization", () => {
  let a: CookieClient;
  let b: CookieClient;
  beforeAll(async () => {
    a = await signIn(alice);
    b = await signIn(bob);
  });

  const cardValue = (page: string, label: string) => Number(new RegExp(`<span class="value">(\\d+)</span><span class="label">${label}</span>`).exec(page)?.[1]);

  it("shows each the totals and the trend of the repositories they may read, and nothing of the other's private one", async () => {
    for (const [client, own, other] of [[a, ALPHA, BRAVO], [b, BRAVO, ALPHA]] as const) {
      const page = await text(await client.get("/hub"));
      const expected = expectedOpen([SHARED, own]);
      for (const s of SEVERITIES) expect(cardValue(page, s)).toBe(expected[s]);
      const total = SEVERITIES.reduce((n, s) => n + expected[s], 0);
      expect(total).toBeGreaterThan(0);
      expect(page).toMatch(new RegExp(`Open findings over the last 90 days: 0 on 2026-09-02, ${total} on 2026-11-30\\.`));
      expect(page).toContain("2 repositories you can read");
      expect(page).not.toContain(other.fullName.split("/")[1]!.split("-")[0]);
    }
  });

  it("lists, filters, sorts and exports only readable repositories", async () => {
    const table = await text(await a.get("/hub/repos?sort=name&dir=asc"));
    expect(table.indexOf("acme/alpha-secret")).toBeGreaterThan(0);
    expect(table.indexOf("acme/alpha-secret")).toBeLessThan(table.indexOf("acme/shared-tools"));
    expect(table).not.toContain("bravo");
    const desc = await text(await a.get("/hub/repos?sort=name&dir=desc"));
    expect(desc.indexOf("acme/shared-tools")).toBeLessThan(desc.indexOf("acme/alpha-secret"));
    // alpha listens beyond loopback with an injection; shared-tools is a stdio server with no config.
    const withConfigs = await text(await a.get("/hub/repos?configs=yes"));
    expect(withConfigs).toContain("acme/alpha-secret");
    expect(withConfigs).not.toContain("acme/shared-tools");
    const byRule = await text(await a.get("/hub/repos?rule=command-injection"));
    expect(byRule).toContain("acme/alpha-secret");
    expect(byRule).not.toContain("acme/shared-tools");
    expect(byRule).toContain('<option value="command-injection" selected>');

    const csv = await a.get("/hub/repos.csv?sort=name&dir=asc");
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const lines = (await text(csv)).trim().split("\r\n");
    expect(lines[0]).toBe("repository,hub_url,private,archived,servers,tools,configs,critical,high,medium,low,info,open,last_scan,last_scanned_commit");
    expect(lines.slice(1).map((l) => l.split(",")[0])).toEqual(["acme/alpha-secret", "acme/shared-tools"]);
    const bobCsv = await text(await b.get("/hub/repos.csv"));
    expect(bobCsv).toContain("acme/bravo-secret");
    expect(bobCsv).not.toContain("alpha");
  });

  it("finds nothing of the other's private repository in search and in who uses", async () => {
    const own = await text(await a.get("/hub?q=secret"));
    expect(own).toContain("alpha_secret_tool");
    expect(own).toContain("alpha-secret-pkg");
    expect(own).not.toContain("bravo");
    for (const q of ["bravo", "bravo_secret_tool", "bravo-secret-pkg", "bravo-config", "acme/bravo-secret"]) {
      const page = await text(await a.get(`/hub?${new URLSearchParams({ q })}`));
      expect(page).toContain("Nothing you can read matches");
    }
    const bobSearch = await text(await b.get("/hub?q=command-injection"));
    expect(bobSearch).toMatch(/command-injection<\/a> <span class="muted">\d+ open findings? in 1 repository<\/span>/);

    const sdkA = await text(await a.get("/hub/who-uses?kind=package&name=%40modelcontextprotocol%2Fsdk"));
    expect(sdkA).toContain("1 repository use the package");
    expect(sdkA).toContain("acme/alpha-secret");
    expect(sdkA).not.toContain("bravo");
    for (const [kind, name] of [["tool", "bravo_secret_tool"], ["package", "bravo-secret-pkg"], ["server", "bravo-config"], ["server", "bravo-secret-server"]]) {
      const page = await text(await a.get(`/hub/who-uses?${new URLSearchParams({ kind: kind!, name: name! })}`));
      expect(page).toContain("No repository you can read uses");
    }
    const tool = await text(await b.get("/hub/who-uses?tool=fetch_page"));
    expect(tool).toContain("acme/shared-tools");
  });

  it("answers a repository one may not read exactly as one that does not exist: by id, by name, its SARIF and a rescan", async () => {
    const csrf = csrfOf(await text(await a.get("/hub")));
    const pairs: [() => Promise<Response>, () => Promise<Response>][] = [
      [() => a.get(`/hub/repos/${BRAVO.id}`), () => a.get("/hub/repos/999999")],
      [() => a.get("/hub/repos/acme/bravo-secret"), () => a.get("/hub/repos/acme/no-such-repository")],
      [() => a.get("/hub/repos/ACME/Bravo-Secret"), () => a.get("/hub/repos/acme/no-such-repository")],
      [() => a.get(`/hub/repos/${BRAVO.id}.sarif`), () => a.get("/hub/repos/999999.sarif")],
      [() => a.post(`/hub/repos/${BRAVO.id}/rescan`, { csrf }), () => a.post("/hub/repos/999999/rescan", { csrf })],
    ];
    for (const [hidden, missing] of pairs) {
      const [x, y] = [await hidden(), await missing()];
      expect(x.status).toBe(404);
      expect(y.status).toBe(404);
      expect([...x.headers].filter(([k]) => k !== "date")).toEqual([...y.headers].filter(([k]) => k !== "date"));
      expect(await text(x)).toBe(await text(y));
    }
    expect(hub.queued).toEqual([]);
    // What she may read, she sees, by id and by name.
    expect((await a.get(`/hub/repos/${ALPHA.id}`)).status).toBe(200);
    expect((await a.get("/hub/repos/acme/alpha-secret")).status).toBe(200);
  });

  it("lets only people with write access ask for a rescan, by POST", async () => {
    const bobPage = await text(await b.get(`/hub/repos/${SHARED.id}`));
    expect(bobPage).not.toContain("Rescan default branch");
    const refused = await b.post(`/hub/repos/${SHARED.id}/rescan`, { csrf: csrfOf(bobPage) });
    expect(refused.status).toBe(403);
    expect(hub.queued).toEqual([]);

    const alicePage = await text(await a.get(`/hub/repos/${SHARED.id}`));
    expect(alicePage).toContain(`<form method="post" action="/hub/repos/${SHARED.id}/rescan">`);
    const queued = await a.post(`/hub/repos/${SHARED.id}/rescan`, { csrf: csrfOf(alicePage) });
    expect(queued.status).toBe(303);
    expect(queued.headers.get("location")).toBe(`/hub/repos/${SHARED.id}?rescan=queued`);
    expect(hub.queued).toEqual([{ installationId: INSTALLATION, repositoryId: SHARED.id, trigger: "manual", force: true }]);
    hub.queued.length = 0;
    expect((await a.get(`/hub/repos/${SHARED.id}`, {})).status).toBe(200);
    // A rescan is never a GET.
    expect((await a.get(`/hub/repos/${SHARED.id}/rescan`)).status).toBe(404);
  });
});

describe("a repository's page", () => {
  let a: CookieClient;
  beforeAll(async () => {
    a = await signIn(alice);
  });

  it("shows servers with listen and auth state, tools with schema, configs, dependencies with advisories, and open findings linked to the line at the scanned commit with the remediation", async () => {
    const page = await text(await a.get(`/hub/repos/${ALPHA.id}`));
    const scan = ALPHA.scans[0]!;
    const commit = scan.commit;
    expect(page).toContain("alpha-secret-server");
    expect(page).toMatch(/streamable-http/);
    expect(page).toContain("0.0.0.0");
    expect(page).toContain("alpha_secret_tool");
    expect(page).toContain("Input schema");
    expect(page).toContain("&quot;cmd&quot;");
    expect(page).toContain("alpha-config");
    expect(page).toContain("floating");
    expect(page).toContain("@modelcontextprotocol/sdk");
    const dependency = scan.inventory.dependencies.find((d) => d.name === "@modelcontextprotocol/sdk")!;
    expect(dependency.advisories.length).toBeGreaterThan(0);
    expect(page).toContain(dependency.advisories[0]!.id);
    const injection = scan.inventory.findings.find((f) => f.ruleId === "command-injection")!;
    expect(page).toContain(`href="https://github.com/acme/alpha-secret/blob/${commit}/src/server.ts#L${injection.line}`);
    expect(page).toContain(injection.title);
    // The remediation's Markdown is rendered, from escaped text.
    expect(page).toMatch(/<div class="remediation">[\s\S]*<code>/);
    expect(page).toContain(`href="/hub/repos/${ALPHA.id}.sarif"`);

    const sarif = await a.get(`/hub/repos/${ALPHA.id}.sarif`);
    expect(sarif.headers.get("content-type")).toBe("application/sarif+json; charset=utf-8");
    const log = (await sarif.json()) as { version: string; runs: { results: { ruleId: string; locations: { physicalLocation: { region: { startLine: number } } }[] }[]; versionControlProvenance: { revisionId: string }[] }[] };
    expect(log.version).toBe("2.1.0");
    expect(log.runs[0]!.versionControlProvenance[0]!.revisionId).toBe(commit);
    expect(log.runs[0]!.results.map((r) => r.ruleId).sort()).toEqual([...new Set(scan.inventory.findings.map((f) => f.fingerprint))].map((fp) => scan.inventory.findings.find((f) => f.fingerprint === fp)!.ruleId).sort());
  });

  it("renders a hostile tool description inert and visible: escaped markup, no live link, invisible characters as escapes; old and new side by side", async () => {
    const page = await text(await a.get(`/hub/repos/${SHARED.id}`));
    expect(page).not.toMatch(/<script|<img|href="javascript:|href="https:\/\/evil\.example/i);
    expect(page).not.toMatch(/[\u200b\u202e]|[\u{E0000}-\u{E007F}]/u);
    expect(page).toContain("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; [click me](javascript:alert(3)) [docs](https://evil.example/steal)");
    expect(page).toContain('<span class="invisible" title="invisible character U+200B">\\u200b</span>');
    expect(page).toContain("\\u202e");
    expect(page).toContain("\\u{e0041}");
    expect(page).toContain("3 invisible characters</strong> in this definition");
    // The tool-definition history: before and after, side by side.
    expect(page).toMatch(/<span class="tag bad">changed<\/span> <span class="mono">fetch_page<\/span>/);
    const history = page.slice(page.indexOf('id="history"'));
    expect(history).toMatch(/<h4>Before<\/h4>\s*<div class="untrusted">Fetches a page\.<\/div>/);
    expect(history).toMatch(/<h4>After<\/h4>\s*<div class="untrusted">Fetches a page\. &lt;script&gt;/);
    // The same text elsewhere: search hits and who uses.
    for (const path of ["/hub?q=fetch_page", "/hub/who-uses?kind=tool&name=fetch_page", "/hub"]) {
      const other = await text(await a.get(path));
      expect(other).not.toMatch(/<script|<img|href="javascript:|href="https:\/\/evil\.example/i);
      expect(other).not.toMatch(/[\u200b\u202e]|[\u{E0000}-\u{E007F}]/u);
    }
    expect(HOSTILE_DESCRIPTION).toContain("\u200b");
  });
});

describe("access follows GitHub", () => {
  it("re-checks at most every 15 minutes: a repository taken away disappears within the window, and a token GitHub no longer takes ends the session", async () => {
    const carol: FakeUser = { id: 1003, login: "carol", token: "ghu_carolTokenCarolToken0123456789", repositories: [{ repository: SHARED, write: false }, { repository: BRAVO, write: false }] };
    users.push(carol);
    secrets.add(carol.token);
    const c = await signIn(carol);
    expect((await c.get(`/hub/repos/${BRAVO.id}`)).status).toBe(200);
    carol.repositories = [{ repository: SHARED, write: false }];
    const before = asked.installations;
    clock += 14 * MINUTE;
    // Within the window GitHub is not asked again.
    expect((await c.get(`/hub/repos/${BRAVO.id}`)).status).toBe(200);
    expect(asked.installations).toBe(before);
    clock += 1 * MINUTE;
    const after = await c.get(`/hub/repos/${BRAVO.id}`);
    expect(after.status).toBe(404);
    expect(asked.installations).toBe(before + 1);
    expect(await text(await c.get("/hub"))).not.toContain("bravo");
    expect((await c.get(`/hub/repos/${SHARED.id}`)).status).toBe(200);

    revokedTokens.add(carol.token);
    clock += 15 * MINUTE;
    const ended = await c.get("/hub/repos");
    expect(ended.status).toBe(302);
    expect(ended.headers.get("location")).toBe("/hub/sign-in?return=%2Fhub%2Frepos");
    expect(c.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  it("shows nothing while GitHub cannot say what a person may read, and carries on when it can again", async () => {
    const erin: FakeUser = { id: 1005, login: "erin", token: "ghu_erinTokenErinTokenErin01234567", repositories: [{ repository: SHARED, write: false }] };
    users.push(erin);
    secrets.add(erin.token);
    const e = await signIn(erin);
    unavailable.add(`Bearer ${erin.token}`);
    clock += 15 * MINUTE;
    const down = await e.get(`/hub/repos/${SHARED.id}`);
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("60");
    const body = await text(down);
    expect(body).toContain("GitHub is not answering");
    expect(body).not.toContain("shared-tools");
    unavailable.clear();
    expect((await e.get(`/hub/repos/${SHARED.id}`)).status).toBe(200);
  });

  it("ends every session of a person who revokes the app's authorization (github_app_authorization.revoked), and only theirs", async () => {
    const a1 = await signIn(alice);
    const a2 = await signIn(alice);
    const b1 = await signIn(bob);
    const delivered = await hub.deliver("github_app_authorization", { action: "revoked", sender: { login: "alice", id: alice.id, type: "User" } });
    expect(delivered.status).toBe(200);
    for (const client of [a1, a2]) {
      const r = await client.get("/hub");
      expect(r.status).toBe(302);
      expect(r.headers.get("location")).toMatch(/^\/hub\/sign-in\?/);
    }
    expect((await b1.get("/hub")).status).toBe(200);
  });
});

describe("expiring user tokens", () => {
  it("refreshes an expired token at the re-check, with GitHub's rotation, and ends the session when GitHub refuses the refresh", async () => {
    const dave: FakeUser = { id: 1004, login: "dave", token: "ghu_daveTokenDaveTokenDave01234567", repositories: [{ repository: SHARED, write: false }] };
    users.push(dave);
    shortLived.add(dave.id);
    secrets.add(dave.token);
    const d = await signIn(dave);
    const first = dave.token;
    clock += 15 * MINUTE;
    // The token expired five minutes ago: the re-check refreshes it and asks GitHub with the new one.
    const page = await d.get("/hub");
    expect(page.status).toBe(200);
    expect(dave.token).not.toBe(first);
    expect(await text(page)).not.toContain(dave.token);
    // The next refresh is refused (the refresh token was revoked): the session ends.
    refreshes.clear();
    clock += 15 * MINUTE;
    const ended = await d.get("/hub");
    expect(ended.status).toBe(302);
    expect(ended.headers.get("location")).toBe("/hub/sign-in?return=%2Fhub");
  });
});

describe("forms and headers", () => {
  it("refuses a POST without this session's CSRF token or from another origin", async () => {
    const b = await signIn(bob, `/hub/repos/${BRAVO.id}`);
    const csrf = csrfOf(await text(await b.get(`/hub/repos/${BRAVO.id}`)));
    const attempts: [Record<string, string>, Record<string, string>][] = [
      [{}, {}],
      // A token one character off (never the token itself: its last character may already be "A").
      [{ csrf: `${csrf.slice(0, -1)}${csrf.endsWith("A") ? "B" : "A"}` }, {}],
      [{ csrf }, { origin: "https://evil.example" }],
      [{ csrf }, { "sec-fetch-site": "cross-site" }],
      [{ csrf }, { origin: "null" }],
    ];
    for (const [form, headers] of attempts) {
      const r = await b.post(`/hub/repos/${BRAVO.id}/rescan`, form, headers);
      expect(r.status).toBe(403);
      expect(await text(r)).toContain("did not come from a page of the hub");
    }
    // Neither an Origin nor a Referer: refused too.
    const bare = await fetch(`${hub.base}/hub/repos/${BRAVO.id}/rescan`, { method: "POST", redirect: "manual", headers: { cookie: b.cookieHeader(), "content-type": "application/x-www-form-urlencoded" }, body: `csrf=${csrf}` });
    expect(bare.status).toBe(403);
    expect(hub.queued).toEqual([]);
    const signOutRefused = await b.post("/hub/sign-out", {}, {});
    expect(signOutRefused.status).toBe(403);
    expect((await b.get("/hub")).status).toBe(200);

    const signedOut = await b.post("/hub/sign-out", { csrf });
    expect(signedOut.status).toBe(303);
    expect(signedOut.headers.get("location")).toBe("/hub/signed-out");
    expect(b.cookies.has(SESSION_COOKIE)).toBe(false);
    expect((await b.get("/hub")).status).toBe(302);
  });

  it("sends a strict CSP without any script, no-store, and no framing on every answer", async () => {
    const a = await signIn(alice);
    const answers = [
      await a.get("/hub"),
      await a.get("/hub/repos"),
      await a.get("/hub/repos.csv"),
      await a.get(`/hub/repos/${SHARED.id}`),
      await a.get(`/hub/repos/${SHARED.id}.sarif`),
      await a.get("/hub/repos/999999"),
      await a.get("/hub/who-uses"),
      await new CookieClient(hub.base, ORIGIN).get("/hub"),
      await new CookieClient(hub.base, ORIGIN).get("/hub/sign-in"),
    ];
    for (const r of answers) {
      const csp = r.headers.get("content-security-policy")!;
      expect(csp).toBe(SECURITY_HEADERS["content-security-policy"]);
      expect(csp).toMatch(/(^|; )default-src 'none'(;|$)/);
      expect(csp).not.toMatch(/script-src|unsafe-inline|unsafe-eval/);
      expect(r.headers.get("cache-control")).toBe("no-store");
      expect(r.headers.get("x-frame-options")).toBe("DENY");
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
      await r.arrayBuffer();
    }
    const page = await text(await a.get("/hub"));
    expect(page).not.toMatch(/<script|\sstyle=|\son[a-z]+=/i);
  });

  it("keeps cookies, sign-in codes, states and tokens out of the log", async () => {
    const log = hub.logs.join("\n");
    // The request logger ran and saw the sign-ins.
    expect(log).toContain("/hub/callback?code=[redacted]&state=[redacted]");
    expect(secrets.size).toBeGreaterThan(10);
    for (const secret of secrets) expect(log).not.toContain(secret);
    expect(log).not.toMatch(/gh[ur]_[A-Za-z0-9]{10}/);
  });
});

describe("housekeeping", () => {
  it("drops abandoned sign-ins and idle sessions, whoever's request comes next", async () => {
    const db = await openDatabase({ MCP_REVIEW_SQLITE: dbFile });
    try {
      await new CookieClient(hub.base, ORIGIN).get("/hub/sign-in");
      const count = async (table: string) => Number((await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))!.n);
      expect(await count("hub_sign_ins")).toBeGreaterThan(0);
      expect(await count("hub_sessions")).toBeGreaterThan(0);
      clock += 61 * MINUTE;
      // Someone without a session asks for a page.
      expect((await new CookieClient(hub.base, ORIGIN).get("/hub")).status).toBe(302);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await count("hub_sign_ins")).toBe(0);
      expect(await count("hub_sessions")).toBe(0);
    } finally {
      await db.close();
    }
  });
});

describe("without the hub's settings", () => {
  it("answers /hub with 404 and says once in the log what to set", async () => {
    const db = freshSqliteFile();
    const off = await startHubServer({ env: { GITHUB_CLIENT_ID: CLIENT_ID }, database: () => openDatabase({ MCP_REVIEW_SQLITE: db.file }) });
    try {
      expect(off.hubEnabled).toBe(false);
      for (const path of ["/hub", "/hub/sign-in", "/hub/callback?code=x&state=y"]) expect((await fetch(`${off.base}${path}`, { redirect: "manual" })).status).toBe(404);
      const said = off.logs.filter((l) => l.includes("the hub is off"));
      expect(said).toHaveLength(1);
      expect(said[0]).toContain("set GITHUB_CLIENT_SECRET, APP_URL to serve the hub at /hub");
    } finally {
      await off.close();
      db.drop();
    }
  });
});
