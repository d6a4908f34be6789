import v8 from "node:v8";
import vm from "node:vm";
import { parentPort } from "node:worker_threads";
import { inventoryFacts } from "../engine/inventory.js";
import type { UnitBatch } from "./unit-analyzer.js";

/** Heap in use past which the thread collects garbage after a batch (as the review's analysis thread does). */
const COLLECT_ABOVE_BYTES = 48 * 1024 * 1024;
v8.setFlagsFromString("--expose-gc");
const collectGarbage = vm.runInNewContext("gc") as () => void;

/** The body of the organization-scan thread: the engine's inventory, one batch at a time. */
parentPort!.on("message", ({ id, batch }: { id: number; batch: UnitBatch }) => {
  try {
    parentPort!.postMessage({ id, facts: inventoryFacts(batch.files, { ...batch.options, only: batch.only }) });
  } catch (error) {
    parentPort!.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
  if (v8.getHeapStatistics().used_heap_size > COLLECT_ABOVE_BYTES) collectGarbage();
});
