// Throughput of the TypeScript/JavaScript analysis over real trees: files/s, kLOC/s, peak memory.
// Usage: npm run bench:ts [-- DIR...]   (defaults: the MCP SDK in node_modules, then all of node_modules)
// Runs the built engine (dist/), in batches of BATCH files per analyze() call, the way a large
// pull request or a CLI scan would hand them over.
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { analyze } from "../dist/src/engine/index.js";

const TS_JS = /\.(?:[cm]?[jt]s|[jt]sx)$/i;
const MAX_BYTES = 512 * 1024;
const BATCH = Number(process.env.BENCH_BATCH ?? 1000);
const targets = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["node_modules/@modelcontextprotocol/sdk", "node_modules"];

function collect(root) {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === ".git") continue;
      const absolute = join(dir, entry.name);
      if (entry.isDirectory()) walk(absolute);
      else if (entry.isFile() && TS_JS.test(entry.name) && !/\.d\.[cm]?ts$/i.test(entry.name) && lstatSync(absolute).size <= MAX_BYTES) {
        files.push({ path: relative(root, absolute).split(sep).join("/"), content: readFileSync(absolute, "utf8") });
      }
    }
  };
  walk(root);
  return files;
}

function mb(bytes) {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

for (const target of targets) {
  const files = collect(target);
  const lines = files.reduce((n, f) => n + f.content.split("\n").length, 0);
  let peakRss = process.memoryUsage().rss;
  let findings = 0;
  let analyzed = 0;
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < files.length; i += BATCH) {
    const result = analyze(files.slice(i, i + BATCH));
    findings += result.findings.length;
    analyzed += result.stats.filesAnalyzed;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const maxRss = process.resourceUsage().maxRSS * 1024;
  console.log(`${target}`);
  console.log(`  files      ${files.length} (${analyzed} analyzed), ${(lines / 1000).toFixed(1)} kLOC, batches of ${BATCH}`);
  // CPU time is printed too: on a shared machine wall time measures the neighbours as well.
  console.log(`  time       ${seconds.toFixed(2)} s wall, ${cpuSeconds.toFixed(2)} s CPU (${(lines / 1000 / cpuSeconds).toFixed(1)} kLOC per CPU second)`);
  console.log(`  throughput ${(files.length / seconds).toFixed(0)} files/s, ${(lines / 1000 / seconds).toFixed(1)} kLOC/s`);
  console.log(`  memory     peak rss ${mb(peakRss)} sampled after each batch, process high-water mark ${mb(maxRss)}`);
  console.log(`  findings   ${findings}`);
}
