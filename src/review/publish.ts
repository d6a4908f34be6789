import type { RepoConfig } from "../config/repo-config.js";
import { statusOf, toReviewError } from "./github-errors.js";
import type { GitHub } from "./github.js";
import {
  MAX_ANNOTATIONS_PER_REQUEST,
  fingerprintOf,
  fixedBody,
  isMarkedFixed,
  type Annotation,
  type Conclusion,
  type InlineComment,
} from "./render.js";
import type { ReviewJob } from "./review-job.js";

/** A review comment the app wrote earlier, found by its hidden marker. */
export interface ExistingComment {
  id: number;
  fingerprint: string;
  path: string;
  body: string;
  fixed: boolean;
}

export interface CommentPlan {
  toPost: InlineComment[];
  toMarkFixed: ExistingComment[];
  alreadyPosted: number;
  overLimit: number;
}

export async function listAppComments(github: GitHub, job: ReviewJob): Promise<ExistingComment[]> {
  try {
    const comments = await github.paginate(github.rest.pulls.listReviewComments, {
      owner: job.owner,
      repo: job.repo,
      pull_number: job.pullNumber,
      per_page: 100,
    });
    const ours: ExistingComment[] = [];
    for (const c of comments) {
      const fingerprint = fingerprintOf(c.body);
      if (fingerprint && c.user?.type === "Bot") ours.push({ id: c.id, fingerprint, path: c.path, body: c.body, fixed: isMarkedFixed(c.body) });
    }
    return ours;
  } catch (error) {
    throw toReviewError("listing review comments", error);
  }
}

/**
 * Decide what to write so that a rescan of the same code adds nothing, and a comment whose
 * finding is gone is marked fixed. A comment on a file this run could not read is left alone.
 */
export function planComments(
  candidates: InlineComment[],
  currentFingerprints: Set<string>,
  existing: ExistingComment[],
  settled: (path: string) => boolean,
  config: Pick<RepoConfig, "max_comments" | "comments">,
): CommentPlan {
  const live = new Set(existing.filter((c) => !c.fixed).map((c) => c.fingerprint));
  const fresh = candidates.filter((c) => !live.has(c.fingerprint));
  const allowed = config.comments === "annotations" ? 0 : config.max_comments;
  return {
    toPost: fresh.slice(0, allowed),
    toMarkFixed: existing.filter((c) => !c.fixed && !currentFingerprints.has(c.fingerprint) && settled(c.path)),
    alreadyPosted: candidates.length - fresh.length,
    overLimit: Math.max(0, fresh.length - allowed),
  };
}

/**
 * Post the new comments as one review. If GitHub refuses the batch (422: a line it will not
 * take), post them one by one so one bad line does not lose the others.
 */
export async function postReview(github: GitHub, job: ReviewJob, comments: InlineComment[], body: string): Promise<{ posted: number; rejected: number }> {
  if (comments.length === 0) return { posted: 0, rejected: 0 };
  const { owner, repo, pullNumber: pull_number, headSha: commit_id } = job;
  try {
    await github.rest.pulls.createReview({
      owner,
      repo,
      pull_number,
      commit_id,
      event: "COMMENT",
      body,
      comments: comments.map((c) => ({ path: c.path, line: c.line, side: "RIGHT" as const, ...(c.startLine ? { start_line: c.startLine, start_side: "RIGHT" as const } : {}), body: c.body })),
    });
    return { posted: comments.length, rejected: 0 };
  } catch (error) {
    if (statusOf(error) !== 422) throw toReviewError("posting the review", error);
  }
  let posted = 0;
  let rejected = 0;
  for (const c of comments) {
    try {
      await github.rest.pulls.createReviewComment({ owner, repo, pull_number, commit_id, path: c.path, line: c.line, side: "RIGHT", ...(c.startLine ? { start_line: c.startLine, start_side: "RIGHT" as const } : {}), body: c.body });
      posted++;
    } catch (error) {
      if (statusOf(error) !== 422) throw toReviewError(`commenting on ${c.path}:${c.line}`, error);
      rejected++;
    }
  }
  return { posted, rejected };
}

export async function markFixed(github: GitHub, job: ReviewJob, comments: ExistingComment[]): Promise<number> {
  let marked = 0;
  for (const c of comments) {
    try {
      await github.rest.pulls.updateReviewComment({ owner: job.owner, repo: job.repo, comment_id: c.id, body: fixedBody(c.body, job.headSha) });
      marked++;
    } catch (error) {
      if (statusOf(error) !== 404) throw toReviewError("marking a comment fixed", error); // 404: deleted by a person
    }
  }
  return marked;
}

export interface CheckOutput {
  title: string;
  summary: string;
  annotations?: Annotation[];
}

/** Complete the check run; annotations go in batches of 50, which GitHub appends. */
export async function completeCheckRun(
  github: GitHub,
  job: Pick<ReviewJob, "owner" | "repo">,
  checkRunId: number,
  conclusion: Conclusion | "cancelled",
  output: CheckOutput,
  now: Date,
): Promise<void> {
  const annotations = output.annotations ?? [];
  const batches: Annotation[][] = [];
  for (let i = 0; i < annotations.length; i += MAX_ANNOTATIONS_PER_REQUEST) batches.push(annotations.slice(i, i + MAX_ANNOTATIONS_PER_REQUEST));
  const { owner, repo } = job;
  try {
    await github.rest.checks.update({
      owner,
      repo,
      check_run_id: checkRunId,
      status: "completed",
      conclusion,
      completed_at: now.toISOString(),
      output: { title: output.title, summary: output.summary, annotations: batches[0] ?? [] },
    });
    for (const batch of batches.slice(1)) {
      await github.rest.checks.update({ owner, repo, check_run_id: checkRunId, output: { title: output.title, summary: output.summary, annotations: batch } });
    }
  } catch (error) {
    throw toReviewError("completing the check run", error);
  }
}
