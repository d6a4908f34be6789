import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { analyze, isAnalyzable } from "../src/engine/index.js";
import type { SourceInput } from "../src/engine/types.js";
import { mcpServerSource, plainSource } from "../test/support/mcp-corpus.js";

/**
 * The parts of `npm run bench` the per-language scripts do not print: which rules cost the most
 * (over the MCP SDK and a generated MCP corpus), and a whole-repository CLI scan of about
 * 100 kLOC (target: under 10 s) with its peak memory.
 */

const SDK = "node_modules/@modelcontextprotocol/sdk/dist/esm";

function readTree(root: string): SourceInput[] {
  const out: SourceInput[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      const stat = statSync(full);
      if (stat.isDirectory()) walk(full);
      else if (stat.size <= 512 * 1024 && isAnalyzable(full)) out.push({ path: relative(root, full).split(sep).join("/"), content: readFileSync(full, "utf8") });
    }
  };
  walk(root);
  return out;
}

function slowestRules(label: string, files: SourceInput[]): void {
  const { stats, findings } = analyze(files);
  const rules = Object.entries(stats.ruleMs ?? {}).sort(([, a], [, b]) => b - a).slice(0, 6);
  console.log(`${label}: ${files.length} files, ${(stats.linesAnalyzed / 1000).toFixed(1)} kLOC in ${stats.durationMs} ms, ${findings.length} findings`);
  console.log(`  slowest rules  ${rules.map(([id, ms]) => `${id} ${ms.toFixed(0)} ms`).join(", ")}`);
}

function corpus(servers: number, plain: number): SourceInput[] {
  return [
    ...Array.from({ length: servers }, (_, i) => ({ path: `servers/server-${i}.ts`, content: mcpServerSource(i, 120) })),
    ...Array.from({ length: plain }, (_, i) => ({ path: `lib/module-${i}.ts`, content: plainSource(i, 80) })),
  ];
}

console.log("== slowest rules");
if (existsSync(SDK)) slowestRules("MCP TypeScript SDK (dist/esm)", readTree(SDK));
else console.log(`  (${SDK} is not installed: run npm ci)`);
slowestRules("generated corpus (400 MCP servers, 600 plain modules)", corpus(400, 600));

console.log("\n== whole-repository CLI scan (target: 100 kLOC in under 10 s)");
const repo = mkdtempSync(join(tmpdir(), "mcp-review-bench-"));
let lines = 0;
for (const file of corpus(400, 600)) {
  mkdirSync(join(repo, file.path, ".."), { recursive: true });
  writeFileSync(join(repo, file.path), file.content);
  lines += file.content.split("\n").length - 1;
}
const result = JSON.parse(execFileSync(process.execPath, ["dist/bench/cli-child.js", repo], { encoding: "utf8", maxBuffer: 1 << 26 }).trim().split("\n").pop()!);
console.log(`  ${(lines / 1000).toFixed(1)} kLOC in 1000 files: ${(result.ms / 1000).toFixed(2)} s, ${((lines / 1000) / (result.ms / 1000)).toFixed(1)} kLOC/s, peak rss ${result.maxRssMb} MB, exit ${result.exit}`);
rmSync(repo, { recursive: true, force: true });
