import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { collectOptionsOf, walkFiles, type FolderWalk } from "../cli/collect-files.js";
import { emptyResult, mergeResults } from "../engine/results.js";
import type { AnalysisResult, AnalyzeOptions, SkippedFile, SourceInput, TreeFacts } from "../engine/types.js";
import { factsOf, type FileFacts } from "../engine/file-facts.js";
import { needsScripts } from "../engine/language.js";
import type { AnalysisUnit, UnitPlan } from "../engine/units.js";
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
  /**
   * Threads that analyze units. 0 analyzes on the calling thread, whose memory nothing bounds (V8
   * grows a heap it is not told to keep small: 1.4 GB over the bench tree against 0.4 GB on one
   * thread); for callers that already run on a thread of their own, over a few files.
   */
  jobs: number;
  cache?: ResultCache;
  onProgress?: (progress: ScanProgress) => void;
  /** What the threads may hold together, each its engine and its unit (estimated from its lines): default MEMORY_BUDGET_BYTES. */
  memoryBudgetBytes?: number;
  /** Told of each unit a thread answered, with when: how the threads were used (`npm run bench:tree` sums it up). */
  onUnitTimed?: (timing: UnitTiming) => void;
}

/** A unit analyzed on a thread: its kind of thread, its lines, and when it was handed over and answered. */
export interface UnitTiming {
  kind: ThreadKind;
  lines: number;
  /** Milliseconds since the threads' work began (`onThreads`). */
  startMs: number;
  endMs: number;
  /** Whether its thread was started for it: a fresh thread loads its engine, and its code is not yet optimized. */
  firstOnThread: boolean;
}

export interface TreeScanResult extends AnalysisResult {
  units: { total: number; cached: number };
}

const MB = 1024 * 1024;
/**
 * What a scan thread costs, by the units it takes (see `onThreads`): `engine` when fresh, `native`
 * beside what it reports it holds (what V8 keeps outside its heap after compiling and collecting:
 * a used thread's resident memory exceeds its report by about 32 MB), and for a unit `unit` and
 * `line` a line beside a fresh engine. A thread left `replaceAbove` over a fresh one after a unit
 * is replaced: V8 keeps the heap a large unit grew, and the parsers' memory never shrinks.
 *
 * - `scripts`, units with TypeScript or JavaScript files: the TypeScript compiler, ts-morph and the
 *   rules. A fresh thread measures 75-81 MB resident, and a unit on it 90-107 MB for 9-16 kLOC,
 *   120-125 MB for 25 kLOC, 190 MB for 68 kLOC; counted larger (24 MB and 3 KB a line on 100 MB),
 *   because with the measured figures two such threads ran side by side more often, which on 2
 *   cores bought no time for more memory (the bench tree's TypeScript and JavaScript, two runs
 *   each: 21.8-23.6 s and 364-378 MB at the peak, against 18.6-19.5 s and 288-304 MB). Reloading
 *   costs about 1.2 s of CPU, so a thread is replaced only after large units (at 64 MB, 10 to 18
 *   times over the bench tree and 40 % slower).
 * - `scriptless`, the others (Python, configs, manifests): the Python parser and the rules' Python
 *   side, 23 MB resident fresh (after a unit it reports at least 49 MB, the WebAssembly memory the
 *   parser reserves included); a unit on a fresh one measures 87 MB for 40 kLOC, 104-125 MB for
 *   63-65 kLOC, 231 MB for 142 kLOC. Without `native`, two Python threads of 40-65 kLOC units ran
 *   side by side at 112-139 MB reported each and the scan peaked at 406-422 MB. Reloading costs
 *   0.3 s, and such a thread holds 30-60 MB more after each large unit than the unit needed on a
 *   fresh one: replaced sooner.
 *
 * `heapLimitMb` caps the old generation of a thread's heap. V8 lets a heap grow well past what it
 * keeps alive before it collects, and the resident memory it touched stays with the process: with
 * 16 MB young generations, the TypeScript thread alone took the bench tree's scan from 113 to 419
 * MB over 9 s of units that each left 134-175 MB of heap after them (one run; the same code peaked
 * at 350 MB in two others). With the cap V8 collects instead (the bench tree's largest TypeScript
 * unit, 68 kLOC, runs within 192 MB). A unit that needs more stops its thread; it is analyzed
 * again once the others are done, alone on a thread without the cap. Python threads have none:
 * most of what they hold is the parser's WebAssembly memory, outside V8's heap.
 */
const THREAD_COSTS = {
  scripts: { engine: 100 * MB, native: 32 * MB, unit: 24 * MB, line: 3 * 1024, replaceAbove: 128 * MB, heapLimitMb: 224 },
  scriptless: { engine: 30 * MB, native: 32 * MB, unit: 8 * MB, line: 1536, replaceAbove: 96 * MB, heapLimitMb: undefined },
} as const;
/**
 * The young generation of a scan thread's heap (V8's default grows it to 48 MB): where the engine's
 * short-lived objects are collected. A small one is collected more often and holds less; this
 * engine's scans were no slower for it (over the bench tree, one run each: 48 MB 48 s and 430 MB at
 * the peak, 12 MB 44 s and 414 MB, 6 MB 38-39 s and 407-410 MB, 3 MB 37 s and 409 MB). Collecting
 * does cost: the bench tree's TypeScript and JavaScript analyzed on one thread spent 7.1 s in these
 * collections at 6 MB and 4.0 s at 16 MB (Python 5.2 s and 3.1 s). But at 16 MB threads report
 * more held after each unit, so more are replaced and start cold: over the bench tree 30 thread
 * starts against 12, and 48 s against 37 s (one run each, back to back).
 */
const YOUNG_GENERATION_MB = 6;
/**
 * What a scan's threads may hold together, engines included (see `onThreads`): with the calling
 * thread (about 85 MB with the CLI loaded) and what the estimates miss, a scan stays under 400 MB
 * unless one unit alone needs more. Over the bench tree, 240 MB peaked at 326-352 MB over four runs
 * and 280 MB at 389-390 MB over two, in the same time on 2 cores (two analyses side by side each
 * run at two thirds of the speed of one at best). `SCAN_MEMORY_MB` sets it for the CLI.
 */
export const MEMORY_BUDGET_BYTES = 240 * MB;

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
 * `scanTree` over a folder on disk, which it walks itself (reading each file once for what
 * planning needs and its digest), and what the walk did not read. With threads, the walk and the plan
 * run on a thread of their own that is gone before analysis starts (see `onPlanThread`).
 */
export async function scanFolder(walk: FolderWalk, options: AnalyzeOptions, settings: TreeScanSettings): Promise<{ result: TreeScanResult; skipped: SkippedFile[] }> {
  const started = performance.now();
  const { plan, files, skipped } = threaded(settings) ? await onPlanThread<PlannedFolder>({ walk }) : await planFolder(walk);
  return { result: await scanPlanned(plan, files, options, settings, started), skipped };
}

/** A walked and planned folder: its plan, its files (their digests and where they are), what was skipped. */
export interface PlannedFolder {
  plan: UnitPlan;
  files: PlannedFile[];
  skipped: SkippedFile[];
}

/** A file of a planned tree: its digest and where a thread reads it (its facts served the plan). */
export type PlannedFile = Omit<ScanFile, "facts">;

/** Walks and plans a folder (`scanFolder`, and its planning thread). */
export async function planFolder(walk: FolderWalk): Promise<PlannedFolder> {
  const files: ScanFile[] = [];
  const skipped = walkFiles(walk.target, walk.isDirectory, collectOptionsOf(walk), (file) => void files.push(scanFile(file, { absolute: file.absolute })));
  const { planUnits } = await import("../engine/units.js");
  const plan = planUnits(files.map((f) => f.facts));
  return { plan, files: files.map(({ facts: _, ...file }) => file), skipped };
}

/**
 * Analyzes a whole tree: split into units (`planUnits`), each looked up in the cache by its key
 * (`unitKey`), the others analyzed on `jobs` threads, largest first, and stored. The result is
 * that of `analyze(files, options)`. Memory is that of the largest units in flight, not of the tree.
 */
export async function scanTree(files: readonly ScanFile[], options: AnalyzeOptions, settings: TreeScanSettings): Promise<TreeScanResult> {
  const started = performance.now();
  const facts = files.map((f) => f.facts);
  // With threads, planning and what it allocates go to a thread of its own (see `onPlanThread`).
  const plan = threaded(settings) ? await onPlanThread<UnitPlan>({ facts }) : (await import("../engine/units.js")).planUnits(facts);
  return scanPlanned(plan, files, options, settings, started);
}

/** The units of a planned tree, read back from the cache or analyzed (see `scanTree`). */
async function scanPlanned(plan: UnitPlan, files: readonly PlannedFile[], options: AnalyzeOptions, settings: TreeScanSettings, started: number): Promise<TreeScanResult> {
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

  if (!threaded(settings) || misses.length <= 1) {
    // The engine is loaded only where it runs (with threads, this thread only plans and merges),
    // and its TypeScript side only for units that have TypeScript or JavaScript files.
    const { analyzeUnit } = await import("../engine/analyze-unit.js");
    const scripts = misses.some((w) => needsScripts(w.unit.files)) ? (await import("../engine/analyze.js")).analyze : undefined;
    for (const w of misses) {
      report(w.unit);
      const sources = new Map(unitFiles(w.unit).map((f) => [f.path, { path: f.path, content: f.content ?? readFileSync(f.absolute!, "utf8"), ...(f.base !== undefined ? { base: f.base } : {}) }]));
      const result = analyzeUnit(w.unit, (p) => sources.get(p)!, options, plan.tree, scripts) ?? emptyResult();
      const digests = Object.fromEntries([...sources.values()].map((s) => [s.path, contentDigest(s.content, s.base)]));
      results.push(result);
      store(w, result, digests);
      done(w);
      // Let the event loop run: progress is drawn, Redis answers.
      await new Promise((resolve) => setImmediate(resolve));
    }
  } else {
    const pool: ThreadPool<(typeof misses)[number]> = {
      script: UNIT_THREAD,
      jobs: Math.min(settings.jobs, misses.length),
      budget: settings.memoryBudgetBytes ?? MEMORY_BUDGET_BYTES,
      tree: plan.tree,
      options,
      filesOf: unitFiles,
      started: report,
      ...(settings.onUnitTimed ? { timed: settings.onUnitTimed } : {}),
      finished: (w, result, digests) => {
        store(w, result, digests);
        done(w);
      },
    };
    results.push(...(await onThreads(misses, pool)));
  }
  await Promise.all(stores);
  return { ...mergeResults(results, performance.now() - started), units: { total: work.length, cached } };
}

const UNIT_THREAD = new URL("./unit-thread.js", import.meta.url);
const PLAN_THREAD = new URL("./plan-thread.js", import.meta.url);

/** Whether a scan analyzes on threads: run from the TypeScript sources (tests), there is no thread script and the calling thread does it all. */
function threaded(settings: TreeScanSettings): boolean {
  return settings.jobs >= 1 && existsSync(fileURLToPath(UNIT_THREAD));
}

/**
 * Plans on a thread of its own (`plan-thread.ts`), for scans that analyze on threads: from the
 * facts of a tree's files, or walking a folder itself. Reading every file and planning allocate
 * some tens of megabytes that this thread's heap would keep committed for the whole scan
 * (measured over the bench tree with the CLI loaded: the process held 108 MB when analysis
 * started; walking and planning on a thread, 83-85 MB). The answer comes once the thread is gone,
 * and its memory with it.
 */
function onPlanThread<T>(request: { facts: FileFacts[] } | { walk: FolderWalk }): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(PLAN_THREAD, { workerData: request, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    let answer: { plan?: T; error?: string } | undefined;
    worker.once("message", (message: { plan?: T; error?: string }) => (answer = message));
    worker.once("error", (error) => reject(new Error(`planning the scan failed: ${error.message}`)));
    worker.once("exit", () => {
      if (answer?.plan !== undefined) resolve(answer.plan);
      else reject(new Error(`planning the scan failed: ${answer?.error ?? "its thread stopped without a plan"}`));
    });
  });
}

/**
 * Units analyzed on threads, in the order of `queue` (largest first), each on a thread whose
 * memory leaves room for it within `budget`. Threads are of two kinds, fixed by the first unit
 * they take: those that analyze units with TypeScript or JavaScript files load the TypeScript
 * compiler, the others never do (see `THREAD_COSTS`), and each takes only units of its kind, so
 * that neither holds the other's engine and memory. What a thread costs is what it holds (its
 * engine, the heap and WebAssembly memory its last units left, reported after each unit) or, while
 * it analyzes a unit, what the unit will need on a fresh thread of its kind if that is more: V8
 * reuses the heap a thread holds, and the parsers' memory never shrinks. A thread that holds much
 * more than a fresh one after a unit is replaced (its memory goes with it), and one with no unit of
 * its kind left is let go. An idle thread takes the largest unit of its kind that fits beside the
 * others; when none does, it lets idle threads go to make room, takes any unit of its kind when it
 * is alone, or waits. Threads are started while a unit fits beside the others on a fresh thread.
 */
export function onThreads<W extends { unit: AnalysisUnit }>(queue: readonly W[], pool: ThreadPool<W>): Promise<AnalysisResult[]> {
  const { script, jobs, budget, tree, options, filesOf, started, finished, timed } = pool;
  const began = performance.now();
  const results: AnalysisResult[] = [];
  const pending = [...queue];
  const kinds = new Map(queue.map((w) => [w, kindOf(w.unit)]));
  const threads = new Set<Thread>();
  /** The unit each busy thread analyzes. */
  const inFlight = new Map<Thread, W>();
  /** Units that needed more heap than their thread's limit: analyzed last, each alone without it. */
  const alone: W[] = [];
  let nextId = 0;
  let failed = false;
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      for (const thread of threads) void thread.worker.terminate();
      reject(error);
    };
    const spawn = (kind: ThreadKind, unlimited = false): Thread => {
      const limit = unlimited ? undefined : THREAD_COSTS[kind].heapLimitMb;
      const worker = new Worker(script, { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB, ...(limit !== undefined ? { maxOldGenerationSizeMb: limit } : {}) } });
      worker.postMessage({ type: "init", tree, options });
      const thread: Thread = { worker, kind, held: THREAD_COSTS[kind].engine, limited: limit !== undefined, units: 0 };
      worker.on("error", (error: Error & { code?: string }) => {
        const w = inFlight.get(thread);
        if (error.code === "ERR_WORKER_OUT_OF_MEMORY" && w && thread.limited && threads.has(thread)) {
          // Its unit needs more than the limit: the thread is gone; the unit waits to run alone.
          threads.delete(thread);
          inFlight.delete(thread);
          alone.push(w);
          schedule();
          return;
        }
        fail(new Error(`a scan thread crashed${w ? ` analyzing ${labelOf(w.unit)}` : ""}: ${error.message}`));
      });
      threads.add(thread);
      return thread;
    };
    /** Threads on their way out: the scan ends once they are gone, and their memory with them. */
    const exits: Promise<number>[] = [];
    const retire = (thread: Thread) => {
      threads.delete(thread);
      exits.push(thread.worker.terminate());
    };
    /** What the threads other than `except` hold or will need, together. */
    const besides = (except?: Thread) => {
      let bytes = 0;
      for (const other of threads) if (other !== except) bytes += other.cost ?? other.held + THREAD_COSTS[other.kind].native;
      return bytes;
    };
    /** The largest pending unit of the thread's kind that fits beside the others (any of its kind when `anyFits`), taken from `pending`. */
    const pick = (thread: Thread, anyFits = false): W | undefined => {
      const room = budget - besides(thread);
      const i = pending.findIndex((w) => kinds.get(w) === thread.kind && (anyFits || costOf(thread.held, thread.kind, w.unit) <= room));
      return i < 0 ? undefined : pending.splice(i, 1)[0];
    };
    const run = (thread: Thread, w: W) => {
      thread.cost = costOf(thread.held, thread.kind, w.unit);
      inFlight.set(thread, w);
      started(w.unit);
      const startMs = performance.now() - began;
      const firstOnThread = thread.units++ === 0;
      thread.worker.once("message", (message: { result?: AnalysisResult; digests?: Record<string, string>; heldBytes?: number; error?: string }) => {
        thread.cost = undefined;
        inFlight.delete(thread);
        if (message.error !== undefined || !message.result) return fail(new Error(`analysis of ${labelOf(w.unit)} failed: ${message.error}`));
        timed?.({ kind: thread.kind, lines: w.unit.lines, startMs, endMs: performance.now() - began, firstOnThread });
        results.push(message.result);
        finished(w, message.result, message.digests ?? {});
        const { engine, replaceAbove } = THREAD_COSTS[thread.kind];
        thread.held = Math.max(engine, message.heldBytes ?? 0);
        if (thread.held > engine + replaceAbove) retire(thread);
        schedule();
      });
      thread.worker.postMessage({ type: "unit", id: nextId++, unit: w.unit, files: filesOf(w.unit) });
    };
    /** Gives every idle thread a unit that fits, lets threads go and starts them as memory allows. */
    const schedule = () => {
      if (failed) return;
      for (const thread of [...threads]) {
        if (thread.cost !== undefined || !threads.has(thread)) continue;
        if (!pending.some((w) => kinds.get(w) === thread.kind)) {
          retire(thread);
          continue;
        }
        let w = pick(thread);
        if (!w && [...threads].some((t) => t !== thread && t.cost === undefined)) {
          // Idle threads hold memory a unit could use: let them go and look again.
          for (const other of [...threads]) if (other !== thread && other.cost === undefined) retire(other);
          w = pick(thread);
        }
        if (!w && threads.size === 1) w = pick(thread, true);
        if (w) run(thread, w);
      }
      // Start threads while a unit fits beside the others on a fresh thread of its kind.
      while (!failed && threads.size < jobs && pending.length > 0) {
        const room = budget - besides();
        const i = threads.size === 0 ? 0 : pending.findIndex((w) => costOf(THREAD_COSTS[kinds.get(w)!].engine, kinds.get(w)!, w.unit) <= room);
        if (i < 0) break;
        const w = pending.splice(i, 1)[0]!;
        run(spawn(kinds.get(w)!), w);
      }
      if (pending.length === 0) {
        for (const thread of [...threads]) if (thread.cost === undefined) retire(thread);
        if (threads.size > 0) return;
        const w = alone.shift();
        if (w) run(spawn(kinds.get(w)!, true), w);
        else void Promise.all(exits).then(() => resolve(results));
      }
    };
    schedule();
  });
}

/** How `onThreads` runs units: the thread script, how many threads and how much memory, and what to tell the caller. */
export interface ThreadPool<W> {
  /** The body of each thread (`unit-thread.ts`): answers each unit with its result and what the thread holds. */
  script: URL;
  jobs: number;
  /** What the threads may hold together, bytes. */
  budget: number;
  tree: TreeFacts;
  options: AnalyzeOptions;
  filesOf: (unit: AnalysisUnit) => UnitFile[];
  started: (unit: AnalysisUnit) => void;
  finished: (w: W, result: AnalysisResult, digests: Record<string, string>) => void;
  /** Told of each unit answered, with when (see `UnitTiming`). */
  timed?: (timing: UnitTiming) => void;
}

/** Whether a thread analyzes units with TypeScript or JavaScript files (and loads the TypeScript compiler for them) or the others. */
export type ThreadKind = keyof typeof THREAD_COSTS;

function kindOf(unit: AnalysisUnit): ThreadKind {
  return needsScripts(unit.files) ? "scripts" : "scriptless";
}

/** A scan thread: its kind, what it held after its last unit (its engine alone when fresh), and what it costs while it analyzes one. */
interface Thread {
  worker: Worker;
  kind: ThreadKind;
  held: number;
  cost?: number;
  /** Whether its heap has a limit (see `heapLimitMb`): a unit that needs more is analyzed again without it. */
  limited: boolean;
  /** Units handed to it so far. */
  units: number;
}

/**
 * What a thread of `kind` that holds `held` costs while it analyzes `unit`: the more of what it
 * holds and what the unit needs on a fresh thread of its kind (the heap it holds is reused, not
 * added to), and what it keeps outside its heap.
 */
function costOf(held: number, kind: ThreadKind, unit: AnalysisUnit): number {
  const costs = THREAD_COSTS[kind];
  return Math.max(held, costs.engine + costs.unit + unit.lines * costs.line) + costs.native;
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
