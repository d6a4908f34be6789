import { Octokit } from "@octokit/core";
import nock from "nock";
import { rateLimitWait, requestPolicy, type RequestPolicyOptions } from "../../src/review/request-policy.js";

const API = "https://api.github.com";
const PolicyOctokit = Octokit.plugin(requestPolicy);
const warnings: string[] = [];

function client(policy: RequestPolicyOptions = {}) {
  return new PolicyOctokit({
    auth: "token",
    requestPolicy: { retryBaseMs: 1, ...policy },
    log: { debug() {}, info() {}, warn: (message: string) => void warnings.push(message), error() {} },
  } as ConstructorParameters<typeof PolicyOctokit>[0]);
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  warnings.length = 0;
});
afterAll(() => nock.enableNetConnect());

describe("requestPolicy", () => {
  it("retries a read through 500 and 502 and returns the success", async () => {
    const scope = nock(API).get("/repos/o/r/pulls/1").reply(500, { message: "boom" }).get("/repos/o/r/pulls/1").reply(502, "bad gateway").get("/repos/o/r/pulls/1").reply(200, { number: 1 });
    const { data } = await client().request("GET /repos/{owner}/{repo}/pulls/{pull_number}", { owner: "o", repo: "r", pull_number: 1 });
    expect(data).toEqual({ number: 1 });
    scope.done();
  });

  it("gives up after its server-error retries, with GitHub's error", async () => {
    nock(API).get("/repos/o/r/pulls/1").times(3).reply(503, { message: "unavailable" });
    await expect(client({ serverErrorRetries: 2 }).request("GET /repos/o/r/pulls/1")).rejects.toMatchObject({ status: 503 });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("does not repeat a POST that failed with a server error: GitHub may have acted on it", async () => {
    const scope = nock(API).post("/repos/o/r/pulls/1/reviews").reply(502, "bad gateway");
    await expect(client().request("POST /repos/o/r/pulls/1/reviews", { body: "x" })).rejects.toMatchObject({ status: 502 });
    scope.done(); // a second POST would have found no mock and failed differently
  });

  it("waits out a secondary rate limit's retry-after, for a POST too, and warns", async () => {
    const scope = nock(API)
      .post("/repos/o/r/pulls/1/reviews")
      .reply(403, { message: "You have exceeded a secondary rate limit." }, { "retry-after": "1" })
      .post("/repos/o/r/pulls/1/reviews")
      .reply(200, { id: 7 });
    const started = Date.now();
    const { data } = await client().request("POST /repos/o/r/pulls/1/reviews", { body: "x" });
    expect(data).toEqual({ id: 7 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(warnings).toEqual([expect.stringMatching(/rate limit on POST .*waiting 1 s \(retry 1 of 2\)/)]);
    scope.done();
  });

  it("refuses to wait longer than maxWaitSeconds, and stops after rateLimitRetries", async () => {
    nock(API).get("/a").reply(429, { message: "Too Many Requests" }, { "retry-after": "600" });
    await expect(client().request("GET /a")).rejects.toMatchObject({ status: 429 });
    nock(API).get("/b").times(2).reply(429, { message: "Too Many Requests" }, { "retry-after": "0" });
    await expect(client({ rateLimitRetries: 1 }).request("GET /b")).rejects.toMatchObject({ status: 429 });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("fails at once on errors that a retry cannot fix", async () => {
    for (const status of [400, 401, 403, 404, 422]) {
      const scope = nock(API).get("/c").reply(status, { message: "no" });
      await expect(client().request("GET /c")).rejects.toMatchObject({ status });
      scope.done();
    }
  });

  it("lets at most maxConcurrentWrites writes run at once, and never holds up reads", async () => {
    let inFlight = 0;
    let most = 0;
    let done = 0;
    const track = () => {
      most = Math.max(most, ++inFlight);
      return new Promise<[number, object]>((resolve) => setTimeout(() => (inFlight--, done++, resolve([200, {}])), 30));
    };
    nock(API).patch(/\/check-runs\/\d+/).times(12).reply(() => track());
    nock(API).get("/read").reply(200, {});
    const octokit = client({ maxConcurrentWrites: 3, writeSpacingMs: 0 });
    const writes = Array.from({ length: 12 }, (_, i) => octokit.request("PATCH /repos/o/r/check-runs/{id}", { id: i }));
    await octokit.request("GET /read");
    // Queued behind the writes, the read would return after at least 9 of them (3 at a time);
    // counted rather than timed, so a loaded machine does not change the answer.
    expect(done).toBeLessThan(9);
    await Promise.all(writes);
    expect(most).toBe(3);
  });
});

describe("rateLimitWait", () => {
  const error = (status: number, headers: Record<string, string>, message = "") => ({ status, message, response: { headers } });

  it("reads retry-after, a primary limit's reset, and falls back to a minute for a secondary limit", () => {
    const now = Date.parse("2026-11-26T12:00:00Z");
    expect(rateLimitWait(error(403, { "retry-after": "30" }))).toBe(30);
    expect(rateLimitWait(error(403, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(now / 1000 + 20) }), now)).toBe(21);
    expect(rateLimitWait(error(403, {}, "You have exceeded a secondary rate limit"))).toBe(60);
    expect(rateLimitWait(error(429, {}))).toBe(60);
  });

  it("is undefined for errors that are not rate limits", () => {
    expect(rateLimitWait(error(403, {}, "Resource not accessible by integration"))).toBeUndefined();
    expect(rateLimitWait(error(500, { "retry-after": "5" }))).toBeUndefined();
    expect(rateLimitWait({ message: "socket hang up" })).toBeUndefined();
  });
});

describe("requestPolicy and GraphQL", () => {
  it("retries a GraphQL query through a 502, as the read it is", async () => {
    const scope = nock(API)
      .post("/graphql")
      .reply(502, "bad gateway")
      .post("/graphql")
      .reply(200, { data: { viewer: { login: "bot" } } });
    const data = await client().graphql<{ viewer: { login: string } }>("query { viewer { login } }");
    expect(data.viewer.login).toBe("bot");
    scope.done();
  });

  it("does not repeat a mutation", async () => {
    const scope = nock(API).post("/graphql").reply(502, "bad gateway");
    await expect(client().graphql("mutation { addReaction(input: {}) { clientMutationId } }")).rejects.toMatchObject({ status: 502 });
    scope.done();
  });
});
