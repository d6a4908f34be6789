import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { emptyResult, mergeResults } from "../engine/results.js";
import type { AnalysisResult, AnalyzeOptions, SourceInput, TreeFacts } from "../engine/types.js";
import { factsOf, planUnits, type AnalysisUnit, type FileFacts } from "../engine/units.js";
import { contentDigest, optionsDigest, unitKey } from "./digest.js";
import { engineVersion } from "./engine-version.js";
import type { ResultCache } from "./result-cache.js";

/**
 * A file of a tree to scan, as the scan keeps it: what planning needs, its digest, and where
 * to read it again (on disk, or its text when the caller holds it anyway).
 */
export interface ScanFile {
  path: string;
  facts: FileFacts;
  digest: string;
  /** Where a thread reads the file; without it, `content` is handed over. */
  absolute?: string;
  content?: string;
  base?: string;
}

/** A file as a thread receives it. */
export interface UnitFile {
  path: string;
  absolute?: string;
  content?: string;
  base?: string;
}

export interface ScanProgress {
  filesDone: number;
  filesTotal: number;
  linesDone: number;
  linesTotal: number;
  elapsedMs: number;
  /** The unit last started: where its files are, and how many. */
  current?: string;
}

export interface TreeScanSettings {
  /** Threads that analyze units; 1 analyzes on the calling thread. */
  jobs: number;
  cache?: ResultCache;
  onProgress?: (progress: ScanProgress) => void;
  /** What the threads may hold together, each its engine and its unit (estimated from its lines): default MEMORY_BUDGET_BYTES. */
  memoryBudgetBytes?: number;
}

export interface TreeScanResult extends AnalysisResult {
  units: { total: number; cached: number };
}

const MB = 1024 * 1024;
/** Past this much memory outside its heap (the parsers' WebAssembly memory, which never shrinks), a thread is replaced after its unit. */
const REPLACE_ABOVE_EXTERNAL_BYTES = 160 * MB;
/** Past this much heap (V8 keeps the pages a large unit grew it by), a thread is replaced after its unit. */
const REPLACE_ABOVE_HEAP_BYTES = 384 * MB;
/**
 * What a scan thread holds with the engine loaded and no unit: the TypeScript compiler, ts-morph,
 * the rules and the Python parser (measured: about 100 MB of resident memory a thread).
 */
export const THREAD_BYTES = 100 * MB;
/**
 * What a scan's threads may hold together, engine included (see `onThreads`): with the planning
 * thread (about 60 MB), a scan stays near 400 MB unless one unit alone needs more.
 * `SCAN_MEMORY_MB` sets it for the CLI.
 */
export const MEMORY_BUDGET_BYTES = 320 * MB;

/** A file to scan from its text: its facts and digest are read now; `keepText` keeps the text to hand to a thread. */
export function scanFile(file: SourceInput, where: { absolute?: string; keepText?: boolean } = {}): ScanFile {
  return {
    path: file.path,
    facts: factsOf(file.path, file.content),
    digest: contentDigest(file.content, file.base),
    ...(where.absolute !== undefined ? { absolute: where.absolute } : {}),
    ...(where.keepText || where.absolute === undefined ? { content: file.content, ...(file.base !== undefined ? { base: file.base } : {}) } : {}),
  };
}

/**
 * Analyzes a whole tree: split into units (`planUnits`), each looked up in the cache by its key
 * (`unitKey`), the others analyzed on `jobs` threads, largest first, and stored. The result is
 * that of `analyze(files, options)`. Memory is that of the largest units in flight, not of the tree.
 */
export async function scanTree(files: readonly ScanFile[], options: AnalyzeOptions, settings: TreeScanSettings): Promise<TreeScanResult> {
  const started = performance.now();
  const plan = planUnits(files.map((f) => f.facts));
  const byPath = new Map(files.map((f) => [f.path, f]));
  const wanted = options.only ? new Set(options.only) : undefined;
  const work = plan.units
    .map((unit) => ({ unit, checked: unit.files.filter((p) => !unit.context.includes(p) && (!wanted || wanted.has(p))) }))
    .filter((w) => w.checked.length > 0);
  const progress: ScanProgress = { filesDone: 0, filesTotal: work.reduce((n, w) => n + w.checked.length, 0), linesDone: 0, linesTotal: work.reduce((n, w) => n + w.unit.lines, 0), elapsedMs: 0 };
  const report = (current?: AnalysisUnit) => {
    progress.elapsedMs = performance.now() - started;
    if (current) progress.current = labelOf(current);
    settings.onProgress?.({ ...progress });
  };
  const done = (w: { unit: AnalysisUnit; checked: string[] }) => {
    progress.filesDone += w.checked.length;
    progress.linesDone += w.unit.lines;
    report();
  };

  const cacheOptions = settings.cache ? optionsDigest(options) : undefined;
  const engine = cacheOptions !== undefined ? engineVersion() : "";
  const keyOf = (w: { unit: AnalysisUnit; checked: string[] }) => (cacheOptions !== undefined ? unitKey(engine, cacheOptions, w.unit, (p) => byPath.get(p)!.digest, w.checked) : undefined);
  const results: AnalysisResult[] = [];
  const misses: { unit: AnalysisUnit; checked: string[]; key?: string }[] = [];
  const lookups = await Promise.all(work.map(async (w) => {
    const key = keyOf(w);
    return { ...w, key, hit: key !== undefined ? await settings.cache!.get(key) : undefined };
  }));
  for (const w of lookups) {
    if (w.hit) {
      results.push(w.hit);
      done(w);
    } else {
      misses.push(w);
    }
  }
  const cached = results.length;
  report();

  const stores: Promise<void>[] = [];
  const store = (w: { key?: string; unit: AnalysisUnit }, result: AnalysisResult, digests?: Record<string, string>) => {
    // A file that changed between planning and reading is not cached under the digest it had.
    const same = !digests || w.unit.files.every((p) => digests[p] === byPath.get(p)!.digest);
    if (w.key !== undefined && same) stores.push(settings.cache!.set(w.key, result));
  };
  const unitFiles = (unit: AnalysisUnit): UnitFile[] =>
    unit.files.map((p) => {
      const f = byPath.get(p)!;
      return f.absolute !== undefined && f.content === undefined ? { path: p, absolute: f.absolute } : { path: p, content: f.content!, ...(f.base !== undefined ? { base: f.base } : {}) };
    });

  const script = new URL("./unit-thread.js", import.meta.url);
  // Run from the TypeScript sources (tests), there is no thread script: the calling thread analyzes.
  if (settings.jobs <= 1 || misses.length <= 1 || !existsSync(fileURLToPath(script))) {
    // The engine is loaded only where it runs: with threads, this thread only plans and merges.
    const { analyzeUnit } = await import("../engine/analyze-units.js");
    for (const w of misses) {
      report(w.unit);
      const sources = new Map(unitFiles(w.unit).map((f) => [f.path, { path: f.path, content: f.content ?? readFileSync(f.absolute!, "utf8"), ...(f.base !== undefined ? { base: f.base } : {}) }]));
      const result = analyzeUnit(w.unit, (p) => sources.get(p)!, options, plan.tree) ?? emptyResult();
      const digests = Object.fromEntries([...sources.values()].map((s) => [s.path, contentDigest(s.content, s.base)]));
      results.push(result);
      store(w, result, digests);
      done(w);
      // Let the event loop run: progress is drawn, Redis answers.
      await new Promise((resolve) => setImmediate(resolve));
    }
  } else {
    results.push(...(await onThreads(script, misses, Math.min(settings.jobs, misses.length), settings.memoryBudgetBytes ?? MEMORY_BUDGET_BYTES, plan.tree, options, unitFiles, report, (w, result, digests) => {
      store(w, result, digests);
      done(w);
    })));
  }
  await Promise.all(stores);
  return { ...mergeResults(results, performance.now() - started), units: { total: work.length, cached } };
}

/**
 * Units analyzed on threads. A thread that finishes one takes the largest unit left that fits
 * within `budget` beside those in flight, counting each running thread's engine (THREAD_BYTES)
 * and each unit's memory (estimated from its lines), or any unit when nothing else is in flight:
 * a unit too large to share memory runs alone, small ones run beside each other. A thread for
 * which no unit fits is let go rather than kept idle (it would hold the engine and the heap its
 * last unit left), and started again once a unit fits.
 */
function onThreads<W extends { unit: AnalysisUnit }>(
  script: URL,
  queue: W[],
  jobs: number,
  budget: number,
  tree: TreeFacts,
  options: AnalyzeOptions,
  filesOf: (unit: AnalysisUnit) => UnitFile[],
  started: (unit: AnalysisUnit) => void,
  finished: (w: W, result: AnalysisResult, digests: Record<string, string>) => void,
): Promise<AnalysisResult[]> {
  const results: AnalysisResult[] = [];
  const pending = [...queue];
  /**
   * Threads let go while a unit too large to share memory with runs: an idle thread still holds
   * the engine and what its last unit left in its heap. Started again when a unit fits.
   */
  let parked = 0;
  let running = 0;
  let inFlight = 0;
  let nextId = 0;
  let failed = false;
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      reject(error);
    };
    const spawn = (): Worker => {
      const worker = new Worker(script);
      worker.postMessage({ type: "init", tree, options });
      worker.on("error", (error) => fail(new Error(`a scan thread crashed: ${error.message}`)));
      return worker;
    };
    const fits = (w: W) => running === 0 || (running + 1) * THREAD_BYTES + inFlight + estimatedBytes(w.unit) <= budget;
    const pick = (): W | undefined => {
      const i = pending.findIndex(fits);
      return i < 0 ? undefined : pending.splice(i, 1)[0];
    };
    const feed = (worker: Worker) => {
      if (failed) return void worker.terminate();
      const w = pick();
      if (!w) {
        void worker.terminate();
        if (pending.length > 0) parked++;
        else if (running === 0) resolve(results);
        return;
      }
      const bytes = estimatedBytes(w.unit);
      running++;
      inFlight += bytes;
      started(w.unit);
      worker.once("message", (message: { result?: AnalysisResult; digests?: Record<string, string>; externalBytes?: number; heapBytes?: number; error?: string }) => {
        running--;
        inFlight -= bytes;
        if (message.error !== undefined || !message.result) {
          void worker.terminate();
          return fail(new Error(`analysis of ${labelOf(w.unit)} failed: ${message.error}`));
        }
        results.push(message.result);
        finished(w, message.result, message.digests ?? {});
        if (((message.externalBytes ?? 0) > REPLACE_ABOVE_EXTERNAL_BYTES || (message.heapBytes ?? 0) > REPLACE_ABOVE_HEAP_BYTES) && pending.length > 0) {
          void worker.terminate();
          parked++;
        } else {
          feed(worker);
        }
        // A unit done frees memory: threads let go for want of it may start again.
        while (parked > 0 && !failed && pending.some(fits)) {
          parked--;
          feed(spawn());
        }
      });
      worker.postMessage({ type: "unit", id: nextId++, unit: w.unit, files: filesOf(w.unit) });
    };
    // The first thread always has a unit; the others start when one fits beside it.
    feed(spawn());
    for (let i = 1; i < jobs; i++) {
      if (pending.some(fits)) feed(spawn());
      else if (pending.length > 0) parked++;
    }
  });
}

/**
 * What analyzing a unit holds in memory at its peak beside the engine, roughly: 24 MB (the
 * compiler's and the rules' state of any analysis) and 3 KB a line (syntax trees, what the rules
 * keep of them, and the garbage they leave before a collection). Measured as the resident memory
 * a thread grows by: about 100 MB for 25 kLOC of TypeScript, 190 MB for 68 kLOC of TypeScript,
 * 140 MB for 75 kLOC of Python, whose trees live in WebAssembly memory.
 */
function estimatedBytes(unit: AnalysisUnit): number {
  return 24 * MB + unit.lines * 3 * 1024;
}

/** Where a unit's files are: their common folder (or the one file), and how many there are. */
function labelOf(unit: AnalysisUnit): string {
  const own = unit.files.filter((p) => !unit.context.includes(p));
  if (own.length === 1) return own[0]!;
  let prefix = own[0]!.split("/").slice(0, -1);
  for (const path of own) {
    const parts = path.split("/");
    let i = 0;
    while (i < prefix.length && prefix[i] === parts[i]) i++;
    prefix = prefix.slice(0, i);
  }
  return `${prefix.length > 0 ? `${prefix.join("/")}/` : ""} (${own.length} files)`;
}
