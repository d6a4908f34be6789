import type { ReviewJob } from "../review/review-job.js";

export interface EnqueueOptions {
  /** A person asked for this review (comment command, Re-run button). */
  manual: boolean;
}

export interface EnqueueResult {
  jobId: string;
  /** Check run ids of the pending jobs this one replaced. */
  replaced: number[];
}

/** Facts about the attempt the processor is running. */
export interface AttemptInfo {
  /** 1-based. */
  attempt: number;
  maxAttempts: number;
}

/**
 * Runs one review. Throwing an error with `retryable === false` ends the job without retry.
 * "cancelled" says the review ended without judging the head (the pull request was closed, or
 * its head moved on): the queue then releases the head's claim, so that the same head is
 * reviewed when it comes back (reopened, pushed again).
 */
export type ReviewProcessor = (job: ReviewJob, attempt: AttemptInfo) => Promise<"cancelled" | void>;

/** Called once when a job has failed for good (no attempt left, or a permanent error). */
export type ReviewFailureHandler = (job: ReviewJob, error: Error) => Promise<void>;

/** How long a reviewed head is remembered, so repeated deliveries for it are not reviewed again. */
export const HEAD_CLAIM_TTL_SECONDS = 3600;

/**
 * A head to claim. `after` is the check run a new review would follow, when a new review of a
 * head is due even though the head was seen before (its last review was cancelled): each such
 * turn is claimed once, so a redelivered event still adds nothing.
 */
export type HeadClaim = Pick<ReviewJob, "repositoryId" | "pullNumber" | "headSha"> & { after?: number };

/** The key of a head's claim, the same for every process. */
export function headClaimKey({ repositoryId, pullNumber, headSha, after }: HeadClaim): string {
  return `${repositoryId}:${pullNumber}:${headSha}${after === undefined ? "" : `:after-${after}`}`;
}

/** Where webhook handlers put reviews. One pending job per pull request. */
export interface ReviewQueue {
  /**
   * True the first time an automatic review of this head is asked for (within
   * HEAD_CLAIM_TTL_SECONDS), across every process sharing the queue. GitHub delivers webhooks at
   * least once and sends several events for one head; a person's rescan does not ask.
   */
  claimHead(head: HeadClaim): Promise<boolean>;
  enqueue(job: ReviewJob, options: EnqueueOptions): Promise<EnqueueResult>;
  close(): Promise<void>;
}

/** A running consumer of review jobs. `close()` lets active jobs finish, then stops. */
export interface ReviewWorker {
  close(): Promise<void>;
}

/** The part of a pino (Probot) logger the queues use. */
export interface QueueLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** False only for an error that says so (`retryable === false`): retrying cannot help. */
export function isRetryable(error: unknown): boolean {
  return !(typeof error === "object" && error !== null && (error as { retryable?: unknown }).retryable === false);
}

/** What a processor threw, as an Error (a thrown string or object is wrapped). */
export function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(typeof thrown === "string" ? thrown : JSON.stringify(thrown));
}

/**
 * Reviews one process runs at once (WORKER_CONCURRENCY). A review mostly waits on GitHub, and its
 * analysis runs in a thread, so several overlap well: with 50 ms per GitHub request, ten 50-file
 * pull requests finished with a p95 of 2.2 s at 4 against 3.3 s at 2, at about 10 MB more per job.
 */
export const DEFAULT_WORKER_CONCURRENCY = 4;
