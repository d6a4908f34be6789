import { execFileSync } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { resolve } from "node:path";
import { walkFiles } from "../src/cli/collect-files.js";
import { languageOf } from "../src/engine/language.js";
import type { SkippedFile } from "../src/engine/types.js";
import type { ThreadUse } from "./tree-child.js";

/**
 * A whole-tree scan of DIR: `npm run bench:tree -- DIR` (default: node_modules).
 *
 * Prints the tree (files and lines by language, what was skipped and why), then, each measured in
 * a process of its own: the CLI's scan with the default --jobs (kLOC/s, CPU, peak RSS, findings
 * by language); the same scan again, telling how it used its threads (how long two units ran side
 * by side, each kind's units, their time and thread starts); the scan with a memory budget that
 * lets any units share the threads (BENCH_ROOMY_MB, default 4096), to show what the default
 * budget costs; the TypeScript/JavaScript and the Python files scanned apart (kLOC/s by
 * language); the same scan again with its result cache warm; and a pull request's baseline of an
 * unchanged base, cold and warm. BENCH_BEFORE=1 adds one analysis of the whole tree, as the CLI
 * did before it analyzed in units, and compares the findings. BENCH_JOBS sets --jobs. The load
 * average is printed before and after: on a shared machine, wall time measures the neighbours too.
 */
const dir = resolve(process.argv[2] ?? "node_modules");
const child = "dist/bench/tree-child.js";

type Lang = "ts/js" | "python" | "config";
const langOf = (path: string): Lang => {
  const l = languageOf(path);
  return l === "typescript" || l === "javascript" ? "ts/js" : l === "python" ? "python" : "config";
};

interface Measured {
  wallMs: number;
  cpuMs: number;
  maxRssMb: number;
  jobs: number;
  findings?: { path: string }[];
  [key: string]: unknown;
}

function measure(...args: string[]): Measured {
  return measureWith({}, ...args);
}

function measureWith(env: Record<string, string>, ...args: string[]): Measured {
  const line = execFileSync(process.execPath, [child, ...args], { encoding: "utf8", maxBuffer: 1 << 28, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env } }).trim().split("\n").pop()!;
  return JSON.parse(line) as Measured;
}

const load = () => loadavg().map((n) => n.toFixed(2)).join(" ");
const kloc = (lines: number) => `${(lines / 1000).toFixed(0)} kLOC`;
const rate = (lines: number, ms: number) => `${(lines / ms).toFixed(1)} kLOC/s`;
const byLang = (findings: { path: string }[] = []) => {
  const out: Record<Lang, number> = { "ts/js": 0, python: 0, config: 0 };
  for (const f of findings) out[langOf(f.path)]++;
  return out;
};

console.log(`== whole-tree scan of ${dir}`);
console.log(`  machine    ${availableParallelism()} CPUs, load average ${load()}`);
const lines: Record<Lang, number> = { "ts/js": 0, python: 0, config: 0 };
const files: Record<Lang, number> = { "ts/js": 0, python: 0, config: 0 };
const skipped: SkippedFile[] = walkFiles(dir, true, { ignored: () => false, maxFileBytes: 512 * 1024, maxDependencyFileBytes: 50 * 1024 * 1024 }, (f) => {
  const lang = langOf(f.path);
  files[lang]++;
  lines[lang] += f.content.split("\n").length;
});
const codeLines = lines["ts/js"] + lines.python;
console.log(`  tree       ${files["ts/js"]} TS/JS files (${kloc(lines["ts/js"])}), ${files.python} Python files (${kloc(lines.python)}), ${files.config} configs and manifests (${kloc(lines.config)})`);
const reasons = new Map<string, number>();
for (const s of skipped) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
console.log(`  skipped    ${[...reasons].map(([r, n]) => `${r} ${n}`).join(", ") || "nothing"}`);

const scan = measure("scan", dir);
const found = byLang(scan.findings);
const stats = scan.stats as { units: { total: number }; linesScanned: number };
console.log(`\n  scan       ${(scan.wallMs / 1000).toFixed(1)} s wall, ${(scan.cpuMs / 1000).toFixed(1)} s CPU on --jobs ${scan.jobs}, ${stats.units.total} units`);
console.log(`             ${rate(codeLines, scan.wallMs)} over the TS/JS and Python lines (${rate(codeLines, scan.cpuMs)} per CPU second)`);
console.log(`             peak RSS ${scan.maxRssMb} MB`);
console.log(`  findings   ${scan.findings!.length}: TS/JS ${found["ts/js"]}, Python ${found.python}, configs and manifests ${found.config}`);

// Where the scan's time went: how long two units were analyzed side by side, and each kind's units.
const use = measure("threads", dir).threads as ThreadUse;
const kindLine = (k: typeof use.scripts) => `${(k.ms / 1000).toFixed(1)} s for ${kloc(k.lines)} (${rate(k.lines, k.ms)}) in ${k.units} units on ${k.threads} thread${k.threads === 1 ? "" : "s"}`;
console.log(`  threads    units in flight ${(use.spanMs / 1000).toFixed(1)} s, two side by side for ${(use.sideBySideMs / 1000).toFixed(1)} s of it (the same scan, measured again)`);
console.log(`             TS/JS units ${kindLine(use.scripts)}; Python and config units ${kindLine(use.scriptless)}`);

// What the default memory budget costs: the same scan with room for any two units side by side.
const roomy = process.env.BENCH_ROOMY_MB ?? "4096";
const fast = measureWith({ SCAN_MEMORY_MB: roomy }, "scan", dir);
const same = JSON.stringify(fast.findings) === JSON.stringify(scan.findings);
console.log(`  SCAN_MEMORY_MB=${roomy}: ${(fast.wallMs / 1000).toFixed(1)} s wall (${rate(codeLines, fast.wallMs)}), ${(fast.cpuMs / 1000).toFixed(1)} s CPU, peak RSS ${fast.maxRssMb} MB, same findings: ${same}`);

for (const [mode, lang] of [["ts", "ts/js"], ["python", "python"]] as const) {
  const m = measure(mode, dir);
  console.log(`  ${lang.padEnd(10)} ${rate(lines[lang], m.wallMs)} (${(m.wallMs / 1000).toFixed(1)} s wall, ${(m.cpuMs / 1000).toFixed(1)} s CPU), peak RSS ${m.maxRssMb} MB, ${m.findings!.length} findings`);
}

const warm = measure("warm", dir);
console.log(`\n  cache      cold ${(Number(warm.coldMs) / 1000).toFixed(1)} s, warm ${(Number(warm.warmMs) / 1000).toFixed(2)} s (${(Number(warm.coldMs) / Number(warm.warmMs)).toFixed(0)}x), ${(warm.units as { cached: number }).cached} units read back, same findings: ${warm.same}, ${(Number(warm.cacheBytes) / 1024 / 1024).toFixed(1)} MB cached`);

// A pull request's baseline: the folder (two levels down) with the most findings, every file modified, its base unchanged.
const counts = new Map<string, number>();
for (const f of scan.findings!) {
  const top = f.path.split("/").slice(0, 2).join("/");
  if (f.path.split("/").length > 2) counts.set(top, (counts.get(top) ?? 0) + 1);
}
const prDir = process.env.BENCH_PR_DIR ?? [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
if (prDir) {
  const base = measure("baseline", dir, prDir);
  console.log(
    `  baseline   ${prDir}: ${base.files} files, ${base.fingerprints} findings on the base; as before ${base.uncachedMs} ms, cold ${base.coldMs} ms, warm ${base.warmMs} ms (${(Number(base.coldMs) / Math.max(1, Number(base.warmMs))).toFixed(0)}x), same: ${base.same}`,
  );
}

if (process.env.BENCH_BEFORE === "1") {
  const before = measure("before", dir);
  const key = (f: { path: string; line?: unknown; column?: unknown; ruleId?: unknown; fingerprint?: unknown }) => JSON.stringify(f);
  const a = new Set(before.findings!.map(key));
  const b = new Set(scan.findings!.map(key));
  const onlyBefore = [...a].filter((k) => !b.has(k));
  const onlyNow = [...b].filter((k) => !a.has(k));
  console.log(`\n  before     one analysis of the tree: ${(before.wallMs / 1000).toFixed(1)} s wall, ${(before.cpuMs / 1000).toFixed(1)} s CPU, peak RSS ${before.maxRssMb} MB, ${before.findings!.length} findings (${rate(codeLines, before.wallMs)})`);
  console.log(`             findings only before: ${onlyBefore.length}, only now: ${onlyNow.length}`);
  for (const k of [...onlyBefore.slice(0, 10).map((k) => `- ${k}`), ...onlyNow.slice(0, 10).map((k) => `+ ${k}`)]) console.log(`             ${k.slice(0, 200)}`);
}
console.log(`\n  load average after: ${load()}`);
