/** What started a review. */
export type ReviewTrigger = "pull_request" | "rerequested" | "comment";

/**
 * A queued review. It carries ids only: everything else is read from GitHub when the job
 * runs, so a delayed job never reviews stale data.
 */
export interface ReviewJob {
  installationId: number;
  repositoryId: number;
  owner: string;
  repo: string;
  pullNumber: number;
  headSha: string;
  checkRunId: number;
  trigger: ReviewTrigger;
  /** Check runs of pending jobs this one replaced; the worker closes them as cancelled. */
  supersededCheckRunIds?: number[];
}

/** The key that makes one pending job per pull request. */
export function pullRequestKey(job: Pick<ReviewJob, "repositoryId" | "pullNumber">): string {
  return `${job.repositoryId}:${job.pullNumber}`;
}
