import { parentPort, workerData } from "node:worker_threads";
import { planUnits, type FileFacts } from "../engine/units.js";

/**
 * Plans a tree on a thread of its own (see `onPlanThread`): the import maps and resolutions
 * planning builds over every file are let go with the thread, instead of staying in the scan's
 * heap as committed memory for as long as the scan runs.
 */
parentPort!.postMessage(planUnits(workerData as FileFacts[]));
parentPort!.close();
