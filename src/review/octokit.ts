import Bottleneck from "bottleneck";
import { ProbotOctokit } from "probot";

/**
 * How far apart this process sends content-creating requests (POST, PATCH). The throttling
 * plugin's defaults are one write per second and one notifying write (a review, a comment) per
 * three seconds for the whole process, so ten concurrent reviews took half a minute and a burst
 * of 150 pull requests over seven. GitHub's secondary limits are per installation and
 * answered with `retry-after`, which the handler below honors, so a light spacing is enough.
 */
const WRITE_SPACING_MS = 10;
const MAX_CONCURRENT_WRITES = 8;
/** Wait out a secondary rate limit at most this many times per request, and at most this long. */
const SECONDARY_LIMIT_RETRIES = 2;
const MAX_RETRY_AFTER_SECONDS = 120;

const writes = new Bottleneck.Group({ maxConcurrent: MAX_CONCURRENT_WRITES, minTime: WRITE_SPACING_MS });
/** Writes that notify people (reviews, comments) go through this too; the plugin's own is one per 3 s. */
const notifyingWrites = new Bottleneck.Group({ maxConcurrent: MAX_CONCURRENT_WRITES, minTime: WRITE_SPACING_MS });

type Options = Record<string, unknown> & { throttle?: Record<string, unknown> };

/**
 * The environment Probot reads its options from, without REDIS_URL: given one, Probot routes every
 * GitHub request through a Redis-backed limiter (several Redis round trips each), which made a
 * review's 50 file reads take 600 ms on loopback. REDIS_URL stays the queue's; GitHub's limits are
 * answered from its own headers (above), per process.
 */
export function probotEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const { REDIS_URL: _queueOnly, ...rest } = env;
  return rest;
}

/**
 * The Octokit every mcp-review process uses: Probot's, with writes spaced per process and
 * secondary rate limits waited out instead of failing the review. Probot's own throttle options
 * would otherwise give up on the first secondary limit.
 */
export const McpReviewOctokit = ProbotOctokit.defaults((options: Options) => ({
  ...options,
  throttle: {
    ...options.throttle,
    write: writes,
    notifications: notifyingWrites,
    onSecondaryRateLimit: (retryAfter: number, _request: unknown, _octokit: unknown, retryCount: number) =>
      retryCount < SECONDARY_LIMIT_RETRIES && retryAfter <= MAX_RETRY_AFTER_SECONDS,
    onRateLimit: (retryAfter: number, _request: unknown, _octokit: unknown, retryCount: number) =>
      retryCount < SECONDARY_LIMIT_RETRIES && retryAfter <= MAX_RETRY_AFTER_SECONDS,
  },
}));
