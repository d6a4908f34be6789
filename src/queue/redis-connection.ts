import type { ConnectionOptions } from "bullmq";
import { Redis, type RedisOptions } from "ioredis";

/** A redis:// URL (REDIS_URL) or ioredis options. */
export type RedisConnectionOptions = string | RedisOptions;

/** BullMQ's default, kept so that existing dashboards find the queue. */
export const DEFAULT_PREFIX = "bull";

export function bullmqConnection(connection: RedisConnectionOptions): ConnectionOptions {
  // BullMQ hands these options to the same ioredis constructor; its own type is a looser copy.
  return typeof connection === "string" ? { url: connection } : ({ ...connection } as ConnectionOptions);
}

/** A connection of our own for the pending pointers; BullMQ's are not shared with callers. */
export function openRedis(connection: RedisConnectionOptions): Redis {
  return typeof connection === "string" ? new Redis(connection) : new Redis(connection);
}
