import { createHash } from "node:crypto";
import nock from "nock";
import { ACCESS_TTL_MS, AccessError, readAccess } from "../../src/hub/access.js";
import { html, invisibleCount, visible } from "../../src/hub/html.js";
import { cookie, isLive, readCookie, SESSION_IDLE_MS, SESSION_LIFETIME_MS, type Session } from "../../src/hub/sessions.js";
import { authorizeUrl, exchangeCode, gitHubHosts, pkcePair, safeReturnPath, SignInError } from "../../src/hub/sign-in.js";

describe("html", () => {
  it("escapes every interpolated value, keeps Html as it is, and renders nothing for null, undefined and false", () => {
    const name = `<script>alert("x")</script>`;
    const page = html`<p title="${name}">${name}${html`<b>${"&"}</b>`}${null}${undefined}${false}${[1, "<i>"]}</p>`;
    expect(page.value).toBe('<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<b>&amp;</b>1&lt;i&gt;</p>');
  });

  it("shows invisible characters as visible escapes, never as themselves", () => {
    const text = "Adds\u200b two\u202e numbers.\u{E0049}\u{E0047} <b>";
    const shown = visible(text).value;
    expect(shown).not.toMatch(/[\u200b\u202e]|[\u{E0000}-\u{E007F}]/u);
    expect(shown).toContain('<span class="invisible" title="invisible character U+200B">\\u200b</span>');
    expect(shown).toContain("\\u202e");
    expect(shown).toContain("\\u{e0049}");
    expect(shown).toContain("&lt;b&gt;");
    expect(invisibleCount(text)).toBe(4);
  });
});

describe("signing in", () => {
  it("follows GHE_HOST and GHE_PROTOCOL for the sign-in endpoints, as the API does", () => {
    expect(gitHubHosts({})).toEqual({ web: "https://github.com", api: "https://api.github.com" });
    expect(gitHubHosts({ GHE_HOST: "ghe.example.com", GHE_PROTOCOL: "http" })).toEqual({ web: "http://ghe.example.com", api: "http://ghe.example.com/api/v3" });
    const url = new URL(authorizeUrl(gitHubHosts({ GHE_HOST: "ghe.example.com" }), { clientId: "Iv1.abc", redirectUri: "https://hub.example/hub/callback", state: "s", challenge: "c" }));
    expect(`${url.origin}${url.pathname}`).toBe("https://ghe.example.com/login/oauth/authorize");
    expect(Object.fromEntries(url.searchParams)).toEqual({ client_id: "Iv1.abc", redirect_uri: "https://hub.example/hub/callback", state: "s", code_challenge: "c", code_challenge_method: "S256" });
  });

  it("makes an S256 PKCE pair", () => {
    const { verifier, challenge } = pkcePair();
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(challenge).toBe(createHash("sha256").update(verifier).digest("base64url"));
  });

  it.each([
    ["/hub/repos/42?tab=tools", "/hub/repos/42?tab=tools"],
    ["/hub", "/hub"],
    ["https://evil.example/hub", "/hub"],
    ["//evil.example/hub", "/hub"],
    ["/\\evil.example", "/hub"],
    ["/hubevil", "/hub"],
    ["/probot", "/hub"],
    ["/hub/../probot", "/hub"],
    [undefined, "/hub"],
  ])("returns to %j only inside the hub: %j", (target, expected) => {
    expect(safeReturnPath(target)).toBe(expected);
  });

  it("trades the code and verifier for the token, and refuses GitHub's error answer", async () => {
    nock.disableNetConnect();
    try {
      const hosts = gitHubHosts({});
      nock("https://github.com")
        .post("/login/oauth/access_token", { client_id: "id", client_secret: "secret", code: "good", redirect_uri: "https://hub/cb", code_verifier: "v" })
        .reply(200, { access_token: "ghu_token", expires_in: 28800, refresh_token: "ghr_refresh", refresh_token_expires_in: 15811200 })
        .post("/login/oauth/access_token")
        .reply(200, { error: "bad_verification_code" });
      const token = await exchangeCode(hosts, { clientId: "id", clientSecret: "secret", code: "good", redirectUri: "https://hub/cb", verifier: "v" }, fetch, 1000);
      expect(token).toEqual({ accessToken: "ghu_token", expiresAt: 1000 + 28800 * 1000, refreshToken: "ghr_refresh", refreshExpiresAt: 1000 + 15811200 * 1000 });
      await expect(exchangeCode(hosts, { clientId: "id", clientSecret: "secret", code: "bad", redirectUri: "https://hub/cb", verifier: "w" })).rejects.toThrow(new SignInError("GitHub refused the sign-in (bad_verification_code)"));
    } finally {
      nock.cleanAll();
      nock.enableNetConnect();
    }
  });
});

describe("access", () => {
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it("lists the repositories of every installation the user can see, following pages, and which they may write to", async () => {
    nock.disableNetConnect();
    const api = nock("https://api.github.com", { reqheaders: { authorization: "Bearer ghu_token" } })
      .get("/user/installations")
      .query({ per_page: 100 })
      .reply(200, { total_count: 1, installations: [{ id: 7 }] })
      .get("/user/installations/7/repositories")
      .query({ per_page: 100 })
      .reply(200, { repositories: [{ id: 3, permissions: { pull: true } }] }, { link: '<https://api.github.com/user/installations/7/repositories?per_page=100&page=2>; rel="next"' })
      .get("/user/installations/7/repositories")
      .query({ per_page: 100, page: 2 })
      .reply(200, { repositories: [{ id: 1, permissions: { pull: true, push: true } }] });
    const access = await readAccess(gitHubHosts({}), "ghu_token", fetch, 5);
    api.done();
    expect(access).toEqual({ repositoryIds: [1, 3], writable: [1], checkedAt: 5 });
    expect(ACCESS_TTL_MS).toBe(15 * 60 * 1000);
  });

  it("says when GitHub no longer takes the token", async () => {
    nock.disableNetConnect();
    nock("https://api.github.com").get("/user/installations").query(true).reply(401, { message: "Bad credentials" });
    await expect(readAccess(gitHubHosts({}), "revoked", fetch)).rejects.toMatchObject({ status: 401 });
    await expect(Promise.reject(new AccessError("x", 401))).rejects.toBeInstanceOf(AccessError);
  });
});

describe("sessions", () => {
  const session = (createdAt: number, lastSeenAt: number) => ({ createdAt, lastSeenAt }) as Session;

  it("end at their lifetime and after an idle spell", () => {
    expect(isLive(session(0, 0), SESSION_IDLE_MS - 1)).toBe(true);
    expect(isLive(session(0, 0), SESSION_IDLE_MS)).toBe(false);
    expect(isLive(session(0, SESSION_LIFETIME_MS - 10), SESSION_LIFETIME_MS)).toBe(false);
  });

  it("live in an HttpOnly, SameSite=Lax cookie, Secure over https, read back only when well formed", () => {
    expect(cookie("mcp_review_session", "a".repeat(43), { secure: true })).toBe(`mcp_review_session=${"a".repeat(43)}; Path=/hub; HttpOnly; SameSite=Lax; Secure`);
    expect(cookie("mcp_review_session", "", { secure: false, maxAgeSeconds: 0 })).toBe("mcp_review_session=; Path=/hub; HttpOnly; SameSite=Lax; Max-Age=0");
    expect(readCookie(`x=1; mcp_review_session=${"b".repeat(43)}`, "mcp_review_session")).toBe("b".repeat(43));
    expect(readCookie("mcp_review_session=<script>", "mcp_review_session")).toBeUndefined();
  });
});
