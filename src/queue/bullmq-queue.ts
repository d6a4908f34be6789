import { Queue, type Job } from "bullmq";
import { pullRequestKey, type ReviewJob } from "../review/review-job.js";
import { consoleLogger } from "./console-logger.js";
import { pendingPointerKey, swapPendingPointer } from "./pending-pointer.js";
import { bullmqConnection, DEFAULT_PREFIX, openRedis, type RedisConnectionOptions } from "./redis-connection.js";
import { reviewJobId } from "./review-job-id.js";
import { HEAD_CLAIM_TTL_SECONDS, headClaimKey, type EnqueueOptions, type EnqueueResult, type HeadClaim, type QueueLogger, type ReviewQueue } from "./review-queue.js";
import { checkRunsOf, supersede } from "./supersede.js";

export const DEFAULT_QUEUE_NAME = "mcp-review";
export const REVIEW_JOB_NAME = "review";

/** BullMQ runs unprioritized jobs first, so both kinds are prioritized; lower runs first. */
const MANUAL_PRIORITY = 1;
const AUTOMATIC_PRIORITY = 2;

/** States in which a job has never started and may be replaced by a newer one. */
const REPLACEABLE_STATES = new Set(["waiting", "prioritized", "delayed", "paused"]);

export interface BullmqReviewQueueOptions {
  connection: RedisConnectionOptions;
  queueName?: string;
  prefix?: string;
  attempts?: number;
  /** First retry delay; BullMQ doubles it for each further retry. */
  backoffMs?: number;
  logger?: QueueLogger;
}

export type ReviewBullJob = Job<ReviewJob, void, typeof REVIEW_JOB_NAME>;

/** Where a head's claim lives in Redis, for the queue that claims it and the workers that release it. */
export function redisClaimKey(prefix: string, queueName: string, head: HeadClaim): string {
  return `${prefix}:${queueName}:head:${headClaimKey(head)}`;
}

/**
 * The web process's side of the Redis queue: adds review jobs, keeping at most one job
 * waiting per pull request. Workers (bullmq-worker.ts) run them.
 */
export function createBullmqReviewQueue(options: BullmqReviewQueueOptions): ReviewQueue {
  const {
    connection,
    queueName = DEFAULT_QUEUE_NAME,
    prefix = DEFAULT_PREFIX,
    attempts = 4,
    backoffMs = 2000,
    logger = consoleLogger,
  } = options;
  const queue = new Queue<ReviewJob, void, typeof REVIEW_JOB_NAME>(queueName, {
    connection: bullmqConnection(connection),
    prefix,
  });
  const redis = openRedis(connection);
  // One enqueue at a time per pull request in this process; across processes the pointer swap decides.
  const inFlight = new Map<string, Promise<unknown>>();

  async function takeOver(previousId: string): Promise<number[]> {
    const previous = (await queue.getJob(previousId)) as ReviewBullJob | undefined;
    if (previous === undefined) return [];
    if (!REPLACEABLE_STATES.has(await previous.getState())) return [];
    try {
      await previous.remove();
    } catch (error) {
      // It became active between the two calls: it runs, and the new job waits behind it.
      logger.info({ jobId: previousId, err: error }, "pending review started meanwhile; not replaced");
      return [];
    }
    // Its review is cancelled unrun: the head may come back (a push reverted) and be reviewed then.
    await redis.del(redisClaimKey(prefix, queueName, previous.data));
    return checkRunsOf(previous.data);
  }

  async function enqueueNow(job: ReviewJob, { manual }: EnqueueOptions): Promise<EnqueueResult> {
    const jobId = reviewJobId(job);
    if ((await queue.getJob(jobId)) !== undefined) return { jobId, replaced: [] };

    const previousId = await swapPendingPointer(redis, pendingPointerKey(prefix, queueName, job), jobId);
    const replaced = previousId === null || previousId === jobId ? [] : await takeOver(previousId);
    await queue.add(REVIEW_JOB_NAME, supersede(job, replaced), {
      jobId,
      priority: manual ? MANUAL_PRIORITY : AUTOMATIC_PRIORITY,
      attempts,
      backoff: { type: "exponential", delay: backoffMs },
      removeOnComplete: { age: 24 * 3600, count: 1000 },
      removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
    });
    if (replaced.length > 0) logger.info({ jobId, replaced }, "replaced pending reviews of the pull request");
    return { jobId, replaced };
  }

  return {
    async claimHead(head) {
      const claimed = (await redis.set(redisClaimKey(prefix, queueName, head), "1", "EX", HEAD_CLAIM_TTL_SECONDS, "NX")) === "OK";
      // A new turn claims the head itself too: later deliveries for the head find it reviewed.
      if (claimed && head.after !== undefined) await redis.set(redisClaimKey(prefix, queueName, { ...head, after: undefined }), "1", "EX", HEAD_CLAIM_TTL_SECONDS);
      return claimed;
    },

    enqueue(job, enqueueOptions) {
      const key = pullRequestKey(job);
      const before = inFlight.get(key) ?? Promise.resolve();
      const result = before.catch(() => {}).then(() => enqueueNow(job, enqueueOptions));
      const settled = result.catch(() => {});
      inFlight.set(key, settled);
      void settled.then(() => {
        if (inFlight.get(key) === settled) inFlight.delete(key);
      });
      return result;
    },

    async close() {
      await Promise.all(inFlight.values());
      await queue.close();
      await redis.quit();
    },
  };
}
