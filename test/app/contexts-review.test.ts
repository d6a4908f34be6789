import { readFileSync } from "node:fs";
import { BASE, HEAD, PULL, emptyCapture, mockReview } from "../support/pull-request-fixture.js";
import { addedPatch, createTestApp, mockInstallationToken, pullRequestPayload, type TestApp } from "../support/test-app.js";

const fixture = (path: string) => readFileSync(new URL(`../fixtures/contexts/${path}`, import.meta.url), "utf8");
const FILES: Record<string, string> = {
  "src/server.ts": fixture("src/server.ts"),
  "test/server.spec.ts": fixture("test/server.spec.ts"),
  "examples/quickstart/server.ts": fixture("examples/quickstart/server.ts"),
  "gen/server.ts": fixture("gen/server.ts"),
};

/** A pull request adding the same command injection in production, test, example and generated code. */
function mockFour(captured: ReturnType<typeof emptyCapture>, paths: string[], config?: string) {
  const list = paths.map((filename) => ({ filename, status: "added", additions: 9, deletions: 0, changes: 9, patch: addedPatch(FILES[filename]!) }));
  const head = Object.fromEntries(paths.map((p) => [p, FILES[p]!]));
  return mockReview(captured, { files: { list, head, base: {} }, config, expectReview: paths.some((p) => !p.startsWith("test/") && !p.startsWith("gen/")) || config !== undefined });
}

describe("findings by where their code sits", () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await createTestApp();
  });
  afterEach(async () => {
    await app.close();
  });

  it("fails for production code, comments examples without failing, and lists test and generated code", async () => {
    const captured = emptyCapture();
    mockInstallationToken();
    const scope = mockFour(captured, Object.keys(FILES));
    await app.deliver("pull_request", pullRequestPayload("opened", { number: PULL, head: HEAD, base: BASE }));
    await app.queue.drain();

    expect(app.unmatched).toEqual([]);
    scope.done();
    const completed = captured.checkUpdates[1];
    expect(completed.conclusion).toBe("failure");
    expect(completed.output.title).toBe("1 finding on changed lines (worst: critical)");
    // Inline comments and annotations: production and the example; tests and generated code are only listed.
    expect(captured.reviews[0].comments.map((c: any) => c.path).sort()).toEqual(["examples/quickstart/server.ts", "src/server.ts"]);
    expect(completed.output.annotations.map((a: any) => a.path).sort()).toEqual(["examples/quickstart/server.ts", "src/server.ts"]);
    const summary: string = completed.output.summary;
    expect(summary).toContain("| 🔴 critical | 1 | 3 | 0 |");
    expect(summary).toContain("**In test, example and generated code, on changed lines (not counted against this pull request:");
    expect(summary).toContain("- 🔴 `test/server.spec.ts:8` [test] Tool input reaches a shell command");
    expect(summary).toContain("- 🔴 `gen/server.ts:9` [generated]");
    expect(summary).toContain("- 🔴 `examples/quickstart/server.ts:8` [example]");
  });

  it("never fails a pull request for test code alone, and says why", async () => {
    const captured = emptyCapture();
    mockInstallationToken();
    const scope = mockFour(captured, ["test/server.spec.ts"]);
    await app.deliver("pull_request", pullRequestPayload("opened", { number: PULL, head: HEAD, base: BASE }));
    await app.queue.drain();

    expect(app.unmatched).toEqual([]);
    scope.done();
    const completed = captured.checkUpdates[1];
    expect(completed.conclusion).toBe("neutral");
    expect(completed.output.title).toBe("No findings in production code on changed lines (1 in test, example or generated code)");
    expect(completed.output.annotations).toEqual([]);
    expect(captured.reviews).toEqual([]);
  });

  it("counts test and example code like production where the config says so", async () => {
    const captured = emptyCapture();
    mockInstallationToken();
    const scope = mockFour(captured, ["test/server.spec.ts", "examples/quickstart/server.ts"], "contexts: { test: production, example: production }\n");
    await app.deliver("pull_request", pullRequestPayload("opened", { number: PULL, head: HEAD, base: BASE }));
    await app.queue.drain();

    expect(app.unmatched).toEqual([]);
    scope.done();
    const completed = captured.checkUpdates[1];
    expect(completed.conclusion).toBe("failure");
    expect(completed.output.title).toBe("2 findings on changed lines (worst: critical)");
    expect(captured.reviews[0].comments).toHaveLength(2);
  });

  it("reads a path as production code when the config's globs say so", async () => {
    const captured = emptyCapture();
    mockInstallationToken();
    const scope = mockFour(captured, ["test/server.spec.ts"], "paths: { production: ['test/server.spec.ts'] }\n");
    await app.deliver("pull_request", pullRequestPayload("opened", { number: PULL, head: HEAD, base: BASE }));
    await app.queue.drain();

    expect(app.unmatched).toEqual([]);
    scope.done();
    expect(captured.checkUpdates[1].conclusion).toBe("failure");
  });
});
