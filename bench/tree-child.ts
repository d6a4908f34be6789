import { availableParallelism } from "node:os";
import { join } from "node:path";
import { collectFiles, walkFiles, type CollectOptions } from "../src/cli/collect-files.js";
import { runCli } from "../src/cli/run-cli.js";
import { languageOf } from "../src/engine/language.js";
import type { Finding, SourceInput } from "../src/engine/types.js";
import { analyzeBaseline, analyzeBaselineCached } from "../src/review/baseline.js";
import { allLines } from "../src/review/diff-lines.js";
import { MemoryResultCache } from "../src/scan/result-cache.js";
import { scanFile, scanFolder, scanTree, type ScanFile, type ThreadKind, type UnitTiming } from "../src/scan/tree-scan.js";

/**
 * One measurement of `bench/whole-tree.ts`, in a process of its own so that its peak memory is
 * its own. Prints one JSON line: wall and CPU time (every thread of the process), peak RSS, and
 * what was found. Modes: scan (the CLI), threads (the CLI's scan, and how its threads were used:
 * see `threadUse`), ts|python (the scan of one language's files), warm (a
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
} else if (mode === "threads") {
  const timings: UnitTiming[] = [];
  const walked = { target: dir, isDirectory: true, ignore: [], maxFileBytes: collect.maxFileBytes, maxDependencyFileBytes: collect.maxDependencyFileBytes };
  const { result } = await scanFolder(walked, {}, { jobs, onUnitTimed: (t) => void timings.push(t) });
  out = { findings: found(result.findings), threads: threadUse(timings) };
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

/**
 * How a scan's threads were used, from its units' timings: how long they took from the first
 * unit handed over to the last answered, for how much of it two units or more were in flight, and
 * by kind of thread (TypeScript/JavaScript or not) how many threads were started, and the units'
 * lines and summed time (a unit on a freshly started thread, and beside another, takes longer).
 */
export function threadUse(timings: readonly UnitTiming[]): ThreadUse {
  const edges = timings.flatMap((t) => [{ at: t.startMs, step: 1 }, { at: t.endMs, step: -1 }]).sort((a, b) => a.at - b.at || a.step - b.step);
  let inFlight = 0;
  let last = 0;
  let sideBySideMs = 0;
  for (const { at, step } of edges) {
    if (inFlight >= 2) sideBySideMs += at - last;
    inFlight += step;
    last = at;
  }
  const kind = (k: ThreadKind): KindUse => {
    const mine = timings.filter((t) => t.kind === k);
    return { units: mine.length, threads: mine.filter((t) => t.firstOnThread).length, lines: mine.reduce((n, t) => n + t.lines, 0), ms: Math.round(mine.reduce((n, t) => n + t.endMs - t.startMs, 0)) };
  };
  const spanMs = timings.length === 0 ? 0 : Math.max(...timings.map((t) => t.endMs)) - Math.min(...timings.map((t) => t.startMs));
  return { spanMs: Math.round(spanMs), sideBySideMs: Math.round(sideBySideMs), scripts: kind("scripts"), scriptless: kind("scriptless") };
}

export interface ThreadUse {
  spanMs: number;
  sideBySideMs: number;
  scripts: KindUse;
  scriptless: KindUse;
}

interface KindUse {
  units: number;
  threads: number;
  lines: number;
  ms: number;
}
