import { readFileSync } from "node:fs";
import v8 from "node:v8";
import vm from "node:vm";
import { parentPort } from "node:worker_threads";
import { needsScripts } from "../engine/language.js";
import { analyzeUnit, type Analyzer } from "../engine/analyze-unit.js";
import type { AnalyzeOptions, SourceInput, TreeFacts } from "../engine/types.js";
import type { AnalysisUnit } from "../engine/units.js";
import { contentDigest } from "./digest.js";
import type { UnitFile } from "./tree-scan.js";

/** Heap in use past which the thread collects garbage between units (as the review's analysis thread does). */
const COLLECT_ABOVE_BYTES = 128 * 1024 * 1024;
v8.setFlagsFromString("--expose-gc");
const collectGarbage = vm.runInNewContext("gc") as () => void;

let tree: TreeFacts = {};
/** `analyze`, loaded with the TypeScript compiler by the first unit that has TypeScript or JavaScript files. */
let scripts: Analyzer | undefined;
let options: AnalyzeOptions = {};

/**
 * The body of a scan thread: units one at a time, each read from disk (or handed over), analyzed
 * and let go. With each result it sends the digest of every file as it read it, so that a file
 * changed since it was planned is never cached under its old digest, and the memory it holds:
 * its heap and the parsers' WebAssembly memory, which never shrinks (the scan budgets threads by
 * it, and replaces one that holds too much). The TypeScript compiler is loaded only once a unit
 * has TypeScript or JavaScript files: a thread that analyzes Python and configs holds ~60 MB less.
 * The caller sends the next unit only after the answer to the last, so units never overlap.
 */
parentPort!.on("message", async (message: { type: "init"; tree: TreeFacts; options: AnalyzeOptions } | { type: "unit"; id: number; unit: AnalysisUnit; files: UnitFile[] }) => {
  if (message.type === "init") {
    ({ tree, options } = message);
    return;
  }
  const { id, unit, files } = message;
  try {
    const digests: Record<string, string> = {};
    const byPath = new Map<string, SourceInput>();
    for (const file of files) {
      const content = file.content ?? readFileSync(file.absolute!, "utf8");
      digests[file.path] = contentDigest(content, file.base);
      byPath.set(file.path, { path: file.path, content, ...(file.base !== undefined ? { base: file.base } : {}) });
    }
    if (needsScripts(unit.files)) scripts ??= (await import("../engine/analyze.js")).analyze;
    const result = analyzeUnit(unit, (path) => byPath.get(path)!, options, tree, scripts);
    byPath.clear();
    if (v8.getHeapStatistics().used_heap_size > COLLECT_ABOVE_BYTES) collectGarbage();
    const heap = v8.getHeapStatistics();
    parentPort!.postMessage({ id, result, digests, heldBytes: heap.total_heap_size + heap.external_memory });
  } catch (error) {
    parentPort!.postMessage({ id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
});
