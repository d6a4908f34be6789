import { execFileSync } from "node:child_process";
import { analyze } from "../../src/engine/index.js";
import { mcpServerSource } from "../support/mcp-corpus.js";

// Threads run the built engine: import the pool from dist/ (npm test builds it first).
const { createAnalysisPool } = (await import("../../dist/src/review/analysis-pool.js" as string)) as typeof import("../../src/review/analysis-pool.js");

describe("the analysis thread pool", () => {
  it("gives the same result as the engine on the calling thread, for several requests at once", async () => {
    const pool = createAnalysisPool({ size: 2 });
    try {
      const files = [0, 1, 5].map((i) => ({ path: `src/server-${i}.ts`, content: mcpServerSource(i, 60) }));
      const results = await Promise.all([pool.analyze(files, {}), pool.analyze(files.slice(0, 1), {}), pool.analyze(files, { rules: { "command-injection": "off" } })]);
      expect(results[0]!.findings).toEqual(analyze(files).findings);
      expect(results[1]!.findings).toEqual(analyze(files.slice(0, 1)).findings);
      expect(results[2]!.findings.some((f) => f.ruleId === "command-injection")).toBe(false);
      expect(results[0]!.findings.some((f) => f.ruleId === "command-injection")).toBe(true);
      // Comments need each found rule's description; the thread sends them, as the main thread does not load the engine.
      expect(Object.keys(results[0]!.ruleDocs).sort()).toEqual([...new Set(results[0]!.findings.map((f) => f.ruleId))].sort());
      expect(results[0]!.ruleDocs["command-injection"]?.description).toMatch(/shell/i);
    } finally {
      await pool.close();
    }
  });

  it("stops an analysis that runs past its limit, says why, and keeps serving", async () => {
    const pool = createAnalysisPool({ size: 1, timeoutMs: 3000 });
    try {
      const one = [{ path: "src/a.ts", content: mcpServerSource(0, 60) }];
      await pool.analyze(one, {}); // a cold thread loads the engine first
      const huge = Array.from({ length: 600 }, (_, i) => ({ path: `src/s${i}.ts`, content: mcpServerSource(i, 120) }));
      await expect(pool.analyze(huge, {})).rejects.toMatchObject({ message: "the analysis took longer than 3 s and was stopped", retryable: false });
      expect((await pool.analyze(one, {})).findings.length).toBeGreaterThan(0);
    } finally {
      await pool.close();
    }
  }, 30000);
});

describe("the worker's main thread", () => {
  it("does not load the engine (TypeScript, ts-morph, tree-sitter): only analysis threads do", () => {
    // A fresh process imports what `worker` and `web` import, then lists the CommonJS modules loaded.
    const script = `
      import { createRequire } from "node:module";
      const require = createRequire(import.meta.url);
      for (const m of ["review/review-handlers.js", "review/analysis-pool.js", "app/app.js", "queue/bullmq-worker.js", "queue/bullmq-queue.js", "review/octokit.js", "queue/scan-queue.js", "inventory/scan-repository.js", "inventory/inventory-runtime.js", "inventory/recheck.js", "inventory/unit-analyzer.js", "store/inventory-store.js"]) await import("./dist/src/" + m);
      const heavy = (k) => /[\\/](typescript|ts-morph|@ts-morph|web-tree-sitter)[\\/]/.test(k);
      const before = Object.keys(require.cache).filter(heavy).length;
      await import("./dist/src/engine/index.js");
      console.log(JSON.stringify([before, Object.keys(require.cache).filter(heavy).length]));`;
    const [before, after] = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" }));
    expect(before).toBe(0);
    expect(after).toBeGreaterThan(0); // the check can tell: the engine does load them
  });
});
