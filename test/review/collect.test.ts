import nock from "nock";
import { ProbotOctokit } from "probot";
import { collect, type PullRequestState } from "../../src/review/collect.js";
import type { GitHub } from "../../src/review/github.js";
import type { ReviewJob } from "../../src/review/review-job.js";
import { answerBlobQueries } from "../support/pull-request-fixture.js";
import { API, base64 } from "../support/test-app.js";

const HEAD = "c".repeat(40);
const BASE = "d".repeat(40);
const job: ReviewJob = { installationId: 1, repositoryId: 1, owner: "o", repo: "r", pullNumber: 3, headSha: HEAD, checkRunId: 9, trigger: "pull_request" };
const pull: PullRequestState = { number: 3, state: "open", headSha: HEAD, baseSha: BASE, baseRef: "main", draft: false };
const REPO = "/repos/o/r";

/** Octokit's retries and throttling off: every request is one nock interceptor. */
const github = () => new ProbotOctokit({ auth: { token: "t" }, retry: { enabled: false }, throttle: { enabled: false } }) as unknown as GitHub;

/** A modified file whose patch cannot be put back (no hunk header), so only its head is read. */
const modified = (filename: string) => ({ filename, status: "modified", changes: 1 });

function listing(files: object[]): nock.Scope {
  return nock(API)
    .get(`${REPO}/contents/.github%2Fmcp-review.yml`)
    .query({ ref: BASE })
    .reply(404, { message: "Not Found" })
    .get(`${REPO}/pulls/3/files`)
    .query({ per_page: 100 })
    .reply(200, files)
    .get("/repos/o/.github/contents/.github%2Fmcp-review.yml")
    .reply(404, { message: "Not Found" });
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe("collect reads changed files at the head through GraphQL", () => {
  it("asks 25 files to a query, and reads the base of a modified file at the base commit when its patch cannot be put back", async () => {
    const paths = Array.from({ length: 30 }, (_, i) => `src/m${String(i).padStart(2, "0")}.ts`);
    const scope = listing(paths.map(modified));
    answerBlobQueries(scope, Object.fromEntries(paths.map((p) => [p, `export const v = "${p}";\n`])), HEAD, 2);
    for (const path of paths) {
      scope.get(`${REPO}/contents/${encodeURIComponent(path)}`).query({ ref: BASE }).reply(200, { type: "file", encoding: "base64", size: 10, content: base64("export {};\n") });
    }
    const collected = await collect(github(), job, pull);
    scope.done();
    expect(collected.files.map((f) => f.path)).toEqual(paths);
    expect(collected.files[29]).toEqual({ path: "src/m29.ts", content: 'export const v = "src/m29.ts";\n', base: "export {};\n" });
    expect(collected.skipped).toEqual([]);
  });

  it("skips what GraphQL says is missing, binary, too large or a submodule, and reads cut-short or repaired text through REST", async () => {
    const files = ["a-missing.ts", "b-binary.ts", "c-huge.ts", "d-submodule.ts", "e-truncated.ts", "f-latin1.ts"].map((p) => ({ filename: `src/${p}`, status: "added", changes: 1 }));
    const scope = listing(files).post("/graphql").reply(200, {
      data: {
        repository: {
          f0: null,
          f1: { __typename: "Blob", byteSize: 10, isBinary: true, isTruncated: false, text: null },
          f2: { __typename: "Blob", byteSize: 9_000_000, isBinary: false, isTruncated: true, text: "x" },
          f3: { __typename: "Commit" },
          f4: { __typename: "Blob", byteSize: 100, isBinary: false, isTruncated: true, text: "export const cut" },
          f5: { __typename: "Blob", byteSize: 12, isBinary: false, isTruncated: false, text: "const s = '\uFFFD';" },
        },
      },
    });
    scope.get(`${REPO}/contents/src%2Fe-truncated.ts`).query({ ref: HEAD }).reply(200, { type: "file", encoding: "base64", size: 22, content: base64("export const whole = 1;\n") });
    scope.get(`${REPO}/contents/src%2Ff-latin1.ts`).query({ ref: HEAD }).reply(200, { type: "file", encoding: "base64", size: 12, content: Buffer.from("const s = '\xe9';", "latin1").toString("base64") });
    const collected = await collect(github(), job, pull);
    scope.done();
    expect(collected.files).toEqual([{ path: "src/e-truncated.ts", content: "export const whole = 1;\n" }]);
    expect(collected.skipped).toEqual([
      { path: "src/a-missing.ts", reason: "fetch-failed", detail: "not found at the head commit" },
      { path: "src/b-binary.ts", reason: "binary" },
      { path: "src/c-huge.ts", reason: "too-large", detail: "8790 KB is over max_file_size_kb (512)" },
      { path: "src/d-submodule.ts", reason: "unsupported", detail: "not a regular file (a submodule)" },
      { path: "src/f-latin1.ts", reason: "binary", detail: "not valid UTF-8 text" },
    ]);
  });

  it("falls back to one REST read per file when the GraphQL query fails", async () => {
    const scope = listing([modified("src/a.ts"), modified("src/b.ts")]).post("/graphql").reply(200, { errors: [{ type: "FORBIDDEN", message: "Resource not accessible by integration" }] });
    for (const path of ["src/a.ts", "src/b.ts"]) {
      scope.get(`${REPO}/contents/${encodeURIComponent(path)}`).query({ ref: HEAD }).reply(200, { type: "file", encoding: "base64", size: 10, content: base64(`// ${path}\n`) });
      scope.get(`${REPO}/contents/${encodeURIComponent(path)}`).query({ ref: BASE }).reply(404, { message: "Not Found" });
    }
    const collected = await collect(github(), job, pull);
    scope.done();
    expect(collected.files).toEqual([
      { path: "src/a.ts", content: "// src/a.ts\n" },
      { path: "src/b.ts", content: "// src/b.ts\n" },
    ]);
  });
});

describe("collect skips what no one wrote by hand", () => {
  it("skips vendored folders, build output beside its sources and minified bundles, and says so; generated code is read", async () => {
    const added = (filename: string, text: string) => {
      const lines = text.split("\n");
      return { filename, status: "added", changes: lines.length, patch: `@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}`).join("\n")}` };
    };
    const files = [
      added("node_modules/dep/index.js", "module.exports = 1;"),
      added("dist/server.js", "exports.a = 1;"),
      added("public/app.min.js", "var a=1;"),
      added("src/gen.ts", "// @generated by a tool\nexport const a = 1;"),
      added("src/server.ts", "export const b = 2;"),
      added("public/bundle.js", `${"var x=require('child_process');x.exec(process.argv[2]);".repeat(40)}`),
      // TypeScript is never a bundle: long lines in a .ts file are read, or anyone could hide code from review.
      added("src/one-line.ts", `import { exec } from "node:child_process"; ${"export const v = [1, 2, 3]; ".repeat(60)}`),
    ];
    const scope = listing(files);
    const tree = [...files.map((f) => ({ path: f.filename, mode: "100644", type: "blob", sha: "1".repeat(40), size: 10 })), { path: "src", mode: "040000", type: "tree", sha: "2".repeat(40) }];
    scope.get(`${REPO}/git/trees/${HEAD}`).query({ recursive: "1" }).reply(200, { sha: HEAD, truncated: false, tree });
    const collected = await collect(github(), job, pull);
    expect(collected.files.map((f) => f.path)).toEqual(["src/gen.ts", "src/one-line.ts", "src/server.ts"]);
    expect(collected.skipped).toEqual([
      { path: "dist/server.js", reason: "vendored", detail: "build output beside its sources" },
      { path: "node_modules/dep/index.js", reason: "vendored", detail: "in a folder of vendored code" },
      { path: "public/app.min.js", reason: "minified", detail: "a minified bundle" },
      { path: "public/bundle.js", reason: "minified", detail: "a minified bundle" },
    ]);
  });
});
