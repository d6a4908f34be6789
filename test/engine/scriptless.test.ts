import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { RULES } from "../../rules/index.js";
import { SCRIPTLESS_RULES } from "../../rules/scriptless.js";
import { analyze } from "../../src/engine/analyze.js";
import { analyzeScriptless } from "../../src/engine/analyze-scriptless.js";
import { inventoryFacts, inventoryFactsScriptless } from "../../src/engine/inventory.js";
import { needsScripts } from "../../src/engine/language.js";
import type { AnalysisResult, SourceInput } from "../../src/engine/types.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** Every fixture folder of the rules (a folder with files, each file with its path below the folder). */
function fixtureFolders(): SourceInput[][] {
  const out: SourceInput[][] = [];
  const visit = (dir: string, base: string) => {
    const files: SourceInput[] = [];
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) visit(path, path);
      else files.push({ path: relative(base, path), content: readFileSync(path, "utf8") });
    }
    if (files.length > 0) out.push(files);
  };
  for (const rule of readdirSync(join(ROOT, "rules"))) {
    const fixtures = join(ROOT, "rules", rule, "fixtures");
    if (statSync(join(ROOT, "rules", rule)).isDirectory() && readdirSync(join(ROOT, "rules", rule)).includes("fixtures")) visit(fixtures, fixtures);
  }
  return out;
}

/** The files of each fixture folder that are not TypeScript or JavaScript, for folders that have some. */
function scriptlessFixtures(): SourceInput[][] {
  return fixtureFolders()
    .map((folder) => folder.filter((f) => !needsScripts([f.path])))
    .filter((files) => files.length > 0);
}

const comparable = (result: AnalysisResult) => ({ ...result, stats: { ...result.stats, durationMs: 0, ruleMs: {} } });

describe("the rules without their TypeScript checks", () => {
  it("are every rule that reads anything else, with the same metas and checks, in the same order", () => {
    const expected = RULES.filter((rule) => rule.checkPython || rule.checkConfig || rule.checkText);
    expect(SCRIPTLESS_RULES.map((rule) => rule.meta.id)).toEqual(expected.map((rule) => rule.meta.id));
    SCRIPTLESS_RULES.forEach((rule, i) => {
      const full = expected[i]!;
      expect(rule.meta).toBe(full.meta);
      expect(rule.checkPython).toBe(full.checkPython);
      expect(rule.checkConfig).toBe(full.checkConfig);
      expect(rule.checkText).toBe(full.checkText);
      expect(rule.check).toBeUndefined();
    });
  });

  it("find what analyze finds in every fixture without TypeScript or JavaScript: Python, configs, manifests", () => {
    let compared = 0;
    for (const files of scriptlessFixtures()) {
      const full = analyze(files);
      expect(comparable(analyzeScriptless(files))).toEqual(comparable(full));
      compared += full.findings.length;
    }
    expect(compared).toBeGreaterThan(100);
  });

  it("refuse TypeScript and JavaScript files, whose checks they do not have", () => {
    expect(() => analyzeScriptless([{ path: "server.ts", content: "export {};\n" }])).toThrow(/analyze\(\)/);
  });

  it("never load the TypeScript compiler (the built engine)", () => {
    const script = `
      import { createRequire } from "node:module";
      const { analyzeScriptless } = await import(${JSON.stringify(join(ROOT, "dist/src/engine/analyze-scriptless.js"))});
      const result = analyzeScriptless([{ path: "server.py", content: ${JSON.stringify("import subprocess\nfrom mcp.server.fastmcp import FastMCP\nmcp = FastMCP('x')\n\n@mcp.tool()\ndef run(cmd: str) -> str:\n    return subprocess.check_output(cmd, shell=True, text=True)\n")} }]);
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((path) => /[\\\\/](?:typescript|ts-morph|@ts-morph)[\\\\/]/.test(path));
      console.log(JSON.stringify({ rules: result.findings.map((f) => f.ruleId), loaded }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" })) as { rules: string[]; loaded: string[] };
    expect(out.rules).toEqual(["command-injection"]);
    expect(out.loaded).toEqual([]);
  });
});

describe("the inventory without its TypeScript side", () => {
  it("gives what inventoryFacts gives for every fixture without TypeScript or JavaScript", () => {
    let tools = 0;
    for (const files of scriptlessFixtures()) {
      const full = inventoryFacts(files);
      expect(inventoryFactsScriptless(files)).toEqual(full);
      tools += full.reduce((n, f) => n + f.tools.length, 0);
    }
    expect(tools).toBeGreaterThan(20);
  });

  it("lets an organization scan's batch of Python load no TypeScript compiler, and one with TypeScript load it (the built thread body)", () => {
    const script = `
      import { createRequire } from "node:module";
      const { factsOfBatch } = await import(${JSON.stringify(join(ROOT, "dist/src/inventory/unit-analyzer.js"))});
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((path) => /[\\/](?:typescript|ts-morph|@ts-morph)[\\/]/.test(path));
      const py = await factsOfBatch({ files: [{ path: "server.py", content: ${JSON.stringify("from mcp.server.fastmcp import FastMCP\nmcp = FastMCP('py')\n\n@mcp.tool()\ndef hello(name: str) -> str:\n    return name\n")} }], only: ["server.py"], options: {} });
      const afterPython = loaded();
      const ts = await factsOfBatch({ files: [{ path: "server.ts", content: ${JSON.stringify('import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";\nconst server = new McpServer({ name: "ts", version: "1.0.0" });\nserver.tool("hello", async () => ({ content: [] }));\n')} }], only: ["server.ts"], options: {} });
      console.log(JSON.stringify({ tools: [...py, ...ts].flatMap((f) => f.tools.map((t) => t.name)), afterPython, afterTypeScript: loaded() }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" })) as { tools: string[]; afterPython: boolean; afterTypeScript: boolean };
    expect(out).toEqual({ tools: ["hello", "hello"], afterPython: false, afterTypeScript: true });
  });
});
