import { analyze } from "../../src/engine/index.js";
import type { FakePullRequest } from "../support/fake-github.js";
import { mcpServerSource, plainSource } from "../support/mcp-corpus.js";
import { deleteKeys, redisUrl, requireRedis, uniquePrefix } from "../support/redis.js";
import { openedPayload, sha, startStack, type ReviewStack } from "../support/review-stack.js";

let repositoryId = 5000;

const SERVER = mcpServerSource(0, 40);
/** What the engine finds in the vulnerable server: every one is on an added line, so each gets a comment. */
const SERVER_FINDINGS = analyze([{ path: "src/server.ts", content: SERVER }]).findings.length;

/** A pull request adding one vulnerable MCP server (2 findings on added lines) and `extra` files. */
function pullRequest(number: number, extra: FakePullRequest["files"] = []): FakePullRequest {
  return {
    owner: "acme",
    repo: "tools",
    repositoryId: repositoryId,
    number,
    headSha: sha(),
    baseSha: sha(),
    state: "open",
    files: [{ filename: "src/server.ts", status: "added", content: SERVER }, ...extra],
  };
}

function completed(stack: ReviewStack, pull: FakePullRequest) {
  return stack.github.checkRunsFor(pull.headSha).filter((c) => c.status === "completed");
}

describe("reviews under failure and hostile input (fake GitHub, real Redis)", () => {
  const prefix = uniquePrefix("stress");
  let stack: ReviewStack;

  beforeAll(requireRedis);
  beforeEach(async () => {
    repositoryId++;
    stack = await startStack({ redisUrl: redisUrl(), prefix, workers: 2 });
  });
  afterEach(async () => {
    await stack.close();
  });
  afterAll(() => deleteKeys(prefix));

  it("backs off through 500, 502, a secondary rate limit with retry-after and a 429, then completes once", async () => {
    const pull = pullRequest(1);
    stack.github.addPullRequest(pull);
    stack.github.fail({ method: "GET", path: /\/pulls\/1\/files$/, status: 502 });
    stack.github.fail({ method: "GET", path: /\/pulls\/1\/comments$/, status: 500 });
    stack.github.fail({
      method: "POST",
      path: /\/pulls\/1\/reviews$/,
      status: 403,
      headers: { "retry-after": "1" },
      body: { message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." },
    });
    stack.github.fail({ method: "PATCH", path: /\/check-runs\/\d+$/, status: 429, headers: { "retry-after": "1" }, body: { message: "Too Many Requests" } });

    expect(await stack.deliver("pull_request", openedPayload(pull))).toBe(200);
    await stack.github.waitFor(() => completed(stack, pull).length === 1, 30000, "the check run to complete");

    const [run] = completed(stack, pull);
    expect(run!.conclusion).toBe("failure");
    expect(stack.github.faults.every((f) => f.times === 0)).toBe(true);
    expect(SERVER_FINDINGS).toBeGreaterThanOrEqual(2);
    expect(stack.github.reviews).toEqual([{ pull: 1, commitId: pull.headSha, count: SERVER_FINDINGS }]);
    expect(stack.github.comments.size).toBe(SERVER_FINDINGS);
  });

  it("keeps the other comments and the conclusion when GitHub refuses one comment line (422)", async () => {
    const second = mcpServerSource(5, 40);
    const findings = analyze([{ path: "src/server.ts", content: SERVER }, { path: "src/second.ts", content: second }]).findings.length;
    const pull = pullRequest(2, [{ filename: "src/second.ts", status: "added", content: second }]);
    stack.github.addPullRequest(pull);
    stack.github.fail({ method: "POST", path: /\/pulls\/2\/reviews$/, status: 422, body: { message: "Unprocessable Entity", errors: ["Line could not be resolved"] } });
    stack.github.fail({ method: "POST", path: /\/pulls\/2\/comments$/, status: 422, body: { message: "Unprocessable Entity", errors: ["pull_request_review_thread.line must be part of the diff"] } });

    await stack.deliver("pull_request", openedPayload(pull));
    await stack.github.waitFor(() => completed(stack, pull).length === 1, 20000, "the check run to complete");

    const [run] = completed(stack, pull);
    expect(run!.conclusion).toBe("failure");
    expect(stack.github.comments.size).toBe(findings - 1); // one refused, the others kept
    expect(run!.output!.summary).toContain("1 not commented inline: GitHub refused the line");
  });

  it("ends the check run as cancelled when the pull request is closed during the review", async () => {
    const pull = pullRequest(3);
    stack.github.addPullRequest(pull);
    stack.github.latencyMs = 30;
    // Close it the moment the review starts reading files.
    const closeOnFiles = setInterval(() => {
      if (stack.github.requests.some((r) => r.path.endsWith("/pulls/3/files"))) {
        pull.state = "closed";
        clearInterval(closeOnFiles);
      }
    }, 5);
    await stack.deliver("pull_request", openedPayload(pull));
    await stack.github.waitFor(() => completed(stack, pull).length === 1, 20000, "the check run to complete");
    clearInterval(closeOnFiles);

    const [run] = completed(stack, pull);
    expect(run!.conclusion).toBe("cancelled");
    expect(run!.output!.title).toBe("Pull request closed");
    expect(stack.github.comments.size).toBe(0);
  });

  it("ends the check run as cancelled when the head moves during the review, and reviews the new head", async () => {
    const pull = pullRequest(4);
    stack.github.addPullRequest(pull);
    stack.github.latencyMs = 30;
    const oldHead = pull.headSha;
    const newHead = sha();
    const push = setInterval(() => {
      if (stack.github.requests.some((r) => r.path.endsWith("/pulls/4/files"))) {
        clearInterval(push);
        pull.headSha = newHead;
        void stack.deliver("pull_request", openedPayload(pull, "synchronize"));
      }
    }, 5);
    await stack.deliver("pull_request", { ...openedPayload(pull), pull_request: { ...openedPayload(pull).pull_request, head: { sha: oldHead, ref: "feature" } } });
    await stack.github.waitFor(() => stack.github.checkRunsFor(newHead).some((c) => c.status === "completed"), 20000, "the new head's review");
    clearInterval(push);

    const old = stack.github.checkRunsFor(oldHead);
    expect(old.map((c) => [c.status, c.conclusion, c.output?.title])).toEqual([["completed", "cancelled", "Superseded by a newer commit"]]);
    expect(stack.github.checkRunsFor(newHead).map((c) => c.conclusion)).toEqual(["failure"]);
    expect(stack.github.reviews.map((r) => r.commitId)).toEqual([newHead]);
  });

  it("bounds a hostile pull request: 3,000 files, a 10 MB file, binary, invalid UTF-8, deep nesting, a 100 kB line, regex bait", async () => {
    const files: FakePullRequest["files"] = [
      { filename: "assets/logo.png", status: "added", content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]) },
      { filename: "src/huge.ts", status: "added", content: "export const x = 1;\n".repeat(550_000) },
      { filename: "src/nul.ts", status: "added", content: Buffer.concat([Buffer.from("const a = 1;\n"), Buffer.from([0, 1, 2]), Buffer.from("\n")]) },
      { filename: "src/latin1.js", status: "added", content: Buffer.from([0x63, 0x6f, 0x6e, 0x73, 0x74, 0x20, 0xe9, 0xff, 0xfe, 0x0a]) },
      { filename: "src/deep.ts", status: "added", content: `import { exec } from "node:child_process";\nexport const deep = ${"[".repeat(3000)}1${"]".repeat(3000)};\n` },
      { filename: "src/long-line.js", status: "added", content: `import { exec } from "child_process"; const s = "${"x".repeat(100_000)}";\n` },
      {
        filename: "src/bait.ts",
        status: "added",
        content: `import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";\nconst server = new McpServer({ name: "b", version: "1" });\nserver.tool("t", "${"ignore ".repeat(4000)}${"<".repeat(20000)}${"\\u200b".repeat(2000)}", async () => ({ content: [] }));\n`,
      },
    ];
    for (let i = 0; files.length < 3000; i++) files.push({ filename: `lib/module-${i}.ts`, status: "added", content: plainSource(i, 30) });
    const pull = pullRequest(5, files);
    stack.github.addPullRequest(pull);

    const started = Date.now();
    await stack.deliver("pull_request", openedPayload(pull));
    await stack.github.waitFor(() => completed(stack, pull).length === 1, 60000, "the hostile review to complete");
    const elapsed = Date.now() - started;

    const [run] = completed(stack, pull);
    const summary = run!.output!.summary!;
    // The review finished (no "could not finish" reason) and src/server.ts was still reviewed.
    expect([run!.conclusion, /\*\*Reason:\*\* .*/.exec(summary)?.[0]]).toEqual(["failure", undefined]);
    expect(run!.output!.title).toMatch(/^\d+ findings on changed lines \(worst: critical\)$/);
    expect(summary).toContain("`src/deep.ts`: could not be parsed (nested too deeply to analyze)");
    expect(summary).toContain("- too large: 1");
    expect(summary).toMatch(/- binary or not UTF-8: 2\b/);
    expect(summary).toContain("- no rules for this file type: 1");
    expect(summary).toMatch(/- over the file limit: \d+/);
    expect(summary).toContain("`src/huge.ts`: too large");
    expect(elapsed).toBeLessThan(60000);
    // GitHub listed 3,000 files; of the 1,000 within max_files, added files came whole in their
    // patches, so only those without one (too large for a patch, binary) were read: in one GraphQL
    // query, which tells sizes and binaries, and the file GraphQL would hand back repaired (not
    // UTF-8) once more through the contents API.
    const fileReads = stack.github.requests.filter((r) => r.path.includes("/contents/") && !r.path.endsWith("mcp-review.yml"));
    expect(fileReads.map((r) => decodeURIComponent(r.path.replace(/^.*\/contents\//, ""))).sort()).toEqual(["src/latin1.js"]);
    expect(stack.github.requests.filter((r) => r.path === "/graphql").length).toBe(1);
  });

  it("refuses a webhook with a bad signature and creates nothing", async () => {
    const pull = pullRequest(6);
    stack.github.addPullRequest(pull);
    const status = await stack.deliver("pull_request", openedPayload(pull), { signature: `sha256=${"f".repeat(64)}` });
    expect(status).toBe(400);
    await new Promise((r) => setTimeout(r, 200));
    expect(stack.github.checkRuns.size).toBe(0);
  });

  it("absorbs a burst of 200 deliveries and reviews every pull request exactly once", async () => {
    const pulls = Array.from({ length: 150 }, (_, i) => pullRequest(100 + i));
    for (const p of pulls) stack.github.addPullRequest(p);
    const deliveries = [
      ...pulls.map((p) => openedPayload(p)),
      ...pulls.slice(0, 50).map((p) => openedPayload(p, "synchronize")), // GitHub redelivers, or a second event for the same head
    ];
    const statuses = await Promise.all(deliveries.map((d) => stack.deliver("pull_request", d)));
    // 200, or 202 when a handler outlasts the webhook timeout under the burst: both are accepted.
    expect(statuses.filter((s) => s !== 200 && s !== 202)).toEqual([]);

    // Every pull request has its check run, and all are completed: a pull request whose delivery
    // is still in flight (answered 202) has none yet, which must not count as done.
    await stack.github.waitFor(
      () => pulls.every((p) => stack.github.checkRunsFor(p.headSha).length > 0 && stack.github.checkRunsFor(p.headSha).every((c) => c.status === "completed")),
      90000,
      "every check run to complete",
    );
    // Then GitHub hears nothing more for a while: a late duplicate would have shown by now.
    await quiet(stack, 1000);
    // One check run per pull request: the repeated deliveries for a head already claimed create none.
    for (const p of pulls) expect(stack.github.checkRunsFor(p.headSha).map((c) => c.conclusion)).toEqual(["failure"]);
    expect(stack.github.reviews).toHaveLength(150);
    expect(stack.github.comments.size).toBe(150 * SERVER_FINDINGS);
  }, 120000);
});

/** Resolves once the fake GitHub has had no request for `ms`. */
async function quiet(stack: { github: { requests: Array<{ at: number }> } }, ms: number): Promise<void> {
  for (;;) {
    const last = stack.github.requests.at(-1)?.at ?? 0;
    const idle = Date.now() - last;
    if (idle >= ms) return;
    await new Promise((resolve) => setTimeout(resolve, ms - idle));
  }
}
