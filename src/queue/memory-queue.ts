import { pullRequestKey, type ReviewJob } from "../review/review-job.js";
import { consoleLogger } from "./console-logger.js";
import { reviewJobId } from "./review-job-id.js";
import {
  HEAD_CLAIM_TTL_SECONDS,
  asError,
  headClaimKey,
  isRetryable,
  type EnqueueOptions,
  type EnqueueResult,
  type QueueLogger,
  type ReviewFailureHandler,
  type ReviewProcessor,
  type ReviewQueue,
} from "./review-queue.js";
import { checkRunsOf, supersede } from "./supersede.js";

export interface MemoryReviewQueueOptions {
  processor: ReviewProcessor;
  onFailed: ReviewFailureHandler;
  concurrency?: number;
  attempts?: number;
  /** First retry delay; each further retry waits twice as long. */
  backoffMs?: number;
  logger?: QueueLogger;
}

export type MemoryReviewQueue = ReviewQueue & {
  /** Resolves once nothing is waiting, running or waiting to be retried. */
  drain(): Promise<void>;
};

/** Ids of finished jobs remembered so that a repeated delivery is not reviewed again. */
const FINISHED_IDS_KEPT = 1000;

interface Entry {
  id: string;
  job: ReviewJob;
  priority: number;
  sequence: number;
  attemptsMade: number;
}

/**
 * The review queue of a single-process installation (no REDIS_URL): the same semantics as the
 * BullMQ queue, without persistence. On close, jobs that never ran are handed to `onFailed`
 * so that their check runs are completed rather than left in progress.
 */
export function createMemoryReviewQueue(options: MemoryReviewQueueOptions): MemoryReviewQueue {
  const { processor, onFailed, concurrency = 2, attempts = 4, backoffMs = 2000, logger = consoleLogger } = options;
  if (concurrency < 1 || attempts < 1) throw new Error("concurrency and attempts must be at least 1");

  const waiting: Entry[] = [];
  /** Per pull request, the waiting job that has never started: the only kind that is replaced. */
  const pending = new Map<string, Entry>();
  const unfinished = new Map<string, Entry>();
  const finished = new Set<string>();
  const retryTimers = new Map<Entry, NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  let idleWaiters: Array<() => void> = [];
  let sequence = 0;
  let closed = false;
  let closing: Promise<void> | undefined;

  function settleIfIdle(): void {
    if (waiting.length > 0 || running.size > 0 || retryTimers.size > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  function remember(entry: Entry): void {
    unfinished.delete(entry.id);
    finished.add(entry.id);
    if (finished.size > FINISHED_IDS_KEPT) finished.delete(finished.values().next().value as string);
  }

  async function failForGood(entry: Entry, error: Error): Promise<void> {
    try {
      await onFailed(entry.job, error);
    } catch (handlerError) {
      logger.error({ jobId: entry.id, err: handlerError }, "review failure handler threw");
    }
    remember(entry);
  }

  async function run(entry: Entry): Promise<void> {
    const attempt = entry.attemptsMade + 1;
    try {
      const outcome = await processor(entry.job, { attempt, maxAttempts: attempts });
      if (outcome === "cancelled") claims.delete(headClaimKey(entry.job));
      remember(entry);
      return;
    } catch (thrown) {
      const error = asError(thrown);
      entry.attemptsMade = attempt;
      if (!closed && isRetryable(error) && attempt < attempts) {
        const delay = backoffMs * 2 ** (attempt - 1);
        logger.warn({ jobId: entry.id, attempt, delay, err: error }, "review failed, retrying");
        const timer = setTimeout(() => {
          retryTimers.delete(entry);
          entry.sequence = sequence++;
          waiting.push(entry);
          pump();
        }, delay);
        retryTimers.set(entry, timer);
        return;
      }
      await failForGood(entry, error);
    }
  }

  function next(): Entry | undefined {
    let best = -1;
    for (let i = 0; i < waiting.length; i++) {
      const candidate = waiting[i]!;
      const current = waiting[best];
      if (
        current === undefined ||
        candidate.priority < current.priority ||
        (candidate.priority === current.priority && candidate.sequence < current.sequence)
      ) {
        best = i;
      }
    }
    return best === -1 ? undefined : waiting.splice(best, 1)[0];
  }

  function pump(): void {
    while (!closed && running.size < concurrency) {
      const entry = next();
      if (entry === undefined) break;
      const key = pullRequestKey(entry.job);
      if (pending.get(key) === entry) pending.delete(key);
      const task: Promise<void> = run(entry).finally(() => {
        running.delete(task);
        pump();
        settleIfIdle();
      });
      running.add(task);
    }
    settleIfIdle();
  }

  async function shutDown(): Promise<void> {
    closed = true;
    const abandoned = waiting.splice(0, waiting.length);
    for (const [entry, timer] of retryTimers) {
      clearTimeout(timer);
      abandoned.push(entry);
    }
    retryTimers.clear();
    pending.clear();
    const shutdown = new Error("mcp-review shut down before this review could run; re-run the check to review");
    await Promise.all([...running, ...abandoned.map((entry) => failForGood(entry, shutdown))]);
    settleIfIdle();
  }

  /** Claimed heads and when the claim lapses (ms since the epoch), oldest first. */
  const claims = new Map<string, number>();

  return {
    async claimHead(head) {
      const now = Date.now();
      for (const [key, expires] of claims) {
        if (expires > now && claims.size <= FINISHED_IDS_KEPT) break;
        claims.delete(key);
      }
      const key = headClaimKey(head);
      if ((claims.get(key) ?? 0) > now) return false;
      claims.set(key, now + HEAD_CLAIM_TTL_SECONDS * 1000);
      // A new turn claims the head itself too: later deliveries for the head find it reviewed.
      if (head.after !== undefined) claims.set(headClaimKey({ ...head, after: undefined }), now + HEAD_CLAIM_TTL_SECONDS * 1000);
      return true;
    },

    async enqueue(job: ReviewJob, { manual }: EnqueueOptions): Promise<EnqueueResult> {
      if (closed) throw new Error("the review queue is closed");
      const jobId = reviewJobId(job);
      if (unfinished.has(jobId) || finished.has(jobId)) return { jobId, replaced: [] };

      const key = pullRequestKey(job);
      const previous = pending.get(key);
      const replaced = previous === undefined ? [] : checkRunsOf(previous.job);
      if (previous !== undefined) {
        waiting.splice(waiting.indexOf(previous), 1);
        unfinished.delete(previous.id);
        // Its review is cancelled unrun: the head may come back (a push reverted) and be reviewed then.
        claims.delete(headClaimKey(previous.job));
      }
      const entry: Entry = {
        id: jobId,
        job: supersede(job, replaced),
        priority: manual ? 1 : 2,
        sequence: sequence++,
        attemptsMade: 0,
      };
      waiting.push(entry);
      pending.set(key, entry);
      unfinished.set(jobId, entry);
      pump();
      return { jobId, replaced };
    },

    drain(): Promise<void> {
      return new Promise((resolve) => {
        idleWaiters.push(resolve);
        settleIfIdle();
      });
    },

    close(): Promise<void> {
      closing ??= shutDown();
      return closing;
    },
  };
}
