import type { Redis } from "ioredis";

/**
 * Results of an organization scan kept for the next one, by what they were computed from: a
 * blob's import specifiers by its SHA, a unit's file facts by the SHAs of its files, the engine
 * version and the repository's settings. Keys say all that; values are JSON. Losing an entry only
 * costs the work of computing it again.
 */
export interface InventoryCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  close(): Promise<void>;
}

/** In one process: the least recently used entries go first once `maxBytes` is reached. */
export function createMemoryInventoryCache(maxBytes = 64 * 1024 * 1024): InventoryCache {
  const entries = new Map<string, string>();
  let bytes = 0;
  return {
    async get(key) {
      const value = entries.get(key);
      if (value === undefined) return undefined;
      entries.delete(key);
      entries.set(key, value);
      return value;
    },
    async set(key, value) {
      const old = entries.get(key);
      if (old !== undefined) {
        bytes -= old.length;
        entries.delete(key);
      }
      if (value.length > maxBytes / 4) return;
      entries.set(key, value);
      bytes += value.length;
      for (const [k, v] of entries) {
        if (bytes <= maxBytes) break;
        entries.delete(k);
        bytes -= v.length;
      }
    },
    async close() {
      entries.clear();
      bytes = 0;
    },
  };
}

/** How long an entry outlives its last use: a repository not scanned for that long starts afresh. */
const REDIS_TTL_SECONDS = 14 * 24 * 3600;

/**
 * Shared by every worker through Redis, so a repository's next scan reuses what any worker
 * computed. Entries expire (REDIS_TTL_SECONDS after their last write) rather than pile up.
 */
export function createRedisInventoryCache(redis: Redis, prefix: string, options: { ownsConnection?: boolean } = {}): InventoryCache {
  const k = (key: string) => `${prefix}:inventory-cache:${key}`;
  return {
    async get(key) {
      return (await redis.get(k(key))) ?? undefined;
    },
    async set(key, value) {
      await redis.set(k(key), value, "EX", REDIS_TTL_SECONDS);
    },
    async close() {
      if (options.ownsConnection) await redis.quit();
    },
  };
}
