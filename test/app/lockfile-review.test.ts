import nock from "nock";
import { BASE, CHECK_RUN, HEAD, PULL, REPO_PATH, emptyCapture, mockReview } from "../support/pull-request-fixture.js";
import { bigPackageLock } from "../support/lockfiles.js";
import { API, createTestApp, mockInstallationToken, pullRequestPayload, type TestApp } from "../support/test-app.js";

const LOCK_BEFORE = `{
  "name": "ops",
  "lockfileVersion": 3,
  "packages": {
    "node_modules/mcp-remote": {
      "version": "0.1.16"
    },
    "node_modules/zod": {
      "version": "3.25.76"
    }
  }
}
`;
/** Only the lockfile changes: it moves mcp-remote back into the advisory's range (line 6). */
const LOCK_AFTER = LOCK_BEFORE.replace('"version": "0.1.16"', '"version": "0.1.15"');
const LOCK_PATCH = '@@ -3,7 +3,7 @@\n   "lockfileVersion": 3,\n   "packages": {\n     "node_modules/mcp-remote": {\n-      "version": "0.1.16"\n+      "version": "0.1.15"\n     },\n     "node_modules/zod": {\n       "version": "3.25.76"';

describe("a pull request that changes only a lockfile", () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await createTestApp();
  });
  afterEach(async () => {
    await app.close();
  });

  it("reports the MCP package it moves into an advisory's range, on the changed line", async () => {
    const captured = emptyCapture();
    mockInstallationToken();
    const list = [{ filename: "package-lock.json", status: "modified", additions: 1, deletions: 1, changes: 2, patch: LOCK_PATCH }];
    const scope = mockReview(captured, { files: { list, head: { "package-lock.json": LOCK_AFTER }, base: {} } });
    await app.deliver("pull_request", pullRequestPayload("opened", { number: PULL, head: HEAD, base: BASE }));
    await app.queue.drain();

    expect(app.unmatched).toEqual([]);
    scope.done();
    const completed = captured.checkUpdates[1];
    expect(completed.conclusion).toBe("failure");
    expect(completed.output.annotations.map((a: any) => [a.path, a.start_line, a.title])).toEqual([
      ["package-lock.json", 6, "MCP package pinned to a version with a published advisory (CWE-1395, high)"],
    ]);
    expect(captured.reviews[0].comments.map((c: any) => [c.path, c.line])).toEqual([["package-lock.json", 6]]);
  });

  it("reads a lockfile over the contents API's 1 MB raw, and judges a diff too large to show by the versions it pins", async () => {
    const big = bigPackageLock(8000, { name: "mcp-remote", version: "0.1.16" });
    const after = big.text.replace('"version": "0.1.16"', '"version": "0.1.15"');
    const size = Buffer.byteLength(after);
    const captured = emptyCapture();
    mockInstallationToken();
    const raw: string[] = [];
    const scope = nock(API)
      .post(`${REPO_PATH}/check-runs`)
      .reply(201, { id: CHECK_RUN })
      .get(`${REPO_PATH}/pulls/${PULL}`)
      .times(2)
      .reply(200, { number: PULL, state: "open", draft: false, head: { sha: HEAD }, base: { sha: BASE, ref: "main" } })
      .patch(`${REPO_PATH}/check-runs/${CHECK_RUN}`, (body) => (captured.checkUpdates.push(body), true))
      .times(2)
      .reply(200, { id: CHECK_RUN })
      .get(`${REPO_PATH}/contents/.github%2Fmcp-review.yml`)
      .query({ ref: BASE })
      .reply(404, { message: "Not Found" })
      // GitHub leaves the patch out of a diff this large.
      .get(`${REPO_PATH}/pulls/${PULL}/files`)
      .query({ per_page: 100 })
      .reply(200, [{ filename: "package-lock.json", status: "modified", additions: 1, deletions: 1, changes: 2 }])
      .get(`/repos/acme/.github/contents/.github%2Fmcp-review.yml`)
      .reply(404, { message: "Not Found" })
      .get(`${REPO_PATH}/git/trees/${HEAD}`)
      .query({ recursive: "1" })
      .reply(200, { sha: HEAD, truncated: false, tree: [{ path: "package-lock.json", mode: "100644", type: "blob", sha: "0".repeat(40), size }] })
      .post("/graphql")
      .reply(200, { data: { repository: { f0: { __typename: "Blob", byteSize: size, isBinary: false, isTruncated: true, text: null } } } })
      .get(`${REPO_PATH}/pulls/${PULL}/comments`)
      .query({ per_page: 100 })
      .reply(200, []);
    for (const [ref, text] of [[HEAD, after], [BASE, big.text]] as const) {
      scope.get(`${REPO_PATH}/contents/package-lock.json`).query({ ref }).reply(200, { type: "file", encoding: "none", size: Buffer.byteLength(text), content: "" });
      scope
        .get(`${REPO_PATH}/contents/package-lock.json`)
        .query({ ref })
        .matchHeader("accept", /raw/)
        .reply(200, () => (raw.push(ref), text), { "content-type": "application/vnd.github.raw; charset=utf-8" });
    }
    await app.deliver("pull_request", pullRequestPayload("opened", { number: PULL, head: HEAD, base: BASE }));
    await app.queue.drain();

    expect(app.unmatched).toEqual([]);
    scope.done();
    expect(raw.sort()).toEqual([BASE, HEAD].sort());
    const completed = captured.checkUpdates[1];
    expect(completed.conclusion).toBe("failure");
    expect(completed.output.annotations.map((a: any) => [a.path, a.start_line])).toEqual([["package-lock.json", big.line]]);
    expect(completed.output.summary).toContain(`\`package-lock.json:${big.line}\` MCP package pinned to a version with a published advisory`);
  });
});
