import v8 from "node:v8";
import vm from "node:vm";
import { parentPort } from "node:worker_threads";
import { factsOfBatch, type UnitBatch } from "./unit-analyzer.js";

/** Heap in use past which the thread collects garbage after a batch (as the review's analysis thread does). */
const COLLECT_ABOVE_BYTES = 48 * 1024 * 1024;
v8.setFlagsFromString("--expose-gc");
const collectGarbage = vm.runInNewContext("gc") as () => void;

/**
 * The body of the organization-scan thread: the engine's inventory, one batch at a time (the
 * caller sends the next once this one is answered). The TypeScript compiler is loaded by the
 * first batch with TypeScript or JavaScript files: a thread that only sees Python never holds it.
 */
parentPort!.on("message", async ({ id, batch }: { id: number; batch: UnitBatch }) => {
  try {
    parentPort!.postMessage({ id, facts: await factsOfBatch(batch) });
  } catch (error) {
    parentPort!.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
  if (v8.getHeapStatistics().used_heap_size > COLLECT_ABOVE_BYTES) collectGarbage();
});
