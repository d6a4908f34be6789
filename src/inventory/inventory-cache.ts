import type { Redis } from "ioredis";
import { DEFAULT_REDIS_CACHE_BYTES, MemoryResultCache, RedisResultCache, type ResultCache } from "../scan/result-cache.js";

/**
 * Results of an organization scan kept for the next one, by what they were computed from: a
 * blob's import specifiers by its SHA, a unit's file facts by the SHAs of its files, the engine
 * version and the repository's settings. Keys say all that; values are JSON. Losing an entry only
 * costs the work of computing it again. It is the scans' result cache (src/scan/result-cache.ts),
 * bounded in bytes with the least recently used entries going first, under keys of its own.
 */
export interface InventoryCache {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  close(): Promise<void>;
}

/** What the inventory's entries may hold in Redis, all workers together (`MCP_REVIEW_INVENTORY_CACHE_MB`). */
export function inventoryCacheBytes(env: NodeJS.ProcessEnv = process.env): number {
  const mb = Number(env.MCP_REVIEW_INVENTORY_CACHE_MB);
  return Number.isFinite(mb) && mb > 0 ? mb * 1024 * 1024 : DEFAULT_REDIS_CACHE_BYTES;
}

/** In one process: the least recently used entries go first once `maxBytes` is reached. */
export function createMemoryInventoryCache(maxBytes = 64 * 1024 * 1024): InventoryCache {
  return adapt(new MemoryResultCache<unknown>(maxBytes));
}

/**
 * Shared by every worker through Redis, so a repository's next scan reuses what any worker
 * computed; bounded in bytes across all of them. A Redis that fails makes a miss, never a failed scan.
 */
export function createRedisInventoryCache(redis: Redis, prefix: string, options: { ownsConnection?: boolean; maxBytes?: number; onError?: (error: Error) => void } = {}): InventoryCache {
  const cache = new RedisResultCache<unknown>(redis, { prefix: `${prefix}:inventory-cache`, maxBytes: options.maxBytes ?? inventoryCacheBytes(), ...(options.onError ? { onError: options.onError } : {}) });
  return {
    ...adapt(cache),
    async close() {
      // The connection is the caller's unless it was handed over.
      if (options.ownsConnection) await redis.quit();
    },
  };
}

function adapt(cache: ResultCache<unknown>): InventoryCache {
  return {
    get: async <T>(key: string) => (await cache.get(key)) as T | undefined,
    set: (key, value) => cache.set(key, value),
    close: () => cache.close(),
  };
}
