import type { Redis } from "ioredis";
import type { AnalysisResult } from "../engine/types.js";

/**
 * Analysis results by a key that names everything they depend on (see `unitKey`): the same
 * files analyzed again by the same engine with the same rules are not analyzed again.
 */
export interface ResultCache<T = AnalysisResult> {
  get(key: string): Promise<T | undefined>;
  set(key: string, result: T): Promise<void>;
  close(): Promise<void>;
}

/** What the in-process cache may hold: JSON text, so a hit costs a parse and can never be changed by its reader. */
export const DEFAULT_MEMORY_CACHE_BYTES = 32 * 1024 * 1024;
/** What the cache may hold in Redis, all processes together. */
export const DEFAULT_REDIS_CACHE_BYTES = 256 * 1024 * 1024;
/** A result larger than this is not kept: it would push out hundreds of others. */
const MAX_ENTRY_BYTES = 4 * 1024 * 1024;

/** A cache in this process, bounded in bytes, least recently used out first. */
export class MemoryResultCache<T = AnalysisResult> implements ResultCache<T> {
  private readonly entries = new Map<string, string>();
  private bytes = 0;

  constructor(private readonly maxBytes = DEFAULT_MEMORY_CACHE_BYTES) {}

  async get(key: string): Promise<T | undefined> {
    const text = this.entries.get(key);
    if (text === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, text);
    return JSON.parse(text) as T;
  }

  async set(key: string, result: T): Promise<void> {
    const text = JSON.stringify(result);
    const size = sizeOf(key, text);
    if (size > Math.min(MAX_ENTRY_BYTES, this.maxBytes)) return;
    const old = this.entries.get(key);
    if (old !== undefined) (this.bytes -= sizeOf(key, old)), this.entries.delete(key);
    this.entries.set(key, text);
    this.bytes += size;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= sizeOf(k, v);
    }
  }

  /** Bytes held (UTF-16 text of keys and values). */
  get size(): number {
    return this.bytes;
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.bytes = 0;
  }
}

/**
 * Stores a value, accounts its size and drops the least recently used entries until the cache
 * is within its budget, in one step so that processes sharing the cache never race.
 * KEYS: entry, index (sorted by last use), sizes (hash), total. ARGV: value, now, budget.
 */
const SET_SCRIPT = `
local old = redis.call('HGET', KEYS[3], KEYS[1])
if old then redis.call('DECRBY', KEYS[4], old) end
local size = string.len(ARGV[1])
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[3], KEYS[1], size)
redis.call('ZADD', KEYS[2], ARGV[2], KEYS[1])
local total = redis.call('INCRBY', KEYS[4], size)
while total > tonumber(ARGV[3]) do
  local popped = redis.call('ZPOPMIN', KEYS[2])
  if #popped == 0 then break end
  local s = redis.call('HGET', KEYS[3], popped[1])
  redis.call('DEL', popped[1])
  redis.call('HDEL', KEYS[3], popped[1])
  if s then total = redis.call('DECRBY', KEYS[4], s) end
end
return total
`;

/**
 * A cache in Redis, shared by every process that uses the same Redis and prefix, bounded in
 * bytes (least recently used out first). A Redis that fails makes a miss, never a failed scan.
 */
export class RedisResultCache<T = AnalysisResult> implements ResultCache<T> {
  private readonly index: string;
  private readonly sizes: string;
  private readonly total: string;

  constructor(
    private readonly redis: Redis,
    private readonly options: { prefix?: string; maxBytes?: number; onError?: (error: Error) => void } = {},
  ) {
    const prefix = options.prefix ?? "mcp-review:results";
    this.index = `${prefix}:index`;
    this.sizes = `${prefix}:sizes`;
    this.total = `${prefix}:bytes`;
  }

  private key(key: string): string {
    return `${this.options.prefix ?? "mcp-review:results"}:${key}`;
  }

  async get(key: string): Promise<T | undefined> {
    try {
      const [[, text]] = (await this.redis.multi().get(this.key(key)).zadd(this.index, "XX", Date.now(), this.key(key)).exec()) as [[Error | null, string | null]];
      return text ? (JSON.parse(text) as T) : undefined;
    } catch (error) {
      this.options.onError?.(error as Error);
      return undefined;
    }
  }

  async set(key: string, result: T): Promise<void> {
    const text = JSON.stringify(result);
    if (Buffer.byteLength(text) > MAX_ENTRY_BYTES) return;
    try {
      await this.redis.eval(SET_SCRIPT, 4, this.key(key), this.index, this.sizes, this.total, text, Date.now(), this.options.maxBytes ?? DEFAULT_REDIS_CACHE_BYTES);
    } catch (error) {
      this.options.onError?.(error as Error);
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

/**
 * The cache a process should use: Redis when REDIS_URL is set (shared by all processes), else
 * one in memory. `RESULT_CACHE_MB` sets the budget, `RESULT_CACHE_PREFIX` the Redis keys' prefix.
 */
export async function openResultCache(env: Record<string, string | undefined>, onError?: (error: Error) => void): Promise<ResultCache> {
  const mb = Number(env.RESULT_CACHE_MB);
  const maxBytes = Number.isFinite(mb) && mb > 0 ? mb * 1024 * 1024 : undefined;
  if (!env.REDIS_URL) return new MemoryResultCache(maxBytes);
  const { Redis } = await import("ioredis");
  // A scan never waits on a Redis that is down: a command fails at once and the scan analyzes.
  const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, lazyConnect: true });
  redis.on("error", (error: Error) => onError?.(error));
  try {
    await redis.connect();
  } catch (error) {
    onError?.(error as Error);
    redis.disconnect();
    return new MemoryResultCache(maxBytes);
  }
  return new RedisResultCache(redis, { maxBytes, onError, ...(env.RESULT_CACHE_PREFIX ? { prefix: env.RESULT_CACHE_PREFIX } : {}) });
}

function sizeOf(key: string, text: string): number {
  return 2 * (key.length + text.length);
}
