import type { Redis } from "ioredis";
import type { GitHub } from "../review/github.js";

/**
 * How fast organization scans may call GitHub for one installation, across every worker process:
 * at most `perSecond` requests a second, and none while the installation's remaining quota is
 * below the reserve kept for pull-request reviews, until GitHub's reset. Reviews do not pass
 * through the gate; they read the quota the scans leave.
 */
export interface RequestGate {
  /** Resolves when a request for this installation may start (the per-second budget). */
  acquire(installationId: number): Promise<void>;
  /** Records what GitHub said of the installation's quota (`x-ratelimit-*` headers). */
  observe(installationId: number, headers: Record<string, unknown> | undefined): Promise<void>;
  /** Milliseconds until the installation's quota resets when too little is left for scans; 0 otherwise. */
  pauseFor(installationId: number): Promise<number>;
  close(): Promise<void>;
}

export interface GateOptions {
  /** Requests a second for one installation, all processes together. */
  perSecond?: number;
  /** Quota left to reviews: scans pause below max(reserve, reserveShare × limit). */
  reserve?: number;
  reserveShare?: number;
  now?: () => number;
}

const DEFAULTS = { perSecond: 10, reserve: 250, reserveShare: 0.1 };

interface Quota {
  remaining: number;
  limit: number;
  /** Epoch seconds. */
  reset: number;
}

function quotaOf(headers: Record<string, unknown> | undefined): Quota | undefined {
  if (!headers) return undefined;
  const remaining = Number(headers["x-ratelimit-remaining"]);
  const reset = Number(headers["x-ratelimit-reset"]);
  const limit = Number(headers["x-ratelimit-limit"] ?? 5000);
  if (!Number.isFinite(remaining) || !Number.isFinite(reset) || headers["x-ratelimit-remaining"] === undefined) return undefined;
  // GraphQL has a quota of its own; its headers say so and are not the REST quota the gate keeps.
  if (headers["x-ratelimit-resource"] !== undefined && headers["x-ratelimit-resource"] !== "core") return undefined;
  return { remaining, limit: Number.isFinite(limit) ? limit : 5000, reset };
}

function waitFor(quota: Quota | undefined, options: Required<Omit<GateOptions, "now">>, now: number): number {
  if (!quota) return 0;
  const floor = Math.max(options.reserve, Math.floor(options.reserveShare * quota.limit));
  if (quota.remaining > floor) return 0;
  return Math.max(0, quota.reset * 1000 + 1000 - now);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The gate of one process (no Redis). */
export function createMemoryRequestGate(options: GateOptions = {}): RequestGate {
  const o = { ...DEFAULTS, ...options };
  const now = options.now ?? Date.now;
  const quotas = new Map<number, Quota>();
  const windows = new Map<number, { second: number; count: number }>();
  return {
    async acquire(id) {
      for (;;) {
        const t = now();
        const second = Math.floor(t / 1000);
        const w = windows.get(id);
        if (!w || w.second !== second) {
          windows.set(id, { second, count: 1 });
          return;
        }
        if (w.count < o.perSecond) {
          w.count++;
          return;
        }
        await sleep((second + 1) * 1000 - t);
      }
    },
    async observe(id, headers) {
      const quota = quotaOf(headers);
      if (!quota) return;
      const known = quotas.get(id);
      // A later reset window replaces the old one; within a window the lowest count is the truth.
      if (!known || quota.reset > known.reset || quota.remaining < known.remaining) quotas.set(id, quota);
    },
    async pauseFor(id) {
      return waitFor(quotas.get(id), o, now());
    },
    async close() {},
  };
}

/** Counts requests in the current second for an installation; returns the count including this one. */
const TICK = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], 2000) end
return n`;

/** Keeps the lowest remaining count of the newest reset window. */
const OBSERVE = `
local reset = tonumber(redis.call('HGET', KEYS[1], 'reset') or '0')
local remaining = tonumber(redis.call('HGET', KEYS[1], 'remaining') or '-1')
local newReset = tonumber(ARGV[2])
local newRemaining = tonumber(ARGV[1])
if newReset > reset or remaining < 0 or newRemaining < remaining then
  redis.call('HSET', KEYS[1], 'remaining', ARGV[1], 'reset', ARGV[2], 'limit', ARGV[3])
  redis.call('EXPIREAT', KEYS[1], newReset + 120)
end
return 1`;

/** The gate shared by every worker process through Redis. */
export function createRedisRequestGate(redis: Redis, prefix: string, options: GateOptions = {}): RequestGate {
  const o = { ...DEFAULTS, ...options };
  const now = options.now ?? Date.now;
  const key = (id: number) => `${prefix}:github-gate:${id}`;
  return {
    async acquire(id) {
      for (;;) {
        const t = now();
        const second = Math.floor(t / 1000);
        const n = Number(await redis.eval(TICK, 1, `${key(id)}:second:${second}`));
        if (n <= o.perSecond) return;
        await sleep((second + 1) * 1000 - t + Math.floor(Math.random() * 50));
      }
    },
    async observe(id, headers) {
      const quota = quotaOf(headers);
      if (!quota) return;
      await redis.eval(OBSERVE, 1, `${key(id)}:quota`, quota.remaining, quota.reset, quota.limit);
    },
    async pauseFor(id) {
      const stored = await redis.hgetall(`${key(id)}:quota`);
      if (stored.remaining === undefined) return 0;
      return waitFor({ remaining: Number(stored.remaining), reset: Number(stored.reset), limit: Number(stored.limit ?? 5000) }, o, now());
    },
    async close() {},
  };
}

/** Longest single sleep while paused: the quota is looked at again after it (another process may have seen the reset). */
const PAUSE_SLICE_MS = 30_000;

/**
 * Routes one installation client's requests through the gate: each waits for its turn in the
 * installation's per-second budget and, while the quota is low, until the reset; each answer (an
 * error's too, a 304 included) updates the quota.
 */
export function gateRequests(github: GitHub, installationId: number, gate: RequestGate, onPause?: (ms: number) => void): void {
  github.hook.wrap("request", async (request, options) => {
    for (let wait = await gate.pauseFor(installationId); wait > 0; wait = await gate.pauseFor(installationId)) {
      onPause?.(wait);
      await sleep(Math.min(wait, PAUSE_SLICE_MS));
    }
    await gate.acquire(installationId);
    try {
      const response = await request(options);
      await gate.observe(installationId, response.headers as Record<string, unknown>);
      return response;
    } catch (error) {
      await gate.observe(installationId, (error as { response?: { headers?: Record<string, unknown> } }).response?.headers);
      throw error;
    }
  });
}
