import { analyzeInline, type Analyzer } from "./analysis-pool.js";
import type { AttemptInfo } from "../queue/review-queue.js";
import { splitByBaseline } from "./baseline.js";
import { collect, loadPullRequest, type PullRequestState } from "./collect.js";
import { treatmentOf } from "../config/repo-config.js";
import { statusOf, toReviewError } from "./github-errors.js";
import type { GitHub, GitHubFactory } from "./github.js";
import { completeCheckRun, listAppComments, markFixed, planComments, postReview } from "./publish.js";
import {
  MAX_ANNOTATIONS,
  annotationsFor,
  commentBody,
  conclusionFor,
  placeFindings,
  placedPath,
  summaryFor,
  titleFor,
  type InlineComment,
  type PlacedFinding,
  type RuleDoc,
} from "./render.js";
import type { DiffLines } from "./diff-lines.js";
import type { ReviewJob } from "./review-job.js";

export interface ReviewDeps {
  github: GitHubFactory;
  /** Where the engine runs: a thread pool in the processes, the calling thread by default. */
  analyze?: Analyzer;
  now?: () => Date;
  log?: { info(obj: object, msg?: string): void };
}

export type ReviewOutcome = "completed" | "stale" | "closed";

/** The named pipeline of one review job: load, analyze, render, publish. */
export async function runReview(job: ReviewJob, deps: ReviewDeps, _attempt?: AttemptInfo): Promise<ReviewOutcome> {
  const now = deps.now ?? (() => new Date());
  const github = await deps.github(job.installationId);

  await cancelSuperseded(github, job, now());

  const pull = await loadPullRequest(github, job);
  const gone = await endIfStale(github, job, pull, now());
  if (gone) return gone;

  await markInProgress(github, job, now());
  const collected = await collect(github, job, pull);
  const analyzeOptions = { rules: collected.config.rules, allowSuppressions: collected.config.allow_suppressions, paths: collected.config.paths };
  const analyzer = deps.analyze ?? analyzeInline;
  const result = await analyzer(collected.files, analyzeOptions, collected.diff);
  // Only findings on changed lines count, and only new ones: those whose code the base branch
  // already had (told in the same request) are listed, not gated on. Findings elsewhere in the
  // changed files are listed, never counted, commented or annotated.
  // Unchanged neighbours were read for the flow through them: their findings count only where
  // the pull request changed a step of the way (placed there), and are not listed otherwise.
  const allPlaced = placeFindings(result.findings, collected.diff).filter((p) => p.changedLine !== undefined || collected.changedPaths.has(p.finding.path));
  const { onBase } = splitByBaseline(allPlaced.filter((p) => p.changedLine !== undefined).map((p) => p.finding), result.baseline);
  const old = new Set(onBase);
  const placed = allPlaced.filter((p) => !old.has(p.finding));

  // The head may have moved while we worked: a review of old code must not gate the new one.
  const latest = await loadPullRequest(github, job);
  const goneNow = await endIfStale(github, job, latest, now());
  if (goneNow) return goneNow;

  const { config } = collected;
  const conclusion = conclusionFor(placed, config);

  // Test and generated code's findings are listed only (by default): no comment, no annotation.
  const shown = placed.filter((p) => p.changedLine !== undefined && treatmentOf(p.finding, config) !== "listed");
  // GitHub takes comments only on lines its diff shows (none, for a lockfile diff too large to show).
  const candidates: InlineComment[] = shown
    .filter((p) => collected.diff.get(placedPath(p))?.commentable.has(p.changedLine!))
    .map((p) => inlineComment(p, collected.diff, result.ruleDocs[p.finding.ruleId]));
  // A comment's finding is known to be gone only where this run saw the file's current state.
  const unparsed = new Set(result.skipped.map((s) => s.path));
  const analyzed = new Set(collected.files.map((f) => f.path).filter((p) => !unparsed.has(p)));
  const removed = new Set(collected.skipped.filter((s) => s.reason === "removed").map((s) => s.path));
  const settled = (path: string) => analyzed.has(path) || removed.has(path) || !collected.changedPaths.has(path);

  const existing = config.comments === "annotations" ? [] : await listAppComments(github, job);
  const current = new Set([...result.findings, ...result.suppressed.map((s) => s.finding)].map((f) => f.fingerprint));
  const plan = planComments(candidates, current, existing, settled, config);
  const { posted, rejected } = await postReview(github, job, plan.toPost, reviewBody(plan.toPost.length));
  const markedFixed = await markFixed(github, job, plan.toMarkFixed);

  const annotated = shown;
  const annotations = config.comments === "review" ? [] : annotationsFor(annotated);
  const summary = summaryFor({
    placed,
    config,
    configErrors: collected.configErrors,
    skipped: [...collected.skipped, ...result.skipped],
    ruleErrors: result.errors,
    suppressed: result.suppressed,
    onBase,
    filesAnalyzed: result.stats.filesAnalyzed,
    neighbours: collected.neighbours,
    headSha: job.headSha,
    comments: { posted, alreadyPosted: plan.alreadyPosted, markedFixed, overLimit: plan.overLimit, rejected, suggestions: plan.toPost.filter((c) => c.suggests).length },
    annotationsDropped: config.comments === "review" ? 0 : Math.max(0, annotated.length - MAX_ANNOTATIONS),
  });
  await completeCheckRun(github, job, job.checkRunId, conclusion, { title: titleFor(placed, conclusion, config), summary, annotations }, now());
  deps.log?.info(
    { job: jobLabel(job), conclusion, findings: result.findings.length, posted, markedFixed, analysisMs: result.stats.durationMs, baselineMs: result.baseline?.durationMs ?? 0 },
    "review completed",
  );
  return "completed";
}

/**
 * A finding's inline comment. A verified fix becomes a suggested change when every line it
 * replaces is in the diff (GitHub refuses the others); the comment then covers those lines.
 */
function inlineComment(placed: PlacedFinding, diff: ReadonlyMap<string, DiffLines>, doc: RuleDoc | undefined): InlineComment {
  const { finding } = placed;
  const s = finding.suggestion;
  const lines = diff.get(finding.path)?.commentable;
  const suggest = !!s && !placed.changedPath && !!lines && Array.from({ length: s.endLine - s.line + 1 }, (_, i) => s.line + i).every((l) => lines.has(l));
  return {
    fingerprint: finding.fingerprint,
    path: placedPath(placed),
    line: suggest ? s!.endLine : placed.changedLine!,
    ...(suggest && s!.line < s!.endLine ? { startLine: s!.line } : {}),
    body: commentBody(finding, doc, suggest),
    ...(suggest ? { suggests: true } : {}),
  };
}

/** Complete the check run of a job that failed for good, so the pull request is never left waiting. */
export async function failReview(job: ReviewJob, error: Error, deps: ReviewDeps): Promise<void> {
  const github = await deps.github(job.installationId);
  const now = deps.now ?? (() => new Date());
  await completeCheckRun(
    github,
    job,
    job.checkRunId,
    "neutral",
    {
      title: "The review could not finish",
      summary: `mcp-review could not complete this review, so it neither passes nor fails the pull request.\n\n**Reason:** ${error.message.slice(0, 1000)}\n\nComment \`/mcp-review rescan\` or use the Re-run button to try again.`,
    },
    now(),
  );
}

async function cancelSuperseded(github: GitHub, job: ReviewJob, now: Date): Promise<void> {
  for (const id of job.supersededCheckRunIds ?? []) {
    try {
      await completeCheckRun(github, job, id, "cancelled", { title: "Superseded", summary: `A newer review request for this pull request replaced this one (check run ${job.checkRunId}).` }, now);
    } catch (error) {
      if (statusOf((error as { cause?: unknown }).cause) !== 404) throw error; // 404: check run deleted
    }
  }
}

async function endIfStale(github: GitHub, job: ReviewJob, pull: PullRequestState, now: Date): Promise<ReviewOutcome | undefined> {
  if (pull.state !== "open") {
    await completeCheckRun(github, job, job.checkRunId, "cancelled", { title: "Pull request closed", summary: `Pull request #${job.pullNumber} was closed before the review finished.` }, now);
    return "closed";
  }
  if (pull.headSha !== job.headSha) {
    await completeCheckRun(
      github,
      job,
      job.checkRunId,
      "cancelled",
      { title: "Superseded by a newer commit", summary: `The pull request's head moved from ${job.headSha.slice(0, 7)} to ${pull.headSha.slice(0, 7)} during the review; the newer commit gets its own review.` },
      now,
    );
    return "stale";
  }
  return undefined;
}

async function markInProgress(github: GitHub, job: ReviewJob, now: Date): Promise<void> {
  try {
    await github.rest.checks.update({ owner: job.owner, repo: job.repo, check_run_id: job.checkRunId, status: "in_progress", started_at: now.toISOString() });
  } catch (error) {
    throw toReviewError("starting the check run", error);
  }
}

function reviewBody(count: number): string {
  return `mcp-review found ${count} new security issue${count === 1 ? "" : "s"} on the changed lines. The **MCP security review** check has the full summary.`;
}

function jobLabel(job: ReviewJob): string {
  return `${job.owner}/${job.repo}#${job.pullNumber}@${job.headSha.slice(0, 7)}`;
}
