import { availableParallelism } from "node:os";
import { join } from "node:path";
import { collectFiles, walkFiles, type CollectOptions } from "../src/cli/collect-files.js";
import { runCli } from "../src/cli/run-cli.js";
import { languageOf } from "../src/engine/language.js";
import type { Finding, SourceInput } from "../src/engine/types.js";
import { analyzeBaseline, analyzeBaselineCached } from "../src/review/baseline.js";
import { allLines } from "../src/review/diff-lines.js";
import { MemoryResultCache } from "../src/scan/result-cache.js";
import { scanFile, scanTree, type ScanFile } from "../src/scan/tree-scan.js";

/**
 * One measurement of `bench/whole-tree.ts`, in a process of its own so that its peak memory is
 * its own. Prints one JSON line: wall and CPU time (every thread of the process), peak RSS, and
 * what was found. Modes: scan (the CLI), ts|python (the scan of one language's files), warm (a
 * scan, then the same again with its cache), before (one analysis of the whole tree, as the CLI
 * did before units), baseline DIR (a pull request's baseline, cold and then warm). The engine is
 * loaded on this thread only by the modes that analyze here, as the CLI loads it only where it runs.
 */
const [mode, dir, ...rest] = process.argv.slice(2) as [string, string, ...string[]];
const jobs = Number(process.env.BENCH_JOBS ?? availableParallelism());
const collect: CollectOptions = { ignored: () => false, maxFileBytes: 512 * 1024, maxDependencyFileBytes: 50 * 1024 * 1024 };

const started = performance.now();
const cpu = process.cpuUsage();
let out: Record<string, unknown> = {};

const walk = (keep: (path: string) => boolean = () => true): ScanFile[] => {
  const files: ScanFile[] = [];
  walkFiles(dir, true, collect, (f) => void (keep(f.path) && files.push(scanFile(f, { absolute: f.absolute }))));
  return files;
};
const found = (findings: readonly Finding[]) => findings.map((f) => ({ path: f.path, line: f.line, column: f.column, ruleId: f.ruleId, fingerprint: f.fingerprint, message: f.message, severity: f.severity, trace: f.trace }));

if (mode === "scan") {
  let stdout = "";
  const code = await runCli(["scan", dir, "--format", "json", "--quiet", "--fail-on", "none", "--jobs", String(jobs), ...rest], { stdout: { write: (s: string) => (stdout += s) }, stderr: process.stderr, cwd: process.cwd(), env: process.env });
  const report = JSON.parse(stdout) as { findings: Finding[]; stats: Record<string, unknown> };
  out = { code, findings: found(report.findings), stats: { ...report.stats, skippedFiles: undefined, suppressed: undefined } };
} else if (mode === "ts" || mode === "python") {
  const want = mode === "ts" ? ["typescript", "javascript"] : ["python"];
  const files = walk((p) => want.includes(languageOf(p) ?? ""));
  const result = await scanTree(files, {}, { jobs });
  out = { findings: found(result.findings), lines: result.stats.linesAnalyzed, files: result.stats.filesAnalyzed, units: result.units };
} else if (mode === "warm") {
  const cache = new MemoryResultCache();
  const files = walk();
  const t0 = performance.now();
  const cold = await scanTree(files, {}, { jobs, cache });
  const t1 = performance.now();
  const warm = await scanTree(walk(), {}, { jobs, cache });
  const t2 = performance.now();
  out = { coldMs: Math.round(t1 - t0), warmMs: Math.round(t2 - t1), warmScanMs: Math.round(warm.stats.durationMs), units: warm.units, same: JSON.stringify(found(cold.findings)) === JSON.stringify(found(warm.findings)), findings: cold.findings.length, cacheBytes: cache.size };
} else if (mode === "before") {
  const { analyze } = await import("../src/engine/index.js");
  const { files } = collectFiles(dir, true, collect);
  const result = analyze(files);
  out = { findings: found(result.findings), lines: result.stats.linesAnalyzed, files: result.stats.filesAnalyzed };
} else if (mode === "baseline") {
  const { analyze } = await import("../src/engine/index.js");
  // A pull request that modified every file of the folder, its base the same text: a rescan's baseline.
  const { files: read } = collectFiles(join(dir, rest[0]!), true, collect);
  const files: SourceInput[] = read.map((f) => ({ path: f.path, content: f.content, base: f.content }));
  const head = analyze(files);
  const diff = new Map(files.map((f) => [f.path, allLines(f.content)]));
  const t0 = performance.now();
  const uncached = analyzeBaseline(files, head, {}, analyze, diff);
  const t1 = performance.now();
  const cache = new MemoryResultCache();
  const cold = await analyzeBaselineCached(files, head, {}, diff, cache);
  const t2 = performance.now();
  const warm = await analyzeBaselineCached(files, head, {}, diff, cache);
  const t3 = performance.now();
  out = {
    files: files.length,
    headFindings: head.findings.length,
    fingerprints: uncached?.fingerprints.length ?? 0,
    uncachedMs: Math.round(t1 - t0),
    coldMs: Math.round(t2 - t1),
    warmMs: Math.round(t3 - t2),
    same: JSON.stringify([...(uncached?.fingerprints ?? [])].sort()) === JSON.stringify([...(warm?.fingerprints ?? [])].sort()),
  };
} else {
  throw new Error(`unknown mode ${mode}`);
}

const used = process.cpuUsage(cpu);
// Exit once the line is written: a pipe takes it in pieces, and threads or a cache would keep the process alive.
process.stdout.write(`${JSON.stringify({ mode, wallMs: Math.round(performance.now() - started), cpuMs: Math.round((used.user + used.system) / 1000), maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024), jobs, ...out })}\n`, () =>
  process.exit(0),
);
