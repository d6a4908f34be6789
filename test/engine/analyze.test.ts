import type { Node } from "ts-morph";
import { SyntaxKind } from "ts-morph";
import { analyze, analyzeWith } from "../../src/engine/analyze.js";
import { isAnalyzable, listRules } from "../../src/engine/index.js";
import type { Rule } from "../../src/engine/rule.js";
import { RULES as registry } from "../../rules/index.js";

const VULNERABLE = `import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { exec } from "node:child_process";
import { z } from "zod";

const server = new McpServer({ name: "demo", version: "1.0.0" });

server.tool("git_log", { branch: z.string() }, async ({ branch }) => {
  exec(\`git log \${branch}\`);
  return { content: [] };
});
`;

const fingerprintsOf = (content: string, path = "src/server.ts") => analyze([{ path, content }]).findings.map((f) => f.fingerprint);

describe("analyze", () => {
  it("reports tool input reaching a shell with location, metadata and a code-specific remediation", () => {
    const { findings, skipped, errors, stats } = analyze([{ path: "src/server.ts", content: VULNERABLE }]);
    expect(skipped).toEqual([]);
    expect(errors).toEqual([]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      ruleId: "command-injection",
      title: "Tool input reaches a shell command",
      severity: "critical",
      confidence: "high",
      cwe: "CWE-78",
      path: "src/server.ts",
      line: 8,
      endLine: 8,
      column: 3,
    });
    expect(findings[0]!.fingerprint).toMatch(/^[0-9a-f]{20}$/);
    expect(findings[0]!.remediation).toContain("execFile('git', ['log', '--end-of-options', branch])");
    expect(stats).toMatchObject({ filesAnalyzed: 1, linesAnalyzed: 11 });
  });

  it("keeps a fingerprint when unrelated lines are added above, and changes it when the flagged code changes", () => {
    const [before] = fingerprintsOf(VULNERABLE);
    const shifted = VULNERABLE.replace('import { z } from "zod";', 'import { z } from "zod";\n// a comment\nconst unrelated = 42;\n\n');
    const [after] = fingerprintsOf(shifted);
    const changed = fingerprintsOf(VULNERABLE.replace("exec(`git log ${branch}`)", "exec(`git show ${branch}`)"));
    const otherFile = fingerprintsOf(VULNERABLE, "src/other.ts");
    expect(analyze([{ path: "a.ts", content: shifted }]).findings[0]!.line).toBe(12);
    expect(after).toBe(before);
    expect(changed[0]).not.toBe(before);
    expect(otherFile[0]).not.toBe(before);
  });

  it("gives identical code at two places two different fingerprints", () => {
    const twice = VULNERABLE.replace("  exec(`git log ${branch}`);", "  exec(`git log ${branch}`);\n  exec(`git log ${branch}`);");
    const prints = fingerprintsOf(twice);
    expect(prints).toHaveLength(2);
    expect(new Set(prints).size).toBe(2);
    expect(prints[0]).toBe(fingerprintsOf(VULNERABLE)[0]);
  });

  it("skips a file with syntax errors with the first error's line, and still analyzes the others", () => {
    const broken = VULNERABLE.replace("return { content: [] };", "return { content: [ };");
    const result = analyze([
      { path: "broken.ts", content: broken },
      { path: "ok.ts", content: VULNERABLE },
    ]);
    expect(result.skipped).toEqual([{ path: "broken.ts", reason: "parse-error", detail: expect.stringMatching(/^line 9: .+/) }]);
    expect(result.findings.map((f) => f.path)).toEqual(["ok.ts"]);
  });

  it("skips files it cannot read as unsupported", () => {
    const result = analyze([{ path: "server.rb", content: "system(gets)\n" }, { path: "types.d.ts", content: "export type X = 1;" }]);
    expect(result.skipped.map((s) => [s.path, s.reason])).toEqual([
      ["server.rb", "unsupported"],
      ["types.d.ts", "unsupported"],
    ]);
  });

  it("reports a rule that throws in errors while the other rules still report", () => {
    const throwing: Rule = {
      meta: { ...listRules()[0]!, id: "always-throws", mentions: undefined },
      check() {
        throw new Error("boom");
      },
    };
    const commandInjection = analyzeWithRulesNamed(["command-injection"]);
    const result = analyzeWith([throwing, ...commandInjection], [{ path: "src/server.ts", content: VULNERABLE }]);
    expect(result.errors).toEqual([{ ruleId: "always-throws", path: "src/server.ts", message: "boom" }]);
    expect(result.findings.map((f) => f.ruleId)).toEqual(["command-injection"]);
  });

  it("turns rules off and re-grades their findings from the config", () => {
    expect(analyze([{ path: "s.ts", content: VULNERABLE }], { rules: { "command-injection": "off" } }).findings).toEqual([]);
    const regraded = analyze([{ path: "s.ts", content: VULNERABLE }], { rules: { "command-injection": "low" } }).findings;
    expect(regraded.map((f) => f.severity)).toEqual(["low"]);
  });

  it("sorts findings by path, line, column and rule id", () => {
    const reporter = (id: string, pick: (nodes: Node[]) => Node[]): Rule => ({
      meta: { ...listRules()[0]!, id, mentions: undefined },
      check(ctx) {
        for (const node of pick(ctx.sourceFile.getDescendantsOfKind(SyntaxKind.CallExpression))) ctx.report({ node, message: id, remediation: "-" });
      },
    });
    const content = "f(1); g(2);\nh(3);\n";
    const result = analyzeWith(
      [reporter("z-last", (n) => n.reverse()), reporter("a-first", (n) => n.slice(0, 1))],
      [
        { path: "b.ts", content },
        { path: "a.ts", content },
      ],
    );
    expect(result.findings.map((f) => `${f.path}:${f.line}:${f.column}:${f.ruleId}`)).toEqual([
      "a.ts:1:1:a-first",
      "a.ts:1:1:z-last",
      "a.ts:1:7:z-last",
      "a.ts:2:1:z-last",
      "b.ts:1:1:a-first",
      "b.ts:1:1:z-last",
      "b.ts:1:7:z-last",
      "b.ts:2:1:z-last",
    ]);
  });
});

describe("isAnalyzable", () => {
  it.each([
    ["src/server.ts", true],
    ["src/App.tsx", true],
    ["lib/index.mjs", true],
    ["lib/index.cjs", true],
    ["a/b.mts", true],
    ["a/b.jsx", true],
    ["types/index.d.ts", false],
    ["README.md", false],
    ["server.py", true],
    ["typings/server.pyi", false],
    ["Makefile", false],
    ["dir.ts/file", false],
  ])("%s → %s", (path, expected) => {
    expect(isAnalyzable(path)).toBe(expected);
  });
});

function analyzeWithRulesNamed(ids: string[]): Rule[] {
  return ids.map((id) => {
    const found = registry.find((r) => r.meta.id === id);
    if (!found) throw new Error(`no rule ${id}`);
    return found;
  });
}

describe("code that crashes the parser", () => {
  it("skips a file nested thousands deep instead of failing the analysis", () => {
    const deep = `import { exec } from "node:child_process";\nexport const deep = ${"[".repeat(20000)}1${"]".repeat(20000)};\n`;
    const fine = `import { exec } from "node:child_process";\nimport { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";\nconst server = new McpServer({ name: "x", version: "1" });\nserver.tool("run", async ({ cmd }) => { exec(cmd); return { content: [] }; });\n`;
    const result = analyze([
      { path: "src/deep.ts", content: deep },
      { path: "src/fine.ts", content: fine },
    ]);
    expect(result.skipped).toEqual([{ path: "src/deep.ts", reason: "parse-error", detail: "nested too deeply to analyze" }]);
    expect(result.findings.map((f) => [f.path, f.ruleId])).toEqual([["src/fine.ts", "command-injection"]]);
  });
});

describe("rule timings", () => {
  it("reports the time spent in each rule that ran, and only those", () => {
    const server = `import { exec } from "node:child_process";\nimport { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";\nconst server = new McpServer({ name: "x", version: "1" });\nserver.tool("run", async ({ cmd }) => { exec(cmd); return { content: [] }; });\n`;
    const { stats } = analyze([{ path: "src/server.ts", content: server }], { rules: { "tool-poisoning": "off" } });
    expect(Object.keys(stats.ruleMs ?? {})).toContain("command-injection");
    expect(Object.keys(stats.ruleMs ?? {})).not.toContain("tool-poisoning");
    expect(Object.values(stats.ruleMs ?? {}).every((ms) => ms >= 0)).toBe(true);
  });
});
