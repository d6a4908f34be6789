import { UnrecoverableError, Worker } from "bullmq";
import type { ReviewJob } from "../review/review-job.js";
import { DEFAULT_QUEUE_NAME, redisClaimKey, type REVIEW_JOB_NAME, type ReviewBullJob } from "./bullmq-queue.js";
import { consoleLogger } from "./console-logger.js";
import { clearPendingPointer, pendingPointerKey } from "./pending-pointer.js";
import { bullmqConnection, DEFAULT_PREFIX, openRedis, type RedisConnectionOptions } from "./redis-connection.js";
import {
  asError,
  isRetryable,
  type QueueLogger,
  type ReviewFailureHandler,
  type ReviewProcessor,
  type ReviewWorker,
} from "./review-queue.js";

export interface BullmqReviewWorkerOptions {
  connection: RedisConnectionOptions;
  queueName?: string;
  prefix?: string;
  processor: ReviewProcessor;
  onFailed: ReviewFailureHandler;
  concurrency?: number;
  logger?: QueueLogger;
  /**
   * How long a job stays locked without renewal. The lock is renewed at half this while the
   * job runs, so it only expires when the worker is gone; then the stalled check of any
   * worker (every `stalledIntervalMs`) puts the job back for another worker.
   */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

/**
 * A consumer of the Redis review queue. Any number of them, on any number of machines,
 * share one queue; each job runs on one of them at a time.
 */
export function startBullmqReviewWorker(options: BullmqReviewWorkerOptions): ReviewWorker {
  const {
    connection,
    queueName = DEFAULT_QUEUE_NAME,
    prefix = DEFAULT_PREFIX,
    processor,
    onFailed,
    concurrency = 2,
    logger = consoleLogger,
    lockDurationMs = 30_000,
    stalledIntervalMs = 15_000,
  } = options;
  const redis = openRedis(connection);
  /** Errors whose job has already been handed to onFailed. */
  const reported = new WeakSet<Error>();
  const reporting = new Set<Promise<void>>();

  async function reportFailure(job: ReviewJob, jobId: string | undefined, error: Error): Promise<void> {
    try {
      await onFailed(job, error);
    } catch (handlerError) {
      logger.error({ jobId, err: handlerError }, "review failure handler threw");
    }
  }

  /** A cancelled review leaves its head unjudged: let the head be claimed again when it comes back. */
  async function releaseHead(job: ReviewJob, jobId: string): Promise<void> {
    try {
      await redis.del(redisClaimKey(prefix, queueName, job));
    } catch (error) {
      // The claim lapses by itself within the hour; a reopen in between finds the cancelled check run.
      logger.warn({ jobId, err: error }, "could not release the head's claim");
    }
  }

  async function run(bullJob: ReviewBullJob): Promise<void> {
    const jobId = bullJob.id!;
    const job = bullJob.data;
    try {
      // From now on this job is running and must not be replaced; a newer job waits behind it.
      await clearPendingPointer(redis, pendingPointerKey(prefix, queueName, job), jobId);
    } catch (error) {
      // A stale pointer is harmless: the next enqueue finds the job active and leaves it.
      logger.warn({ jobId, err: error }, "could not clear the pending pointer");
    }
    const attempt = bullJob.attemptsMade + 1;
    const maxAttempts = bullJob.opts.attempts ?? 1;
    try {
      if ((await processor(job, { attempt, maxAttempts })) === "cancelled") await releaseHead(job, jobId);
    } catch (thrown) {
      const error = asError(thrown);
      if (isRetryable(error) && attempt < maxAttempts) throw error;
      // Reported while the job is still locked here: if this process dies now, the job is
      // recovered as stalled and reported again, rather than never.
      await reportFailure(job, jobId, error);
      const final = new UnrecoverableError(error.message);
      reported.add(final);
      throw final;
    }
  }

  const worker = new Worker<ReviewJob, void, typeof REVIEW_JOB_NAME>(queueName, run, {
    connection: bullmqConnection(connection),
    prefix,
    concurrency,
    lockDuration: lockDurationMs,
    stalledInterval: stalledIntervalMs,
    // A job whose worker died twice is more likely the cause than the victim.
    maxStalledCount: 2,
  });

  worker.on("failed", (bullJob, error) => {
    if (reported.has(error)) return;
    if (bullJob === undefined) {
      logger.error({ err: error }, "a review job failed and was removed before it could be reported");
      return;
    }
    const retrying = error.name !== "UnrecoverableError" && bullJob.attemptsMade < (bullJob.opts.attempts ?? 1);
    if (retrying) {
      logger.warn({ jobId: bullJob.id, attempt: bullJob.attemptsMade, err: error }, "review failed, retrying");
      return;
    }
    // Failed by BullMQ itself without running the processor, e.g. stalled too often.
    const task = reportFailure(bullJob.data, bullJob.id, error).finally(() => reporting.delete(task));
    reporting.add(task);
  });
  worker.on("error", (error) => logger.error({ err: error }, "review worker error"));

  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= (async () => {
        await worker.close();
        await Promise.all(reporting);
        await redis.quit();
      })();
      return closing;
    },
  };
}
