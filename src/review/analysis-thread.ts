import { parentPort } from "node:worker_threads";
import { analyzeForReview } from "./review-analysis.js";
import type { AnalyzeOptions, SourceInput } from "../engine/types.js";

/** The body of an analysis thread: the engine, one request at a time, off the event loop. */
parentPort!.on("message", ({ id, files, options }: { id: number; files: SourceInput[]; options: AnalyzeOptions }) => {
  try {
    parentPort!.postMessage({ id, result: analyzeForReview(files, options) });
  } catch (error) {
    parentPort!.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
