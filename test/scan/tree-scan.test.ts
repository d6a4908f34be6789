import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { analyze } from "../../src/engine/analyze.js";
import { isAnalyzable } from "../../src/engine/language.js";
import type { AnalysisResult, AnalyzeOptions, SourceInput } from "../../src/engine/types.js";
import { MemoryResultCache } from "../../src/scan/result-cache.js";
import { onThreads, scanFile, scanTree, type ScanProgress, type UnitTiming } from "../../src/scan/tree-scan.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

function treeOf(...dirs: string[]): SourceInput[] {
  const out: SourceInput[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (isAnalyzable(name) && !/\.before\.[^./]+$/.test(name)) out.push({ path: relative(ROOT, full).split("\\").join("/"), content: readFileSync(full, "utf8") });
    }
  };
  for (const dir of dirs) if (existsSync(join(ROOT, dir))) walk(join(ROOT, dir));
  return out;
}

const CORPUS = treeOf(...readdirSync(join(ROOT, "rules")).map((r) => `rules/${r}/fixtures`), "test/fixtures");

const SERVER = `import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { run } from "./run.js";

const server = new McpServer({ name: "s", version: "1" });
server.tool("go", { cmd: z.string() }, async ({ cmd }) => ({ content: [{ type: "text", text: run(cmd) }] }));
`;
const SHELL = `import { execSync } from "node:child_process";\nexport function run(cmd: string): string { return execSync(cmd).toString(); }\n`;
const QUOTED = `import { execFileSync } from "node:child_process";\nexport function run(cmd: string): string { return execFileSync("echo", [cmd]).toString(); }\n`;

const scan = (files: readonly SourceInput[], cache?: MemoryResultCache, options: AnalyzeOptions = {}) => scanTree(files.map((f) => scanFile(f)), options, { jobs: 0, cache });
const same = (result: AnalysisResult) => ({ findings: result.findings, suppressed: result.suppressed, filesAnalyzed: result.stats.filesAnalyzed, linesAnalyzed: result.stats.linesAnalyzed });

describe("a whole-tree scan", () => {
  it("finds what one analysis finds, and the same again from its cache, unit by unit", async () => {
    const cache = new MemoryResultCache();
    const fresh = analyze(CORPUS);
    const first = await scan(CORPUS, cache);
    expect(same(first)).toEqual(same(fresh));
    expect(first.units.cached).toBe(0);
    const second = await scan(CORPUS, cache);
    expect(second.units.cached).toBe(second.units.total);
    expect(same(second)).toEqual(same(fresh));
    // Other options are other keys.
    const off = await scan(CORPUS, cache, { rules: { "command-injection": "off" } });
    expect(off.units.cached).toBe(0);
    expect(same(off)).toEqual(same(analyze(CORPUS, { rules: { "command-injection": "off" } })));
  });

  it("reads again a unit one of whose files changed, so a finding that came from another file goes with it", async () => {
    const cache = new MemoryResultCache();
    const tree = [...CORPUS, { path: "app/server.ts", content: SERVER }, { path: "app/run.ts", content: SHELL }];
    const before = await scan(tree, cache);
    expect(before.findings.some((f) => f.path === "app/run.ts" && f.ruleId === "command-injection")).toBe(true);
    // Only the helper changes: the finding in it was the server's input, and is gone with the shell.
    const fixed = [...CORPUS, { path: "app/server.ts", content: SERVER }, { path: "app/run.ts", content: QUOTED }];
    const after = await scan(fixed, cache);
    expect(after.units.cached).toBe(after.units.total - 1);
    expect(after.findings.some((f) => f.path === "app/run.ts" && f.ruleId === "command-injection")).toBe(false);
    expect(same(after)).toEqual(same(analyze(fixed)));
    // The server alone, its helper gone: no flow is left to report.
    const alone = [...CORPUS, { path: "app/server.ts", content: SERVER }];
    expect(same(await scan(alone, cache))).toEqual(same(analyze(alone)));
  });

  it("reads again a Python unit whose absolute import now names another module of the tree", async () => {
    const cache = new MemoryResultCache();
    const server = { path: "svc/server.py", content: 'from mcp.server.fastmcp import FastMCP\nfrom toolkit.shell import run\n\nmcp = FastMCP("s")\n\n@mcp.tool()\ndef go(cmd: str) -> str:\n    return run(cmd)\n' };
    const shell = { path: "lib/toolkit/shell.py", content: "import subprocess\n\ndef run(cmd):\n    return subprocess.check_output(cmd, shell=True)\n" };
    const tree = [server, shell];
    const first = await scan(tree, cache);
    expect(first.findings.map((f) => f.path)).toContain("lib/toolkit/shell.py");
    // A second toolkit/shell.py elsewhere makes `toolkit.shell` ambiguous: the engine resolves it no more.
    const twin = { path: "vendored/toolkit/shell.py", content: "def run(cmd):\n    return cmd\n" };
    const changed = [server, shell, twin];
    const second = await scan(changed, cache);
    expect(same(second)).toEqual(same(analyze(changed)));
    expect(second.findings.map((f) => f.path)).not.toContain("lib/toolkit/shell.py");
  });

  it("says how far it is: files and lines done of the total, and the unit under way", async () => {
    const seen: ScanProgress[] = [];
    const files = CORPUS.slice(0, 40).map((f) => scanFile(f));
    await scanTree(files, {}, { jobs: 0, onProgress: (p) => seen.push(p) });
    const last = seen[seen.length - 1]!;
    expect(last.filesDone).toBe(last.filesTotal);
    expect(last.filesTotal).toBe(40);
    expect(last.linesDone).toBe(last.linesTotal);
    expect(seen.some((p) => p.current !== undefined && p.filesDone < p.filesTotal)).toBe(true);
    expect(seen.map((p) => p.filesDone)).toEqual([...seen.map((p) => p.filesDone)].sort((a, b) => a - b));
  });
});

describe("units on threads", () => {
  const FAKE = new URL("../support/fake-unit-thread.mjs", import.meta.url);
  const MB = 1024 * 1024;
  const unit = (name: string, lines = 1000) => ({ unit: { files: [name], context: [], lines, dependsOn: "" } });
  type Pool = Parameters<typeof onThreads<ReturnType<typeof unit>>>[1];
  /** A pool of `jobs` stand-in threads within `budgetMb`, told what `hooks` say. */
  const pool = (jobs: number, budgetMb: number, hooks: Pick<Pool, "started" | "finished" | "timed">): Pool => ({
    script: FAKE,
    jobs,
    budget: budgetMb * MB,
    tree: {},
    options: {},
    filesOf: (u) => u.files.map((path) => ({ path, content: "" })),
    ...hooks,
  });
  /** Runs units on the stand-in thread; records which thread analyzed each, in order, and how many ran at once. */
  async function run(units: ReturnType<typeof unit>[], jobs: number, budgetMb: number) {
    let inFlight = 0;
    let most = 0;
    const order: { path: string; thread: number }[] = [];
    await onThreads(units, pool(jobs, budgetMb, {
      started: () => (most = Math.max(most, ++inFlight)),
      finished: (_, result) => {
        inFlight--;
        const { path, thread } = result as unknown as { path: string; thread: number };
        order.push({ path, thread });
      },
    }));
    return { order, most };
  }

  it("analyzes every unit once, side by side only while both fit in the memory budget", async () => {
    const units = ["a", "b", "c", "d", "e", "f"].map((n) => unit(`${n}.ts`));
    const roomy = await run(units, 2, 320);
    expect(roomy.order.map((o) => o.path).sort()).toEqual(["a.ts", "b.ts", "c.ts", "d.ts", "e.ts", "f.ts"]);
    expect(roomy.most).toBe(2);
    expect(new Set(roomy.order.map((o) => o.thread)).size).toBe(2);
    // A fresh thread for one of these counts about 160 MB, and one that analyzed a unit 132 MB.
    const tight = await run(units, 2, 200);
    expect(tight.order).toHaveLength(6);
    expect(tight.most).toBe(1);
  });

  it("replaces a thread that holds much more than a fresh one after its unit, and keeps one that does not", async () => {
    const { order } = await run([unit("a-held-150.ts"), unit("b-held-300.ts"), unit("c.ts"), unit("d.ts")], 1, 320);
    expect(order.map((o) => o.path)).toEqual(["a-held-150.ts", "b-held-300.ts", "c.ts", "d.ts"]);
    const [a, b, c, d] = order.map((o) => o.thread);
    expect(b).toBe(a);
    expect(c).not.toBe(b);
    expect(d).toBe(c);
  });

  it("keeps units with TypeScript or JavaScript files and the others on threads of their own kind", async () => {
    const { order } = await run([unit("a.ts"), unit("b.py"), unit("c.js"), unit("d.py"), unit("e.json")], 1, 320);
    // The first thread took the first unit, then only units of its kind; a thread for the rest followed.
    expect(order.map((o) => o.path)).toEqual(["a.ts", "c.js", "b.py", "d.py", "e.json"]);
    const [a, c, b, d, e] = order.map((o) => o.thread);
    expect(c).toBe(a);
    expect(b).not.toBe(a);
    expect([d, e]).toEqual([b, b]);
    // Two threads side by side: each still takes only units of its kind.
    const both = await run([unit("a.ts"), unit("b.py"), unit("c.ts"), unit("d.py")], 2, 320);
    const threadOf = new Map(both.order.map((o) => [o.path, o.thread]));
    expect(threadOf.get("c.ts")).toBe(threadOf.get("a.ts"));
    expect(threadOf.get("d.py")).toBe(threadOf.get("b.py"));
    expect(threadOf.get("a.ts")).not.toBe(threadOf.get("b.py"));
  });

  it("analyzes a unit that outgrows its thread's heap limit again once the others are done, alone and without the limit", async () => {
    const units = [unit("a-ms-60.ts"), unit("oom.ts"), unit("b-ms-60.ts"), unit("c.ts"), unit("d.py")];
    const running = new Set<string>();
    const startedWith: { path: string; besides: string[] }[] = [];
    const done: { path: string; thread: number; limited: boolean }[] = [];
    await onThreads(units, pool(2, 400, {
      started: (u) => {
        startedWith.push({ path: u.files[0]!, besides: [...running] });
        running.add(u.files[0]!);
      },
      finished: (w, result) => {
        running.delete(w.unit.files[0]!);
        done.push(result as unknown as { path: string; thread: number; limited: boolean });
      },
    }));
    // Every unit answered once; the one that stopped its thread came last.
    expect(done.map((d) => d.path).sort()).toEqual(["a-ms-60.ts", "b-ms-60.ts", "c.ts", "d.py", "oom.ts"]);
    expect(done[done.length - 1]).toMatchObject({ path: "oom.ts", limited: false });
    // TypeScript threads have a heap limit, Python threads none.
    expect(done.filter((d) => d.path.endsWith(".ts") && d.path !== "oom.ts").every((d) => d.limited)).toBe(true);
    expect(done.find((d) => d.path === "d.py")!.limited).toBe(false);
    // Its first try ran beside another unit; the second alone, on a thread of its own.
    const tries = startedWith.filter((s) => s.path === "oom.ts");
    expect(tries).toHaveLength(2);
    expect(tries[1]!.besides.filter((p) => p !== "oom.ts")).toEqual([]);
    expect(done.filter((d) => d.thread === done[done.length - 1]!.thread)).toHaveLength(1);
  });

  it("tells when each unit ran, on which kind of thread, and whether its thread was started for it", async () => {
    const timings: UnitTiming[] = [];
    const threadOf = new Map<string, number>();
    const units = [unit("a-ms-80.ts", 3000), unit("b-ms-80.py", 2000), unit("c.ts", 1000), unit("d.py", 500)];
    await onThreads(units, pool(2, 400, {
      started: () => {},
      finished: (w, result) => void threadOf.set(w.unit.files[0]!, (result as unknown as { thread: number }).thread),
      timed: (t) => void timings.push(t),
    }));
    const byLines = new Map(timings.map((t) => [t.lines, t]));
    expect([...byLines.keys()].sort((a, b) => a - b)).toEqual([500, 1000, 2000, 3000]);
    expect([3000, 1000].map((n) => byLines.get(n)!.kind)).toEqual(["scripts", "scripts"]);
    expect([2000, 500].map((n) => byLines.get(n)!.kind)).toEqual(["scriptless", "scriptless"]);
    // One thread of each kind: its first unit is marked, the one after it on the same thread is not.
    expect(threadOf.get("c.ts")).toBe(threadOf.get("a-ms-80.ts"));
    expect(threadOf.get("d.py")).toBe(threadOf.get("b-ms-80.py"));
    expect([3000, 2000, 1000, 500].map((n) => byLines.get(n)!.firstOnThread)).toEqual([true, true, false, false]);
    // The two slow units ran side by side; each later unit began once its thread's first was answered.
    const [a, b, c, d] = [3000, 2000, 1000, 500].map((n) => byLines.get(n)!);
    expect(a!.endMs - a!.startMs).toBeGreaterThanOrEqual(70);
    expect(Math.max(a!.startMs, b!.startMs)).toBeLessThan(Math.min(a!.endMs, b!.endMs));
    expect(c!.startMs).toBeGreaterThanOrEqual(a!.endMs);
    expect(d!.startMs).toBeGreaterThanOrEqual(b!.endMs);
  });

  it("lets an idle thread go when the memory it holds is all that keeps the next unit from running", async () => {
    // Two small units side by side; the large one fits only alone, after the slower small one.
    // A small unit counts about 160 MB, the large one 340 MB; a thread that analyzed one 132 MB.
    const { order, most } = await run([unit("slow-ms-150.ts"), unit("quick-ms-10.ts"), unit("large.ts", 60_000)], 2, 400);
    expect(order.map((o) => o.path)).toEqual(["quick-ms-10.ts", "slow-ms-150.ts", "large.ts"]);
    expect(most).toBe(2);
    // The thread that finished first waited; the large unit went to the other, which let it go.
    expect(order[2]!.thread).toBe(order[1]!.thread);
  });
});
