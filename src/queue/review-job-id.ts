import type { ReviewJob } from "../review/review-job.js";

/**
 * A job is named by the check run it completes, so a repeated webhook delivery for the same
 * check run adds nothing. BullMQ forbids ":" in custom ids, hence "-".
 */
export function reviewJobId(job: Pick<ReviewJob, "repositoryId" | "pullNumber" | "checkRunId">): string {
  return `review-${job.repositoryId}-${job.pullNumber}-${job.checkRunId}`;
}
