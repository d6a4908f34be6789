import { HEAD, BASE, PULL, emptyCapture, mockReview } from "../support/pull-request-fixture.js";
import { createTestApp, mockInstallationToken, pullRequestPayload, type TestApp } from "../support/test-app.js";

/** A shell helper that has been on the base branch all along: `logOf(ref)` runs `git log <ref>` through a shell. */
const HELPER = `import { execSync } from "node:child_process";

function runGit(command: string): string {
  return execSync(command, { encoding: "utf8" });
}

export function logOf(ref: string): string {
  return runGit(\`git log \${ref}\`);
}
`;

/** The same helper, safe: an argv array and no shell. */
const SAFE_HELPER = HELPER.replace('import { execSync } from "node:child_process";', 'import { execFileSync } from "node:child_process";')
  .replace("function runGit(command: string): string {\n  return execSync(command, { encoding: \"utf8\" });", "function runGit(args: string[]): string {\n  return execFileSync(\"git\", args, { encoding: \"utf8\" });")
  .replace("return runGit(`git log ${ref}`);", 'return runGit(["log", "--end-of-options", ref]);');

const SERVER_BEFORE = `import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { logOf } from "./git.js";

const server = new McpServer({ name: "git", version: "1.0.0" });

server.tool("git_log", { branch: z.string() }, async ({ branch }) => ({
  content: [{ type: "text", text: "main" }],
}));
`;

/** The pull request's handler: it now hands the branch to the old helper (line 8). */
const SERVER_AFTER = SERVER_BEFORE.replace('text: "main"', "text: logOf(branch)");

/** The smallest patch for a change confined to consecutive lines, with three lines of context. */
function patchOf(before: string, after: string): string {
  const a = before.replace(/\n$/, "").split("\n");
  const b = after.replace(/\n$/, "").split("\n");
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
  const from = Math.max(0, start - 3);
  const oldTo = Math.min(a.length, a.length - end + 3);
  const newTo = Math.min(b.length, b.length - end + 3);
  const lines = [
    ...a.slice(from, start).map((l) => ` ${l}`),
    ...a.slice(start, a.length - end).map((l) => `-${l}`),
    ...b.slice(start, b.length - end).map((l) => `+${l}`),
    ...a.slice(a.length - end, oldTo).map((l) => ` ${l}`),
  ];
  return `@@ -${from + 1},${oldTo - from} +${from + 1},${newTo - from} @@\n${lines.join("\n")}`;
}

function modified(path: string, before: string, after: string) {
  return { filename: path, status: "modified", additions: 1, deletions: 1, changes: 2, patch: patchOf(before, after) };
}

describe("a pull request whose flow crosses files it does not change", () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await createTestApp();
  });
  afterEach(async () => {
    await app.close();
  });

  it("flags a changed call into an unchanged dangerous helper on the line it changes", async () => {
    const captured = emptyCapture();
    mockInstallationToken();
    const scope = mockReview(captured, {
      files: { list: [modified("src/server.ts", SERVER_BEFORE, SERVER_AFTER)], head: { "src/server.ts": SERVER_AFTER }, base: {} },
      unchanged: { "src/git.ts": HELPER, "docs/notes.ts": "export const unrelated = 1;\n" },
    });

    await app.deliver("pull_request", pullRequestPayload("opened", { number: PULL, head: HEAD, base: BASE }));
    await app.queue.drain();

    expect(app.unmatched).toEqual([]);
    scope.done();
    const completed = captured.checkUpdates[1];
    expect(completed.conclusion).toBe("failure");
    expect(completed.output.title).toBe("1 finding on changed lines (worst: critical)");
    // The sink is in the unchanged helper; the pull request made the call on server.ts:8.
    expect(completed.output.annotations.map((a: any) => [a.path, a.start_line])).toEqual([["src/server.ts", 8]]);
    expect(completed.output.annotations[0].message).toMatch(/^This line carries input to `src\/git\.ts:4`\./);
    expect(completed.output.summary).toContain("`src/git.ts:4` (brought by `src/server.ts:8`) Tool input reaches a shell command");
    expect(completed.output.summary).toContain("Tool input was followed through 1 unchanged file");

    const [comment] = captured.reviews[0].comments;
    expect([comment.path, comment.line]).toEqual(["src/server.ts", 8]);
    expect(comment.body).toContain(
      [
        "**How input gets here:**",
        "1. `src/server.ts:7` Tool `git_log` input enters the handler as `{ branch }`",
        "2. `src/server.ts:8` passed on by `logOf(branch)`",
        "3. `src/git.ts:8` passed on by `` runGit(`git log ${ref}`) ``",
        "4. `src/git.ts:4` reaches `command` in `execSync(command, { encoding: \"utf8\" })`",
      ].join("\n"),
    );
  });

  it("flags a changed helper that an unchanged handler feeds, in the helper", async () => {
    const captured = emptyCapture();
    mockInstallationToken();
    const scope = mockReview(captured, {
      files: { list: [modified("src/git.ts", SAFE_HELPER, HELPER)], head: { "src/git.ts": HELPER }, base: {} },
      unchanged: { "src/server.ts": SERVER_AFTER },
    });

    await app.deliver("pull_request", pullRequestPayload("opened", { number: PULL, head: HEAD, base: BASE }));
    await app.queue.drain();

    expect(app.unmatched).toEqual([]);
    scope.done();
    const completed = captured.checkUpdates[1];
    expect(completed.conclusion).toBe("failure");
    expect(completed.output.annotations.map((a: any) => [a.path, a.start_line])).toEqual([["src/git.ts", 4]]);
    const [comment] = captured.reviews[0].comments;
    expect([comment.path, comment.line]).toEqual(["src/git.ts", 4]);
    expect(comment.body).toContain("1. `src/server.ts:7` Tool `git_log` input enters the handler as `{ branch }`");
  });

  it("counts nothing against a pull request that leaves the flow as the base branch had it", async () => {
    const captured = emptyCapture();
    mockInstallationToken();
    // Only a comment line of the handler changes; the old call to the old helper stays.
    const after = SERVER_AFTER.replace('import { z } from "zod";', 'import { z } from "zod"; // schemas');
    const scope = mockReview(captured, {
      files: { list: [modified("src/server.ts", SERVER_AFTER, after)], head: { "src/server.ts": after }, base: {} },
      unchanged: { "src/git.ts": HELPER },
      expectReview: false,
    });

    await app.deliver("pull_request", pullRequestPayload("opened", { number: PULL, head: HEAD, base: BASE }));
    await app.queue.drain();

    expect(app.unmatched).toEqual([]);
    scope.done();
    const completed = captured.checkUpdates[1];
    expect(completed.conclusion).toBe("success");
    expect(completed.output.summary).not.toContain("src/git.ts:4");
  });
});
