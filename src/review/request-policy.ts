import type { Octokit } from "@octokit/core";
import type { OctokitOptions } from "@octokit/core/types";

/**
 * How this process talks to GitHub: retries, rate limits and the spacing of writes, as one
 * Octokit plugin. It replaces Octokit's retry and throttling plugins, which schedule every request
 * through Bottleneck: its datastore yields to the timer queue several times per request, which
 * added 15 ms to each of a review's 60 requests (1 ms without them, on loopback).
 *
 * - Rate limits (403 or 429 with `retry-after`, a secondary-limit message, or no primary quota
 *   left): wait as GitHub says and try again, any method, since GitHub did not act on the request.
 *   At most `rateLimitRetries` times, and never longer than `maxWaitSeconds` at once.
 * - Server errors (5xx) and network failures: retry with backoff, for methods that are safe to
 *   repeat and GraphQL queries. A POST is not repeated: GitHub may have acted on it (a review
 *   posted twice is two reviews); the review job's own retry reads what exists before writing again.
 * - Writes (POST, PATCH, PUT, DELETE) start at least `writeSpacingMs` apart, at most
 *   `maxConcurrentWrites` at once, per process: GitHub's secondary limits punish bursts of them.
 */
export interface RequestPolicyOptions {
  serverErrorRetries?: number;
  /** Backoff before the n-th retry of a server error: retryBaseMs * 4^(n-1). */
  retryBaseMs?: number;
  rateLimitRetries?: number;
  maxWaitSeconds?: number;
  writeSpacingMs?: number;
  maxConcurrentWrites?: number;
}

const DEFAULTS: Required<RequestPolicyOptions> = {
  serverErrorRetries: 3,
  retryBaseMs: 500,
  rateLimitRetries: 2,
  maxWaitSeconds: 120,
  writeSpacingMs: 10,
  maxConcurrentWrites: 8,
};

/** GitHub's advice for a secondary rate limit that names no wait: at least a minute. */
const SECONDARY_LIMIT_FALLBACK_SECONDS = 60;
const REPEATABLE = new Set(["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"]);

interface HttpError {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

/** One gate per process, shared by every Octokit instance (one per installation) that uses the policy. */
const gates = new Map<string, WriteGate>();

/** The plugin: `Octokit.plugin(requestPolicy)`; options under `requestPolicy` in the constructor's. */
export function requestPolicy(octokit: Octokit, octokitOptions: OctokitOptions): void {
  const options = { ...DEFAULTS, ...(octokitOptions as { requestPolicy?: RequestPolicyOptions }).requestPolicy };
  const gateKey = `${options.writeSpacingMs}/${options.maxConcurrentWrites}`;
  let gate = gates.get(gateKey);
  if (!gate) gates.set(gateKey, (gate = new WriteGate(options.writeSpacingMs, options.maxConcurrentWrites)));
  const writes = gate;

  octokit.hook.wrap("request", async (request, requestOptions) => {
    const method = String(requestOptions.method ?? "GET").toUpperCase();
    // A GraphQL query is a read sent as a POST: safe to repeat, and no write to space out.
    const query = (requestOptions as { query?: unknown }).query;
    const isQuery = requestOptions.url === "/graphql" && typeof query === "string" && !/^\s*mutation\b/.test(query);
    const isWrite = method !== "GET" && method !== "HEAD" && !isQuery;
    let serverErrors = 0;
    let rateLimits = 0;
    for (;;) {
      let error: HttpError;
      const release = isWrite ? await writes.acquire() : undefined;
      try {
        return await request(requestOptions);
      } catch (caught) {
        error = caught as HttpError;
      } finally {
        release?.(); // never held through a wait below
      }
      const wait = rateLimitWait(error);
      if (wait !== undefined) {
        if (rateLimits >= options.rateLimitRetries || wait > options.maxWaitSeconds) throw error;
        rateLimits++;
        octokit.log.warn(`GitHub rate limit on ${method} ${requestOptions.url}: waiting ${wait} s (retry ${rateLimits} of ${options.rateLimitRetries})`);
        await sleep(wait * 1000);
        continue;
      }
      const transient = error.status === undefined || error.status >= 500;
      if (!transient || !(REPEATABLE.has(method) || isQuery) || serverErrors >= options.serverErrorRetries) throw error;
      serverErrors++;
      await sleep(options.retryBaseMs * 4 ** (serverErrors - 1));
    }
  });
}

/** Seconds to wait when `error` is a rate limit; undefined for any other error. */
export function rateLimitWait(error: HttpError, now = Date.now()): number | undefined {
  if (error.status !== 403 && error.status !== 429) return undefined;
  const headers = error.response?.headers ?? {};
  const retryAfter = Number(headers["retry-after"]);
  if (headers["retry-after"] !== undefined && Number.isFinite(retryAfter)) return Math.max(0, Math.ceil(retryAfter));
  if (String(headers["x-ratelimit-remaining"]) === "0" && headers["x-ratelimit-reset"] !== undefined) {
    // One second past the reset, as GitHub advises.
    return Math.max(0, Math.ceil((Number(headers["x-ratelimit-reset"]) * 1000 - now) / 1000) + 1);
  }
  if (/secondary rate limit/i.test(error.message ?? "") || error.status === 429) return SECONDARY_LIMIT_FALLBACK_SECONDS;
  return undefined;
}

/** At most `max` holders at once, each starting at least `spacingMs` after the previous one. */
class WriteGate {
  private active = 0;
  private nextStart = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly spacingMs: number,
    private readonly max: number,
  ) {}

  async acquire(): Promise<() => void> {
    while (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    const now = Date.now();
    const start = Math.max(now, this.nextStart);
    this.nextStart = start + this.spacingMs;
    if (start > now) await sleep(start - now);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.waiting.shift()?.();
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
