import { Worker } from "node:worker_threads";
import type { AnalysisResult, AnalyzeOptions, SourceInput } from "../engine/types.js";
import { ReviewError } from "./github-errors.js";
import type { Baseline } from "./baseline.js";
import type { DiffLines } from "./diff-lines.js";
import type { RuleDoc } from "./render.js";

/** The engine's result, with what a review needs besides: see `analyzeForReview`. */
export interface ReviewAnalysis extends AnalysisResult {
  /** The description of each rule that found something, for review comments. */
  ruleDocs: Record<string, RuleDoc>;
  /** What the base versions of modified files already had, where that can change the answer. */
  baseline?: Baseline;
}

/**
 * Runs the engine over files; asynchronous so that it can run off the event loop. The process
 * that calls it need not load the engine at all: a worker's main thread only talks to GitHub.
 */
export type Analyzer = (files: SourceInput[], options: AnalyzeOptions, diff?: ReadonlyMap<string, DiffLines>) => Promise<ReviewAnalysis>;

/** The engine on the calling thread, loaded on first use: for tests and single-process setups. */
export const analyzeInline: Analyzer = async (files, options, diff) => (await import("./review-analysis.js")).analyzeForReview(files, options, diff);

/** Analysis of one pull request may take at most this long before its thread is stopped. */
export const DEFAULT_ANALYSIS_TIMEOUT_MS = 120_000;

interface Task {
  id: number;
  files: SourceInput[];
  options: AnalyzeOptions;
  /** The pull request's changed lines per path: which findings count, so which need a baseline. */
  diff?: ReadonlyMap<string, DiffLines>;
  resolve(result: ReviewAnalysis): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  task?: Task;
  timer?: NodeJS.Timeout;
}

/**
 * A pool of threads running the engine. The analysis is CPU-bound: on the event loop it would
 * hold up webhooks (in a single-process installation), other reviews' GitHub calls and BullMQ's
 * lock renewals. A thread that runs past the time limit is stopped and replaced, and the review
 * ends with the reason instead of hanging; a thread that crashes is replaced too.
 */
export function createAnalysisPool(options: { size: number; timeoutMs?: number }): { analyze: Analyzer; close(): Promise<void> } {
  const timeoutMs = options.timeoutMs ?? DEFAULT_ANALYSIS_TIMEOUT_MS;
  const script = new URL("./analysis-thread.js", import.meta.url);
  const queue: Task[] = [];
  const slots: Slot[] = [];
  let nextId = 0;
  let closed = false;

  function spawn(): Slot {
    const slot: Slot = { worker: new Worker(script) };
    slot.worker.on("message", (message: { id: number; result?: ReviewAnalysis; error?: string }) => {
      const task = slot.task;
      if (!task || task.id !== message.id) return;
      finish(slot);
      if (message.error !== undefined) task.reject(new Error(`analysis failed: ${message.error}`));
      else task.resolve(message.result!);
      pump();
    });
    slot.worker.on("error", (error) => replace(slot, new Error(`analysis thread crashed: ${error.message}`)));
    slot.worker.on("exit", (code) => {
      if (!closed) replace(slot, new Error(`analysis thread exited (code ${code})`));
    });
    return slot;
  }

  function finish(slot: Slot): void {
    clearTimeout(slot.timer);
    slot.task = undefined;
    slot.timer = undefined;
  }

  function replace(slot: Slot, error: Error): void {
    const index = slots.indexOf(slot);
    if (index < 0) return;
    const task = slot.task;
    finish(slot);
    slots.splice(index, 1);
    void slot.worker.terminate();
    task?.reject(error);
    if (!closed) slots.push(spawn());
    pump();
  }

  function pump(): void {
    for (const slot of slots) {
      if (slot.task || queue.length === 0) continue;
      const task = queue.shift()!;
      slot.task = task;
      slot.timer = setTimeout(
        () => replace(slot, new ReviewError(`the analysis took longer than ${Math.round(timeoutMs / 1000)} s and was stopped`, { retryable: false })),
        timeoutMs,
      );
      slot.worker.postMessage({ id: task.id, files: task.files, options: task.options, diff: task.diff ?? new Map() });
    }
  }

  for (let i = 0; i < Math.max(1, options.size); i++) slots.push(spawn());

  return {
    analyze(files, analyzeOptions, diff) {
      if (closed) return Promise.reject(new Error("the analysis pool is closed"));
      return new Promise<ReviewAnalysis>((resolve, reject) => {
        queue.push({ id: nextId++, files, options: analyzeOptions, diff, resolve, reject });
        pump();
      });
    },
    async close() {
      closed = true;
      for (const task of queue.splice(0)) task.reject(new Error("the analysis pool is closed"));
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
    },
  };
}
