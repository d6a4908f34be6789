import { Worker } from "node:worker_threads";
import type { FileFacts } from "../engine/inventory/types.js";
import { needsScripts } from "../engine/language.js";
import type { AnalyzeOptions, SourceInput } from "../engine/types.js";

/** Files to analyze for an organization scan: `only` are checked, the rest read as context. */
export interface UnitBatch {
  files: SourceInput[];
  only: string[];
  options: AnalyzeOptions;
}

/**
 * Runs the engine's inventory over one batch of units. Asynchronous, so that it can run in a
 * thread: a worker's main thread only talks to GitHub, Redis and the database.
 */
export type UnitAnalyzer = (batch: UnitBatch) => Promise<FileFacts[]>;

/**
 * The inventory of one batch, from the engine loaded on first use: its TypeScript side (the
 * TypeScript compiler and ts-morph) only for a batch with TypeScript or JavaScript files.
 */
export async function factsOfBatch(batch: UnitBatch): Promise<FileFacts[]> {
  const options = { ...batch.options, only: batch.only };
  if (needsScripts(batch.files.map((f) => f.path))) return (await import("../engine/inventory.js")).inventoryFacts(batch.files, options);
  return (await import("../engine/inventory-core.js")).inventoryFactsScriptless(batch.files, options);
}

/** The engine on the calling thread: for tests and the CLI. */
export const analyzeUnitsInline: UnitAnalyzer = factsOfBatch;

/** One batch may take at most this long before its thread is stopped. */
export const DEFAULT_UNIT_TIMEOUT_MS = 300_000;
/** A thread idle this long is stopped: the engine's memory goes back until the next scan. */
const IDLE_MS = 60_000;

interface Task {
  id: number;
  batch: UnitBatch;
  resolve(facts: FileFacts[]): void;
  reject(error: Error): void;
}

/**
 * A thread of its own for organization scans, beside the review pool's: a repository's analysis
 * never holds up a pull request's. Tasks run one at a time, in order; the thread starts on the
 * first and stops when idle. One that runs past the time limit or crashes is replaced and its
 * batch fails with the reason.
 */
export function createUnitAnalyzerThread(options: { timeoutMs?: number; idleMs?: number } = {}): { analyze: UnitAnalyzer; close(): Promise<void> } {
  const timeoutMs = options.timeoutMs ?? DEFAULT_UNIT_TIMEOUT_MS;
  const idleMs = options.idleMs ?? IDLE_MS;
  const script = new URL("./unit-analyzer-thread.js", import.meta.url);
  const queue: Task[] = [];
  let worker: Worker | undefined;
  let current: Task | undefined;
  let timer: NodeJS.Timeout | undefined;
  let idle: NodeJS.Timeout | undefined;
  let nextId = 0;
  let closed = false;

  const stop = (w: Worker | undefined) => {
    if (!w) return;
    w.removeAllListeners();
    void w.terminate();
  };
  const fail = (error: Error) => {
    const task = current;
    current = undefined;
    clearTimeout(timer);
    stop(worker);
    worker = undefined;
    task?.reject(error);
    pump();
  };
  const start = (): Worker => {
    // A small young generation and a collection after each batch keep the thread near what it holds.
    const w = new Worker(script, { resourceLimits: { maxYoungGenerationSizeMb: 16 } });
    w.on("message", (message: { id: number; facts?: FileFacts[]; error?: string }) => {
      const task = current;
      if (!task || task.id !== message.id) return;
      current = undefined;
      clearTimeout(timer);
      if (message.error !== undefined) task.reject(new Error(`inventory analysis failed: ${message.error}`));
      else task.resolve(message.facts!);
      pump();
    });
    w.on("error", (error) => fail(new Error(`inventory thread crashed: ${error.message}`)));
    w.on("exit", (code) => {
      if (w === worker && !closed) fail(new Error(`inventory thread exited (code ${code})`));
    });
    return w;
  };
  function pump(): void {
    if (current || closed) return;
    const task = queue.shift();
    if (!task) {
      clearTimeout(idle);
      idle = setTimeout(() => {
        if (current || queue.length > 0) return;
        const w = worker;
        worker = undefined;
        stop(w);
      }, idleMs);
      idle.unref();
      return;
    }
    clearTimeout(idle);
    worker ??= start();
    current = task;
    timer = setTimeout(() => fail(Object.assign(new Error(`the inventory analysis took longer than ${Math.round(timeoutMs / 1000)} s and was stopped`), { retryable: false })), timeoutMs);
    worker.postMessage({ id: task.id, batch: task.batch });
  }

  return {
    analyze(batch) {
      if (closed) return Promise.reject(new Error("the inventory thread is closed"));
      return new Promise<FileFacts[]>((resolve, reject) => {
        queue.push({ id: nextId++, batch, resolve, reject });
        pump();
      });
    },
    async close() {
      closed = true;
      clearTimeout(idle);
      clearTimeout(timer);
      for (const task of queue.splice(0)) task.reject(new Error("the inventory thread is closed"));
      current?.reject(new Error("the inventory thread is closed"));
      current = undefined;
      if (worker) await worker.terminate();
      worker = undefined;
    },
  };
}
