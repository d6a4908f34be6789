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

/** Runs one review. Throwing an error with `retryable === false` ends the job without retry. */
export type ReviewProcessor = (job: ReviewJob, attempt: AttemptInfo) => Promise<void>;

/** Called once when a job has failed for good (no attempt left, or a permanent error). */
export type ReviewFailureHandler = (job: ReviewJob, error: Error) => Promise<void>;

/** Where webhook handlers put reviews. One pending job per pull request. */
export interface ReviewQueue {
  enqueue(job: ReviewJob, options: EnqueueOptions): Promise<EnqueueResult>;
  close(): Promise<void>;
}
