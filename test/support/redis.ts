import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

/** The Redis the queue tests run against: REDIS_URL, or a local server. */
export function redisUrl(): string {
  return process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
}

/** Fails the test run, rather than skipping it, when there is no Redis to test against. */
export async function requireRedis(): Promise<void> {
  const url = redisUrl();
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let lastError: Error | undefined;
  redis.on("error", (error: Error) => (lastError = error));
  try {
    await redis.connect();
    if ((await redis.ping()) !== "PONG") throw new Error("PING did not answer PONG");
  } catch (error) {
    throw new Error(`Redis is not reachable at ${url}: start redis-server (see .ci/run) (${(lastError ?? (error as Error)).message})`);
  } finally {
    redis.disconnect();
  }
}

/** A key prefix no other test run shares, so runs in parallel and leftovers never meet. */
export function uniquePrefix(label: string): string {
  return `test-${label}-${process.pid}-${randomBytes(4).toString("hex")}`;
}

/** Deletes every key under the prefix. */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(redisUrl());
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    await redis.quit();
  }
}
