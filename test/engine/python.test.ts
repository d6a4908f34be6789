import { analyze, analyzeWith } from "../../src/engine/analyze.js";
import { isAnalyzable } from "../../src/engine/index.js";
import { languageOf } from "../../src/engine/language.js";
import type { Rule } from "../../src/engine/rule.js";
import { parsePython } from "../../src/engine/python/parser.js";

const PY_SERVER = `from mcp.server.fastmcp import FastMCP
import subprocess

mcp = FastMCP("demo")


@mcp.tool()
def git_log(branch: str) -> str:
    """Show the log of a branch."""
    return subprocess.check_output(f"git log {branch}", shell=True, text=True)
`;

const TS_SERVER = `import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { exec } from "node:child_process";
import { z } from "zod";

const server = new McpServer({ name: "demo", version: "1.0.0" });

server.tool("git_log", { branch: z.string() }, async ({ branch }) => {
  exec(\`git log \${branch}\`);
  return { content: [] };
});
`;

describe("Python in the engine", () => {
  it("reads .py files and no stubs", () => {
    expect(languageOf("server/main.py")).toBe("python");
    expect(isAnalyzable("src/tools.py")).toBe(true);
    expect(isAnalyzable("typings/mcp.pyi")).toBe(false);
  });

  it("loads the wasm grammar at import, so parsing is synchronous", () => {
    const tree = parsePython("def f(x):\n    return x\n");
    try {
      expect(tree.rootNode.type).toBe("module");
      expect(tree.rootNode.namedChildren[0]?.type).toBe("function_definition");
    } finally {
      tree.delete();
    }
  });

  it("reports a Python finding with the same identity as the TypeScript one, located in the Python code", () => {
    const { findings, skipped, errors } = analyze([
      { path: "py/server.py", content: PY_SERVER },
      { path: "ts/server.ts", content: TS_SERVER },
    ]);
    expect(skipped).toEqual([]);
    expect(errors).toEqual([]);
    const py = findings.find((f) => f.path === "py/server.py")!;
    const ts = findings.find((f) => f.path === "ts/server.ts")!;
    expect(py).toMatchObject({ ruleId: ts.ruleId, title: ts.title, cwe: ts.cwe, severity: ts.severity, confidence: ts.confidence, line: 10, endLine: 10, column: 12 });
    expect(py.message).toContain("Tool `git_log`");
    expect(py.remediation).toContain("subprocess.check_output(['git', 'log', '--end-of-options', branch], text=True)");
    expect(py.fingerprint).toMatch(/^[0-9a-f]{20}$/);
  });

  it("keeps a Python fingerprint when unrelated lines are added above", () => {
    const before = analyze([{ path: "server.py", content: PY_SERVER }]).findings.map((f) => f.fingerprint);
    const after = analyze([{ path: "server.py", content: `# A header comment.\nimport os\n\n${PY_SERVER}` }]).findings.map((f) => f.fingerprint);
    expect(before).toHaveLength(1);
    expect(after).toEqual(before);
  });

  it("skips a Python file with a syntax error as parse-error, naming the line", () => {
    const broken = PY_SERVER.replace("def git_log(branch: str) -> str:", "def git_log(branch: str -> str:");
    const { findings, skipped, stats } = analyze([{ path: "broken.py", content: broken }]);
    expect(findings).toEqual([]);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ path: "broken.py", reason: "parse-error" });
    expect(skipped[0]!.detail).toBe('line 8: invalid syntax near "str -> str"');
    expect(stats.filesAnalyzed).toBe(0);
  });

  it("does not parse Python files that no rule's mentionsPython matches, but counts them", () => {
    const seen: string[] = [];
    const probe: Rule = {
      meta: { id: "probe", title: "A probe rule for the test", severity: "low", cwe: "CWE-1", confidence: "low", languages: ["python"], references: ["https://example.com"], description: "Records which files it is run on.", mentionsPython: /subprocess/ },
      checkPython: (ctx) => void seen.push(`${ctx.path}:${ctx.module.root.type}`),
    };
    const result = analyzeWith([probe], [
      { path: "a.py", content: PY_SERVER },
      { path: "b.py", content: "def f(:\n" },
    ]);
    expect(seen).toEqual(["a.py:module"]);
    expect(result.skipped).toEqual([]);
    expect(result.stats).toMatchObject({ filesAnalyzed: 2, linesAnalyzed: PY_SERVER.split("\n").length + 2 });
  });

  it("reports a Python check that throws as a rule error and keeps going", () => {
    const crashing: Rule = {
      meta: { id: "crash", title: "A rule that always throws", severity: "low", cwe: "CWE-1", confidence: "low", languages: ["python"], references: ["https://example.com"], description: "Throws on every file it sees." },
      checkPython: () => {
        throw new Error("boom");
      },
    };
    const result = analyzeWith([crashing], [{ path: "a.py", content: PY_SERVER }, { path: "b.py", content: PY_SERVER }]);
    expect(result.errors).toEqual([
      { ruleId: "crash", path: "a.py", message: "boom" },
      { ruleId: "crash", path: "b.py", message: "boom" },
    ]);
  });

  it("follows tool input into a relatively imported module only when the importing server is part of the analysis", () => {
    const helper = { path: "pkg/helpers.py", content: 'import os\n\ndef run(cmd):\n    return os.popen("sh -c " + cmd).read()\n' };
    const server = {
      path: "pkg/server.py",
      content: 'from mcp.server.fastmcp import FastMCP\nfrom .helpers import run\n\nmcp = FastMCP("x")\n\n@mcp.tool()\ndef shell(cmd: str) -> str:\n    return run(cmd)\n',
    };
    expect(analyze([helper]).findings).toEqual([]);
    const both = analyze([server, helper]).findings;
    expect(both.map((f) => [f.ruleId, f.path, f.line])).toEqual([["command-injection", "pkg/helpers.py", 4]]);
    expect(both[0]!.message).toContain("Tool `shell`");
  });

  it("re-grades and switches off Python findings by rule id, like TypeScript ones", () => {
    expect(analyze([{ path: "s.py", content: PY_SERVER }], { rules: { "command-injection": "medium" } }).findings.map((f) => f.severity)).toEqual(["medium"]);
    expect(analyze([{ path: "s.py", content: PY_SERVER }], { rules: { "command-injection": "off" } }).findings).toEqual([]);
  });
});
