import type { Redis } from "ioredis";
import type { InventoryDeps } from "../app/inventory-events.js";
import type { GitHubFactory } from "../review/github.js";
import { createMemoryScanQueue, type ScanQueue } from "../queue/scan-queue.js";
import type { InventoryStore } from "../store/inventory-store.js";
import { createMemoryInventoryCache, createRedisInventoryCache, type InventoryCache } from "./inventory-cache.js";
import { recheckRepositories } from "./recheck.js";
import { createMemoryRequestGate, createRedisRequestGate, type RequestGate } from "./request-gate.js";
import { DEFAULT_SCAN_LIMITS, scanRepository, type ScanDeps, type ScanLimits } from "./scan-repository.js";
import { createUnitAnalyzerThread } from "./unit-analyzer.js";

type Log = { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };

/** False when MCP_REVIEW_INVENTORY=off: the app then reviews pull requests only, and opens no database. */
export function inventoryEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return !/^(?:0|off|false|no)$/i.test(env.MCP_REVIEW_INVENTORY ?? "");
}

/** The scan limits from the environment (MCP_REVIEW_SCAN_MAX_FILES, MCP_REVIEW_SCAN_MAX_MB). */
export function scanLimits(env: NodeJS.ProcessEnv = process.env): ScanLimits {
  const files = Number(env.MCP_REVIEW_SCAN_MAX_FILES);
  const mb = Number(env.MCP_REVIEW_SCAN_MAX_MB);
  return { ...DEFAULT_SCAN_LIMITS, ...(files > 0 ? { maxFiles: files } : {}), ...(mb > 0 ? { maxBytes: mb * 1024 * 1024 } : {}) };
}

/** What a process that scans repositories holds: the store, the cache, the gate and the engine's thread. */
export interface ScanRuntime {
  store: InventoryStore;
  cache: InventoryCache;
  gate: RequestGate;
  deps: ScanDeps;
  close(): Promise<void>;
}

/** What scanning needs: with Redis, the cache and the gate are shared by every worker; without, this process's. */
export function createScanRuntime(options: { github: GitHubFactory; log: Log; redis?: { client: Redis; prefix: string }; store: InventoryStore }): ScanRuntime {
  const store = options.store;
  const cache = options.redis ? createRedisInventoryCache(options.redis.client, options.redis.prefix, { onError: (error) => options.log.warn({ err: error }, "the inventory cache in Redis failed: the scan analyzes without it") }) : createMemoryInventoryCache();
  const gate = options.redis ? createRedisRequestGate(options.redis.client, options.redis.prefix) : createMemoryRequestGate();
  const thread = createUnitAnalyzerThread();
  const deps: ScanDeps = { github: options.github, store, cache, gate, analyze: thread.analyze, log: options.log, limits: scanLimits() };
  return {
    store,
    cache,
    gate,
    deps,
    async close() {
      await thread.close();
      await cache.close();
      await gate.close();
    },
  };
}

/**
 * The organization inventory of a single-process installation (no REDIS_URL): scans run in this
 * process, one at a time, the engine in a thread of their own; a timer makes the daily pass.
 */
export function inProcessInventory(options: { github: GitHubFactory; log: Log; store: InventoryStore }): { inventory: InventoryDeps; close(): Promise<void> } {
  const runtime = createScanRuntime(options);
  const scans: ScanQueue & { drain(): Promise<void> } = createMemoryScanQueue({ processor: (job) => scanRepository(job, runtime.deps), logger: { ...options.log, error: options.log.warn } });
  const daily = setInterval(() => void recheckRepositories({ trigger: "daily" }, { store: runtime.store, scans, log: options.log }).catch((error) => options.log.warn({ err: error }, "the daily pass failed")), 24 * 3600 * 1000);
  daily.unref();
  // After an upgrade, repositories scanned by another engine version are scanned again.
  void recheckRepositories({ trigger: "engine" }, { store: runtime.store, scans, log: options.log }).catch((error) => options.log.warn({ err: error }, "the engine pass failed"));
  return {
    inventory: { store: runtime.store, scans },
    async close() {
      clearInterval(daily);
      await scans.close();
      await runtime.close();
    },
  };
}
