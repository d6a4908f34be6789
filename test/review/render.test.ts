import { DEFAULT_CONFIG, type RepoConfig } from "../../src/config/repo-config.js";
import type { Finding } from "../../src/engine/types.js";
import { conclusionFor, fingerprintOf, commentBody, placeFindings, summaryFor, titleFor } from "../../src/review/render.js";
import { planComments, type ExistingComment } from "../../src/review/publish.js";

function finding(overrides: Partial<Finding>): Finding {
  return {
    ruleId: "command-injection",
    title: "Command injection",
    severity: "high",
    confidence: "high",
    cwe: "CWE-78",
    path: "src/a.ts",
    line: 10,
    endLine: 10,
    column: 3,
    message: "Tool input `cmd` reaches exec().",
    remediation: "Use `execFile('ls', ['--', dir])`.",
    fingerprint: "fp-a",
    context: "production",
    ...overrides,
  };
}

const diff = new Map([["src/a.ts", { added: new Set([10, 11, 20]), commentable: new Set([9, 10, 11, 20]) }]]);

describe("placeFindings and conclusionFor", () => {
  it("fails only for a finding at or above fail_on on a changed line", () => {
    const placed = placeFindings(
      [finding({}), finding({ line: 30, endLine: 30, fingerprint: "b" }), finding({ path: "src/b.ts", fingerprint: "c" })],
      diff,
    );
    expect(placed.map((p) => p.changedLine)).toEqual([10, undefined, undefined]);
    const failOn = (fail_on: RepoConfig["fail_on"]) => ({ ...DEFAULT_CONFIG, fail_on });
    expect(conclusionFor(placed, failOn("high"))).toBe("failure");
    expect(conclusionFor(placed, failOn("critical"))).toBe("neutral");
    expect(conclusionFor(placed, failOn("none"))).toBe("neutral");
    expect(conclusionFor(placed.slice(1), failOn("info"))).toBe("success");
  });

  it("counts test and generated code's findings only where the config says so, and a verifiable credential everywhere", () => {
    const at = (context: Finding["context"], extra: Partial<Finding> = {}) => placeFindings([finding({ context, ...extra })], diff);
    expect(conclusionFor(at("test"), DEFAULT_CONFIG)).toBe("neutral");
    expect(conclusionFor(at("example"), DEFAULT_CONFIG)).toBe("neutral");
    expect(conclusionFor(at("generated"), DEFAULT_CONFIG)).toBe("neutral");
    expect(conclusionFor(at("test", { countsEverywhere: true }), DEFAULT_CONFIG)).toBe("failure");
    expect(conclusionFor(at("example"), { ...DEFAULT_CONFIG, contexts: { ...DEFAULT_CONFIG.contexts, example: "production" } })).toBe("failure");
    expect(titleFor(at("test"), "neutral", DEFAULT_CONFIG)).toBe("No findings in production code on changed lines (1 in test, example or generated code)");
  });

  it("places a multi-line finding on its first changed line", () => {
    const [placed] = placeFindings([finding({ line: 18, endLine: 21 })], diff);
    expect(placed!.changedLine).toBe(20);
  });

  it("titles the result by what is on changed lines", () => {
    const placed = placeFindings([finding({}), finding({ severity: "medium", line: 11, endLine: 11, fingerprint: "m" })], diff);
    expect(titleFor(placed, "failure", DEFAULT_CONFIG)).toBe("2 findings on changed lines (worst: high)");
    expect(titleFor([], "success", DEFAULT_CONFIG)).toBe("No MCP security findings on changed lines");
  });
});

describe("commentBody", () => {
  it("says what, why and how, and hides a fingerprint that can be read back", () => {
    const body = commentBody(finding({}), { description: "Shell metacharacters run commands." });
    expect(body).toContain("Tool input `cmd` reaches exec().");
    expect(body).toContain("**Why it matters:** Shell metacharacters run commands.");
    expect(body).toContain("**How to fix:**\n\nUse `execFile('ls', ['--', dir])`.");
    expect(body).toContain("[CWE-78](https://cwe.mitre.org/data/definitions/78.html)");
    expect(fingerprintOf(body)).toBe("fp-a");
  });
});

describe("planComments", () => {
  const candidate = (fingerprint: string, path = "src/a.ts") => ({ fingerprint, path, line: 10, body: `x <!-- mcp-review:fingerprint=${fingerprint} -->` });
  const existing = (fingerprint: string, path = "src/a.ts", fixed = false): ExistingComment => ({ id: fingerprint.length, fingerprint, path, body: "b", fixed });

  it("posts only what is not commented yet, and marks gone findings fixed where the file was seen", () => {
    const plan = planComments(
      [candidate("new"), candidate("old")],
      new Set(["new", "old"]),
      [existing("old"), existing("gone"), existing("unseen", "src/too-big.ts")],
      (path) => path === "src/a.ts",
      DEFAULT_CONFIG,
    );
    expect(plan.toPost.map((c) => c.fingerprint)).toEqual(["new"]);
    expect(plan.alreadyPosted).toBe(1);
    expect(plan.toMarkFixed.map((c) => c.fingerprint)).toEqual(["gone"]);
  });

  it("comments again on a finding that came back after it was marked fixed", () => {
    const plan = planComments([candidate("back")], new Set(["back"]), [existing("back", "src/a.ts", true)], () => true, DEFAULT_CONFIG);
    expect(plan.toPost).toHaveLength(1);
    expect(plan.toMarkFixed).toEqual([]);
  });

  it("respects max_comments and the annotations-only mode", () => {
    const many = [candidate("1"), candidate("2"), candidate("3")];
    const limited = planComments(many, new Set(), [], () => true, { ...DEFAULT_CONFIG, max_comments: 2 });
    expect(limited.toPost).toHaveLength(2);
    expect(limited.overLimit).toBe(1);
    const none = planComments(many, new Set(), [], () => true, { ...DEFAULT_CONFIG, comments: "annotations" });
    expect(none.toPost).toHaveLength(0);
  });
});

describe("summaryFor", () => {
  it("lists config problems, skipped files by reason and comment counts", () => {
    const summary = summaryFor({
      placed: placeFindings([finding({})], diff),
      config: DEFAULT_CONFIG,
      configErrors: ["unknown key `x`"],
      skipped: [
        { path: "big.ts", reason: "too-large", detail: "600 KB is over max_file_size_kb (512)" },
        { path: "img.png", reason: "unsupported" },
        { path: "vendor/lib.ts", reason: "vendored", detail: "in a folder of vendored code" },
        { path: "web/app.min.js", reason: "minified", detail: "a minified bundle" },
      ],
      ruleErrors: [{ ruleId: "tool-poisoning", path: "src/a.ts", message: "boom" }],
      filesAnalyzed: 3,
      headSha: "0123456789abcdef",
      comments: { posted: 1, alreadyPosted: 0, markedFixed: 0, overLimit: 0, rejected: 0 },
      annotationsDropped: 0,
    });
    expect(summary).toContain("Reviewed 3 files at 0123456.");
    expect(summary).toContain("- unknown key `x`");
    expect(summary).toContain("- too large: 1");
    expect(summary).toContain("- `big.ts`: too large (600 KB is over max_file_size_kb (512))");
    expect(summary).toContain("- `img.png`: no rules for this file type");
    expect(summary).toContain("- vendored code or build output, not written in the repository: 1");
    expect(summary).toContain("- a minified bundle: 1");
    expect(summary).toContain("- 1 new inline comment");
    expect(summary).toContain("`tool-poisoning` on `src/a.ts`: boom");
  });

  it("names the first 20 skipped files, those a reader can act on first, and counts the rest", () => {
    const skipped = [
      ...Array.from({ length: 30 }, (_, i) => ({ path: `lib/m${i}.ts`, reason: "limit" as const, detail: "over max_files (1000)" })),
      { path: "src/broken.ts", reason: "parse-error" as const, detail: "line 2: ')' expected" },
    ];
    const summary = summaryFor({
      placed: [],
      config: DEFAULT_CONFIG,
      configErrors: [],
      skipped,
      ruleErrors: [],
      filesAnalyzed: 3,
      headSha: "0123456789abcdef",
      comments: { posted: 0, alreadyPosted: 0, markedFixed: 0, overLimit: 0, rejected: 0 },
      annotationsDropped: 0,
    });
    const named = summary.split("\n").filter((l) => l.startsWith("- `"));
    expect(named).toHaveLength(20);
    expect(named[0]).toBe("- `src/broken.ts`: could not be parsed (line 2: ')' expected)");
    expect(summary).toContain("- over the file limit: 30");
    expect(summary).toContain("- …and 11 more");
  });
});
