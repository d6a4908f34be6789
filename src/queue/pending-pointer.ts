import type { Redis } from "ioredis";
import { pullRequestKey, type ReviewJob } from "../review/review-job.js";

/**
 * A pointer outlives its job only if the job vanished without running (removed by hand,
 * Redis evicted it); the expiry keeps such leftovers from accumulating.
 */
const POINTER_TTL_MS = 7 * 24 * 3600 * 1000;

const SWAP = `
local previous = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return previous`;

const CLEAR_IF_NAMED = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** `<prefix>:<queue>:pending:<repositoryId>:<pullNumber>` → id of the job waiting for that pull request. */
export function pendingPointerKey(prefix: string, queueName: string, job: Pick<ReviewJob, "repositoryId" | "pullNumber">): string {
  return `${prefix}:${queueName}:pending:${pullRequestKey(job)}`;
}

/**
 * Points the pull request at `jobId` and returns the job it named before. Atomic, so each
 * previous job is handed to exactly one enqueuer, which alone may replace it.
 */
export async function swapPendingPointer(redis: Redis, key: string, jobId: string): Promise<string | null> {
  return (await redis.eval(SWAP, 1, key, jobId, POINTER_TTL_MS)) as string | null;
}

/** Clears the pointer only if it still names `jobId`: a newer job may already have taken it. */
export async function clearPendingPointer(redis: Redis, key: string, jobId: string): Promise<boolean> {
  return (await redis.eval(CLEAR_IF_NAMED, 1, key, jobId)) === 1;
}
