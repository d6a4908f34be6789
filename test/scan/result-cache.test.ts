import { Redis } from "ioredis";
import type { AnalysisResult } from "../../src/engine/types.js";
import { MemoryResultCache, openResultCache, RedisResultCache } from "../../src/scan/result-cache.js";
import { deleteKeys, redisUrl, requireRedis, uniquePrefix } from "../support/redis.js";

function result(n: number, pad = 0): AnalysisResult {
  return { findings: [], suppressed: [], skipped: [{ path: `f${n}.ts`, reason: "parse-error", detail: "x".repeat(pad) }], errors: [], stats: { filesAnalyzed: n, linesAnalyzed: n, durationMs: 1 } };
}

describe("the result cache in memory", () => {
  it("gives back what was stored, as a copy its reader may change", async () => {
    const cache = new MemoryResultCache();
    await cache.set("a", result(1));
    const hit = (await cache.get("a"))!;
    expect(hit).toEqual(result(1));
    hit.stats.filesAnalyzed = 99;
    expect((await cache.get("a"))!.stats.filesAnalyzed).toBe(1);
    expect(await cache.get("b")).toBeUndefined();
  });

  it("stays within its budget, dropping the least recently used first", async () => {
    const cache = new MemoryResultCache(20_000);
    for (let i = 0; i < 50; i++) {
      await cache.set(`k${i}`, result(i, 1000));
      if (i === 10) await cache.get("k0");
      expect(cache.size).toBeLessThanOrEqual(20_000);
    }
    expect(await cache.get("k0")).toBeUndefined();
    expect(await cache.get("k49")).toEqual(result(49, 1000));
    // A result larger than the whole budget is not kept at all.
    await cache.set("huge", result(0, 30_000));
    expect(await cache.get("huge")).toBeUndefined();
  });
});

describe("the result cache in Redis", () => {
  let redis: Redis;
  let prefix: string;

  beforeAll(requireRedis);
  beforeEach(() => {
    redis = new Redis(redisUrl());
    prefix = uniquePrefix("results");
  });
  afterEach(async () => {
    await deleteKeys(prefix);
    redis.disconnect();
  });

  it("shares results between processes and stays within its budget in bytes", async () => {
    const one = new RedisResultCache(new Redis(redisUrl()), { prefix, maxBytes: 30_000 });
    const two = new RedisResultCache(new Redis(redisUrl()), { prefix, maxBytes: 30_000 });
    try {
      await one.set("a", result(1));
      expect(await two.get("a")).toEqual(result(1));
      for (let i = 0; i < 40; i++) await (i % 2 ? one : two).set(`k${i}`, result(i, 2000));
      expect(Number(await redis.get(`${prefix}:bytes`))).toBeLessThanOrEqual(30_000);
      const [, keys] = await redis.scan("0", "MATCH", `${prefix}:k*`, "COUNT", 1000);
      expect(keys.length).toBeGreaterThan(5);
      expect(keys.length).toBeLessThan(20);
      expect(await one.get("k0")).toBeUndefined();
      expect(await two.get("k39")).toEqual(result(39, 2000));
    } finally {
      await one.close();
      await two.close();
    }
  });

  it("is chosen when REDIS_URL is set; without Redis, or with one that is down, the cache is in memory and a scan goes on", async () => {
    const errors: Error[] = [];
    const shared = await openResultCache({ REDIS_URL: redisUrl(), RESULT_CACHE_PREFIX: prefix }, (e) => errors.push(e));
    expect(shared).toBeInstanceOf(RedisResultCache);
    await shared.set("x", result(2));
    expect(await redis.exists(`${prefix}:x`)).toBe(1);
    await shared.close();
    expect(await openResultCache({})).toBeInstanceOf(MemoryResultCache);
    const down = await openResultCache({ REDIS_URL: "redis://127.0.0.1:1" }, (e) => errors.push(e));
    expect(down).toBeInstanceOf(MemoryResultCache);
    expect(errors.length).toBeGreaterThan(0);
  });
});
