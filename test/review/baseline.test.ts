import { analyze } from "../../src/engine/index.js";
import type { AnalysisResult, AnalyzeOptions, SourceInput } from "../../src/engine/types.js";
import { MemoryResultCache } from "../../src/scan/result-cache.js";
import { analyzeBaseline, analyzeBaselineCached, splitByBaseline } from "../../src/review/baseline.js";
import { allLines, type DiffLines } from "../../src/review/diff-lines.js";

/** A diff whose changed lines are `numbers`. */
const lines = (...numbers: number[]): DiffLines => ({ added: new Set(numbers), commentable: new Set(numbers) });

const server = (body: string) => `import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { execSync } from "node:child_process";
import { z } from "zod";
const server = new McpServer({ name: "s", version: "1" });
server.tool("run", { cmd: z.string() }, async ({ cmd }) => {
  ${body}
  return { content: [] };
});
`;

/** The engine, recording what each call was asked. */
function recording(): { calls: Array<{ paths: string[]; options: AnalyzeOptions }>; run: (files: readonly SourceInput[], options: AnalyzeOptions) => AnalysisResult } {
  const calls: Array<{ paths: string[]; options: AnalyzeOptions }> = [];
  return { calls, run: (files, options) => (calls.push({ paths: files.map((f) => f.path), options }), analyze(files, options)) };
}

describe("analyzeBaseline", () => {
  it("checks only modified files with findings, with only the rules that found them, and tells old findings from new", () => {
    const files: SourceInput[] = [
      { path: "src/old.ts", content: server("execSync(cmd); // still here"), base: server("execSync(cmd); // still here") },
      { path: "src/new.ts", content: server("execSync(`ls ${cmd}`);"), base: server("execSync('ls');") },
      { path: "src/clean.ts", content: "export const a = 1;\n", base: "export const a = 0;\n" },
      { path: "src/added.ts", content: server("execSync(cmd);") },
    ];
    const head = analyze(files);
    const engine = recording();
    const everyLine = new Map(files.map((f) => [f.path, allLines(f.content)]));
    const baseline = analyzeBaseline(files, head, {}, engine.run, everyLine)!;
    expect(engine.calls).toHaveLength(1);
    expect(engine.calls[0]!.paths).toEqual(["src/old.ts", "src/new.ts", "src/clean.ts"]); // every base version, as context
    expect(engine.calls[0]!.options.only).toEqual(["src/old.ts", "src/new.ts"]);
    expect(new Set(engine.calls[0]!.options.onlyRules)).toEqual(new Set(head.findings.filter((f) => f.path !== "src/added.ts").map((f) => f.ruleId)));
    const { fresh, onBase } = splitByBaseline(head.findings, baseline);
    expect(onBase.map((f) => [f.path, f.ruleId])).toEqual([["src/old.ts", "command-injection"]]);
    expect(new Set(fresh.map((f) => f.path))).toEqual(new Set(["src/new.ts", "src/added.ts"]));
  });

  it("analyzes nothing for findings off the changed lines: they are never counted", () => {
    const files: SourceInput[] = [{ path: "src/old.ts", content: server("execSync(cmd); // edited"), base: server("execSync(cmd);") }];
    const engine = recording();
    // Only line 1 changed; the finding is on line 6.
    expect(analyzeBaseline(files, analyze(files), {}, engine.run, new Map([["src/old.ts", lines(1)]]))).toBeUndefined();
    expect(engine.calls).toEqual([]);
  });

  it("analyzes nothing when no modified file has a finding", () => {
    const files: SourceInput[] = [
      { path: "src/clean.ts", content: "export const a = 1;\n", base: "export const a = 0;\n" },
      { path: "src/added.ts", content: server("execSync(cmd);") },
    ];
    const engine = recording();
    expect(analyzeBaseline(files, analyze(files), {}, engine.run, new Map([["src/clean.ts", lines(1)], ["src/added.ts", lines(1, 2, 3, 4, 5, 6, 7, 8)]]))).toBeUndefined();
    expect(engine.calls).toEqual([]);
  });
});

describe("analyzeBaselineCached", () => {
  it("tells old findings from new as analyzeBaseline does, and reads an unchanged base back from the cache", async () => {
    const files: SourceInput[] = [
      { path: "src/old.ts", content: server("execSync(cmd); // still here"), base: server("execSync(cmd); // still here") },
      { path: "src/new.ts", content: server("execSync(`ls ${cmd}`);"), base: server("execSync('ls');") },
      { path: "src/clean.ts", content: "export const a = 1;\n", base: "export const a = 0;\n" },
    ];
    const head = analyze(files);
    const everyLine = new Map(files.map((f) => [f.path, allLines(f.content)]));
    const expected = analyzeBaseline(files, head, {}, analyze, everyLine)!;
    const cache = new MemoryResultCache();
    let hits = 0;
    const get = cache.get.bind(cache);
    cache.get = async (key) => {
      const found = await get(key);
      if (found) hits++;
      return found;
    };
    const first = (await analyzeBaselineCached(files, head, {}, everyLine, cache))!;
    expect(new Set(first.fingerprints)).toEqual(new Set(expected.fingerprints));
    expect(hits).toBe(0);
    const again = (await analyzeBaselineCached(files, head, {}, everyLine, cache))!;
    expect(again.fingerprints).toEqual(first.fingerprints);
    expect(hits).toBeGreaterThan(0);
    // A base that changed is analyzed again.
    const moved = files.map((f) => (f.path === "src/old.ts" ? { ...f, base: server("execSync('ls'); // fixed on main") } : f));
    const other = (await analyzeBaselineCached(moved, head, {}, everyLine, cache))!;
    expect(new Set(other.fingerprints)).toEqual(new Set(analyzeBaseline(moved, head, {}, analyze, everyLine)!.fingerprints));
    expect(splitByBaseline(head.findings, other).onBase).toEqual([]);
  });
});
