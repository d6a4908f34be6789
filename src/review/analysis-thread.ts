import v8 from "node:v8";
import vm from "node:vm";
import { parentPort } from "node:worker_threads";
import type { AnalyzeOptions, SourceInput } from "../engine/types.js";
import type { DiffLines } from "./diff-lines.js";
import { openResultCache } from "../scan/result-cache.js";
import { analyzeForReview } from "./review-analysis.js";

/**
 * Heap in use past which the thread collects garbage after an analysis. What an analysis keeps is
 * about 40 MB (the engine); each one leaves tens of MB of garbage, and V8, seeing gigabytes free,
 * let a busy thread's heap grow past 200 MB. A full collection at this size takes about 20 ms, off
 * the review's path: the result is already sent.
 */
const COLLECT_ABOVE_BYTES = 128 * 1024 * 1024;
v8.setFlagsFromString("--expose-gc");
const collectGarbage = vm.runInNewContext("gc") as () => void;

/** Baselines already analyzed: in Redis when REDIS_URL is set (shared by every worker process), else in this thread's memory. */
const cache = openResultCache(process.env);

/** The body of an analysis thread: the engine, one request at a time, off the event loop. */
parentPort!.on("message", async ({ id, files, options, diff }: { id: number; files: SourceInput[]; options: AnalyzeOptions; diff: Map<string, DiffLines> }) => {
  try {
    parentPort!.postMessage({ id, result: await analyzeForReview(files, options, diff, await cache) });
  } catch (error) {
    parentPort!.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
  if (v8.getHeapStatistics().used_heap_size > COLLECT_ABOVE_BYTES) collectGarbage();
});
