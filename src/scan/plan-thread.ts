import { parentPort, workerData } from "node:worker_threads";
import type { FolderWalk } from "../cli/collect-files.js";
import type { FileFacts } from "../engine/file-facts.js";
import { planUnits } from "../engine/units.js";
import { planFolder } from "./tree-scan.js";

/**
 * Plans a scan on a thread of its own (see `onPlanThread`): from the facts of a tree's files, or
 * walking a folder, reading each file once. What that allocates goes with the thread; only the
 * plan (and for a folder, its files' digests and paths, and what was skipped) comes back.
 */
const request = workerData as { facts: FileFacts[] } | { walk: FolderWalk };
try {
  parentPort!.postMessage({ plan: "facts" in request ? planUnits(request.facts) : await planFolder(request.walk) });
} catch (error) {
  parentPort!.postMessage({ error: error instanceof Error ? error.message : String(error) });
}
parentPort!.close();
