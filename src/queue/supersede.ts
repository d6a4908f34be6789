import type { ReviewJob } from "../review/review-job.js";

/** The check runs a pending job leaves open when it is replaced: its own and those it had replaced. */
export function checkRunsOf(replaced: ReviewJob): number[] {
  return [...(replaced.supersededCheckRunIds ?? []), replaced.checkRunId];
}

/**
 * The job to store: `replaced` (oldest first) joins the check runs the job already closes.
 * The field stays absent when there is nothing to close, so an unreplaced job is stored as given.
 */
export function supersede(job: ReviewJob, replaced: number[]): ReviewJob {
  if (replaced.length === 0) return job;
  const ids = [...new Set([...replaced, ...(job.supersededCheckRunIds ?? [])])].filter((id) => id !== job.checkRunId);
  return { ...job, supersededCheckRunIds: ids };
}
