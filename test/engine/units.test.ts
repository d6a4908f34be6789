import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, posix, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { analyze } from "../../src/engine/analyze.js";
import { analyzeUnits } from "../../src/engine/analyze-units.js";
import { isAnalyzable } from "../../src/engine/language.js";
import type { AnalysisResult, AnalyzeOptions, SourceInput } from "../../src/engine/types.js";
import { factsOf, planUnits } from "../../src/engine/units.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
/** `x.before.ts` is the base version of `x.ts` (rules that judge a change), as the fixture test reads it. */
const BASE_VERSION = /\.before(\.[^./]+)$/;

function treeOf(...dirs: string[]): SourceInput[] {
  const out: SourceInput[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (!BASE_VERSION.test(name) && isAnalyzable(name)) {
        const base = full.replace(/(\.[^./]+)$/, ".before$1");
        out.push({ path: relative(ROOT, full).split("\\").join("/"), content: readFileSync(full, "utf8"), ...(existsSync(base) ? { base: readFileSync(base, "utf8") } : {}) });
      }
    }
  };
  for (const dir of dirs) walk(join(ROOT, dir));
  return out;
}

const FIXTURES = treeOf(...readdirSync(join(ROOT, "rules")).filter((r) => existsSync(join(ROOT, "rules", r, "fixtures"))).map((r) => `rules/${r}/fixtures`), "test/fixtures");

function comparable(result: AnalysisResult) {
  const byPath = <T extends { path: string }>(list: readonly T[]) => [...list].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  return {
    findings: result.findings,
    suppressed: result.suppressed,
    skipped: byPath(result.skipped),
    errors: byPath(result.errors),
    filesAnalyzed: result.stats.filesAnalyzed,
    linesAnalyzed: result.stats.linesAnalyzed,
  };
}

describe("analysis in units", () => {
  it("splits the fixture corpus into many units, each fixture folder of cross-file cases in one", () => {
    const { units } = planUnits(FIXTURES.map((f) => factsOf(f.path, f.content)));
    expect(units.length).toBeGreaterThan(100);
    const crossFile = FIXTURES.map((f) => f.path).filter((p) => /\/fixtures\/cross-file\//.test(p) && /\.[jt]s$/.test(p));
    expect(crossFile.length).toBeGreaterThan(1);
    // Every file is checked in exactly one unit.
    const checked = units.flatMap((u) => u.files.filter((f) => !u.context.includes(f)));
    expect(checked.sort()).toEqual(FIXTURES.map((f) => f.path).sort());
    // A relative import that names a file of the corpus puts both in one unit.
    const paths = new Set(FIXTURES.map((f) => f.path));
    let joined = 0;
    for (const file of FIXTURES.filter((f) => /\.[jt]s$/.test(f.path))) {
      for (const [, specifier] of file.content.matchAll(/from\s+["'](\.\.?\/[^"']+)["']/g)) {
        const target = posix.normalize(posix.join(posix.dirname(file.path), specifier!)).replace(/\.js$/, "");
        const found = [".ts", ".js", "/index.ts"].map((ext) => target + ext).find((p) => paths.has(p));
        if (!found) continue;
        joined++;
        expect(units.find((u) => u.files.includes(file.path))!.files).toContain(found);
      }
    }
    expect(joined).toBeGreaterThan(10);
  });

  it.each<[string, AnalyzeOptions]>([
    ["default options", {}],
    ["fixtures read as production code, suppressions off", { paths: { production: ["**"] }, allowSuppressions: false }],
  ])("finds over the fixture corpus what one analysis of the whole corpus finds (%s)", (_label, options) => {
    const whole = analyze(FIXTURES, options);
    const units = analyzeUnits(FIXTURES, options);
    expect(whole.findings.length).toBeGreaterThan(200);
    expect(whole.findings.some((f) => f.trace?.some((step) => step.path !== f.path))).toBe(true);
    expect(comparable(units)).toEqual(comparable(whole));
  });

  it("keeps to `only` as one analysis does", () => {
    const only = FIXTURES.filter((f) => /command-injection|path-traversal/.test(f.path)).map((f) => f.path);
    expect(comparable(analyzeUnits(FIXTURES, { only }))).toEqual(comparable(analyze(FIXTURES, { only })));
  });

  it("resolves a Python package import through the whole tree, as one analysis does", () => {
    const files: SourceInput[] = [
      {
        path: "svc/server.py",
        content: 'from mcp.server.fastmcp import FastMCP\nfrom toolkit.shell import run\n\nmcp = FastMCP("s")\n\n@mcp.tool()\ndef go(cmd: str) -> str:\n    return run(cmd)\n',
      },
      { path: "lib/src/toolkit/shell.py", content: "import subprocess\n\ndef run(cmd):\n    return subprocess.check_output(cmd, shell=True)\n" },
      { path: "lib/src/toolkit/__init__.py", content: "" },
      { path: "other/tool.py", content: "import subprocess\n\ndef helper(x):\n    subprocess.run(x, shell=True)\n" },
    ];
    const { units } = planUnits(files.map((f) => factsOf(f.path, f.content)));
    expect(units.find((u) => u.files.includes("svc/server.py"))!.files).toEqual(expect.arrayContaining(["lib/src/toolkit/shell.py"]));
    expect(units.find((u) => u.files.includes("other/tool.py"))!.files).toEqual(["other/tool.py"]);
    const whole = analyze(files);
    expect(whole.findings.map((f) => [f.path, f.ruleId])).toContainEqual(["lib/src/toolkit/shell.py", "command-injection"]);
    expect(comparable(analyzeUnits(files))).toEqual(comparable(whole));
  });

  it("reads a helper's callers that import it through a package whose __init__.py is in another unit", () => {
    const files: SourceInput[] = [
      { path: "svc/server.py", content: 'from mcp.server.fastmcp import FastMCP\nfrom tools import go\n\nmcp = FastMCP("s")\nmcp.add_tool(go)\n' },
      // Neither an MCP module nor a relative importer: read for callers because `mypkg` is a package of the tree.
      { path: "svc/tools.py", content: "from mypkg.helpers import run\n\ndef go(cmd: str) -> str:\n    return run(cmd)\n" },
      { path: "lib/mypkg/helpers.py", content: "import subprocess\n\ndef run(cmd):\n    return subprocess.check_output(cmd, shell=True)\n" },
      { path: "lib/mypkg/__init__.py", content: "" },
    ];
    const { units } = planUnits(files.map((f) => factsOf(f.path, f.content)));
    const unit = units.find((u) => u.files.includes("svc/tools.py"))!;
    expect(unit.files).not.toContain("lib/mypkg/__init__.py");
    const whole = analyze(files);
    expect(whole.findings.map((f) => [f.path, f.ruleId])).toContainEqual(["lib/mypkg/helpers.py", "command-injection"]);
    expect(comparable(analyzeUnits(files))).toEqual(comparable(whole));
    // Without the package's __init__.py the same unit reads differently, and is cached apart.
    const without = planUnits(files.filter((f) => !f.path.endsWith("__init__.py")).map((f) => factsOf(f.path, f.content)));
    expect(without.units.find((u) => u.files.includes("svc/tools.py"))!.dependsOn).not.toEqual(unit.dependsOn);
  });

  it("reads tsconfig aliases and the manifests above Python modules as context, checked once", () => {
    const files: SourceInput[] = [
      { path: "app/tsconfig.json", content: '{ "compilerOptions": { "baseUrl": ".", "paths": { "~/*": ["src/*"] } } }' },
      {
        path: "app/src/server.ts",
        content:
          'import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";\nimport { z } from "zod";\nimport { run } from "~/lib/run.js";\nconst server = new McpServer({ name: "a", version: "1" });\nserver.tool("go", { cmd: z.string() }, async ({ cmd }) => { run(cmd); return { content: [] }; });\n',
      },
      { path: "app/src/lib/run.ts", content: 'import { exec } from "node:child_process";\nexport function run(cmd: string) { exec(cmd); }\n' },
      { path: "py/pyproject.toml", content: '[project]\nname = "x"\ndependencies = ["mcp==1.0.0"]\n' },
      { path: "py/server.py", content: 'from mcp.server.fastmcp import FastMCP\nmcp = FastMCP("x", host="0.0.0.0")\nmcp.run(transport="sse")\n' },
    ];
    const { units } = planUnits(files.map((f) => factsOf(f.path, f.content)));
    const ts = units.find((u) => u.files.includes("app/src/server.ts"))!;
    expect(ts.files).toEqual(["app/tsconfig.json", "app/src/server.ts", "app/src/lib/run.ts"]);
    expect(ts.context).toEqual(["app/tsconfig.json"]);
    expect(units.find((u) => u.files.includes("py/server.py"))!.context).toEqual(["py/pyproject.toml"]);
    const whole = analyze(files);
    expect(whole.findings.map((f) => f.path)).toContain("app/src/lib/run.ts");
    expect(comparable(analyzeUnits(files))).toEqual(comparable(whole));
  });

  describe("Python files no tool input reaches, analyzed apart", () => {
    const files: SourceInput[] = [
      { path: "app/pkg/__init__.py", content: "" },
      { path: "app/pkg/base.py", content: "class Runner:\n    def run(self, cmd):\n        return cmd\n" },
      { path: "app/pkg/shell.py", content: "import subprocess\n\ndef sh(cmd):\n    return subprocess.check_output(cmd, shell=True)\n" },
      {
        path: "app/pkg/server.py",
        content: 'from mcp.server.fastmcp import FastMCP\nfrom pkg.base import Runner\nfrom pkg.shell import sh\n\nmcp = FastMCP("s")\n\n@mcp.tool()\ndef go(cmd: str) -> str:\n    runner = Runner()\n    return runner.run(cmd)\n\n@mcp.tool()\ndef sh_tool(cmd: str) -> str:\n    return sh(cmd)\n',
      },
      // Imported by no one, but its override runs when the tool calls `runner.run`.
      { path: "app/plugins/shell_runner.py", content: "import subprocess\nfrom pkg.base import Runner\n\nclass ShellRunner(Runner):\n    def run(self, cmd):\n        return subprocess.check_output(cmd, shell=True)\n" },
      // A test of its own server: tool input reaches it.
      { path: "app/tests/test_server.py", content: 'from fastmcp import FastMCP\nimport subprocess\n\nmcp = FastMCP("t")\n\n@mcp.tool()\ndef echo(text: str) -> str:\n    return subprocess.check_output(text, shell=True)\n' },
      // Tests that only call the package: nothing reaches them.
      { path: "app/tests/helpers.py", content: "from pkg.shell import sh\n\ndef run_ls():\n    return sh('ls')\n" },
      { path: "app/tests/test_shell.py", content: "from tests.helpers import run_ls\nfrom pkg.base import Runner\n\ndef test_ls():\n    assert run_ls()\n    assert Runner().run('x') == 'x'\n" },
    ];

    it("keeps handlers, what they import and overrides together; the rest reads the package as context", () => {
      const { units } = planUnits(files.map((f) => factsOf(f.path, f.content)));
      const core = units.find((u) => u.files.includes("app/pkg/server.py"))!;
      expect(core.unreached).toBeUndefined();
      expect(core.files).toEqual(["app/pkg/base.py", "app/pkg/shell.py", "app/pkg/server.py", "app/plugins/shell_runner.py"]);
      expect(units.find((u) => u.files.includes("app/tests/test_server.py"))!.unreached).toBeUndefined();
      const tests = units.find((u) => u.files.includes("app/tests/test_shell.py"))!;
      expect(tests.unreached).toBe(true);
      expect(tests.files.filter((p) => !tests.context.includes(p))).toEqual(["app/tests/helpers.py", "app/tests/test_shell.py"]);
      expect(tests.context).toEqual(["app/pkg/base.py", "app/pkg/shell.py"]);
      expect(tests.dependsOn).not.toEqual(core.dependsOn);
    });

    it("finds what one analysis of the tree finds", () => {
      const whole = analyze(files);
      expect(whole.findings.map((f) => [f.path, f.ruleId])).toEqual(
        expect.arrayContaining([
          ["app/pkg/shell.py", "command-injection"],
          ["app/plugins/shell_runner.py", "command-injection"],
          ["app/tests/test_server.py", "command-injection"],
        ]),
      );
      expect(comparable(analyzeUnits(files))).toEqual(comparable(whole));
    });

    it("splits them into batches of bounded size", () => {
      const big = (name: string) => ({ path: `lib/tests/${name}.py`, content: "from lib.core import f\n" + "x = f(1)\n".repeat(15_000) });
      const tree: SourceInput[] = [
        { path: "lib/__init__.py", content: "" },
        { path: "lib/core.py", content: "def f(x):\n    return x\n" },
        ...["test_a", "test_b", "test_c", "test_d"].map(big),
      ];
      const { units } = planUnits(tree.map((f) => factsOf(f.path, f.content)));
      const batches = units.filter((u) => u.unreached && u.files.some((p) => p.startsWith("lib/tests/")));
      // Nothing reaches the library either (only tests import it): it is checked in the first batch, read by the next.
      expect(batches.map((u) => u.files.filter((p) => !u.context.includes(p)))).toEqual([
        ["lib/core.py", "lib/tests/test_a.py", "lib/tests/test_b.py"],
        ["lib/tests/test_c.py", "lib/tests/test_d.py"],
      ]);
      expect(batches[1]!.context).toEqual(["lib/core.py"]);
      for (const batch of batches) expect(batch.lines).toBeLessThanOrEqual(40_000);
    });
  });

  describe("absolute Python imports, resolved as Python would from the importer", () => {
    const server = (pkg: string) =>
      `from mcp.server.fastmcp import FastMCP\nfrom ${pkg}.shell import run\n\nmcp = FastMCP("s")\n\n@mcp.tool()\ndef go(cmd: str) -> str:\n    return run(cmd)\n`;
    const shell = "import subprocess\n\ndef run(cmd):\n    return subprocess.check_output(cmd, shell=True)\n";

    it("finds each copy's own package when a tree holds two copies of a project", () => {
      const copy = (dir: string): SourceInput[] => [
        { path: `${dir}/src/toolkit/server.py`, content: server("toolkit") },
        { path: `${dir}/src/toolkit/shell.py`, content: shell },
        { path: `${dir}/src/toolkit/__init__.py`, content: "" },
      ];
      const files = [...copy("vuln"), ...copy("fixed")];
      const { units } = planUnits(files.map((f) => factsOf(f.path, f.content)));
      // The two copies never share a unit: each import resolves in its own copy.
      expect(units.find((u) => u.files.includes("vuln/src/toolkit/server.py"))!.files).toEqual(["vuln/src/toolkit/server.py", "vuln/src/toolkit/shell.py"]);
      const whole = analyze(files);
      const flagged = whole.findings.filter((f) => f.ruleId === "command-injection").map((f) => f.path);
      expect(flagged).toEqual(["fixed/src/toolkit/shell.py", "vuln/src/toolkit/shell.py"]);
      // What each copy scanned alone finds.
      const alone = analyze(copy("vuln")).findings.filter((f) => f.ruleId === "command-injection").map((f) => f.path);
      expect(alone).toEqual(["vuln/src/toolkit/shell.py"]);
      expect(comparable(analyzeUnits(files))).toEqual(comparable(whole));
    });

    it("does not take a module inside another project's package for a top-level import (`import copy` is the standard library)", () => {
      const files: SourceInput[] = [
        { path: "a/server.py", content: 'import copy\nfrom mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP("s")\n\n@mcp.tool()\ndef go(cmd: str) -> str:\n    return copy.deepcopy(cmd)\n' },
        { path: "b/src/kube/__init__.py", content: "" },
        { path: "b/src/kube/copy.py", content: "import subprocess\n\ndef deepcopy(cmd):\n    return subprocess.check_output(cmd, shell=True)\n" },
      ];
      const { units } = planUnits(files.map((f) => factsOf(f.path, f.content)));
      expect(units.find((u) => u.files.includes("a/server.py"))!.files).toEqual(["a/server.py"]);
      const whole = analyze(files);
      expect(whole.findings.filter((f) => f.ruleId === "command-injection")).toEqual([]);
      expect(comparable(analyzeUnits(files))).toEqual(comparable(whole));
    });

    it("looks in the importer's own folder first, as a script run from there does", () => {
      const files: SourceInput[] = [
        { path: "tools/server.py", content: server("helpers").replace("from helpers.shell import run", "from helpers import run") },
        { path: "tools/helpers.py", content: shell },
        { path: "other/helpers.py", content: "def run(cmd):\n    return cmd\n" },
      ];
      const { units } = planUnits(files.map((f) => factsOf(f.path, f.content)));
      expect(units.find((u) => u.files.includes("tools/server.py"))!.files).toEqual(["tools/server.py", "tools/helpers.py"]);
      const whole = analyze(files);
      expect(whole.findings.filter((f) => f.ruleId === "command-injection").map((f) => f.path)).toEqual(["tools/helpers.py"]);
      expect(comparable(analyzeUnits(files))).toEqual(comparable(whole));
    });
  });
});
