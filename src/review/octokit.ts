import { ProbotOctokit } from "probot";
import { requestPolicy } from "./request-policy.js";

type Options = Record<string, unknown>;

/**
 * The environment Probot reads its options from, without REDIS_URL: given one, Probot routes every
 * GitHub request through a Redis-backed limiter (several Redis round trips each), which made a
 * review's 50 file reads take 600 ms on loopback. REDIS_URL stays the queue's; GitHub's limits are
 * answered from its own headers, per process.
 */
export function probotEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const { REDIS_URL: _queueOnly, ...rest } = env;
  return rest;
}

/**
 * The Octokit every mcp-review process uses: Probot's, with its retry and throttling plugins
 * replaced by `requestPolicy` (see there for why and what it does). Probot's throttling defaults
 * spaced every write in a process a second apart and every review or comment three seconds apart,
 * and gave up on the first secondary rate limit.
 */
export const McpReviewOctokit = ProbotOctokit.plugin(requestPolicy).defaults((options: Options) => ({
  ...options,
  retry: { enabled: false },
  throttle: { ...(options.throttle as object | undefined), enabled: false },
}));
