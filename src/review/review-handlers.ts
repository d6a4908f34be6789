import type { ReviewFailureHandler, ReviewProcessor } from "../queue/review-queue.js";
import { failReview, runReview, type ReviewDeps } from "./run-review.js";

/** What a queue needs to run reviews: the processor and the handler of final failures. */
export function reviewHandlers(deps: ReviewDeps): { processor: ReviewProcessor; onFailed: ReviewFailureHandler } {
  return {
    processor: async (job, attempt) => {
      const outcome = await runReview(job, deps, attempt);
      return outcome === "completed" ? undefined : "cancelled";
    },
    onFailed: (job, error) => failReview(job, error, deps),
  };
}
