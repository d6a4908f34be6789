import type { ApplicationFunction, Context, Probot } from "probot";
import { loadRepoConfig } from "../review/collect.js";
import type { ReviewQueue } from "../queue/review-queue.js";
import type { ReviewJob, ReviewTrigger } from "../review/review-job.js";
import { CHECK_NAME, createQueuedCheckRun, pullNumberFromExternalId } from "./check-run.js";
import { HELP_TEXT, parseCommentCommand } from "./comment-command.js";
import { inventoryEvents, type InventoryDeps } from "./inventory-events.js";

export interface AppDeps {
  /** Where reviews go; built by the caller so that tests and processes choose how. */
  queue: ReviewQueue | ((app: Probot) => ReviewQueue);
  /** The organization inventory (default-branch scans); without it the app reviews pull requests only. */
  inventory?: InventoryDeps | ((app: Probot) => InventoryDeps | undefined);
}

const REVIEWED_ACTIONS = ["opened", "synchronize", "reopened", "ready_for_review"] as const;
const WRITE_PERMISSIONS = new Set(["admin", "maintain", "write"]);

/**
 * The webhook router: decide, create the queued check run, enqueue. It never analyzes code,
 * so GitHub gets its answer within a second.
 */
export function mcpReviewApp(deps: AppDeps): ApplicationFunction {
  return (app) => {
    const queue = typeof deps.queue === "function" ? deps.queue(app) : deps.queue;
    const inventory = typeof deps.inventory === "function" ? deps.inventory(app) : deps.inventory;
    if (inventory) inventoryEvents(app, inventory);

    app.on(REVIEWED_ACTIONS.map((a) => `pull_request.${a}` as const), async (context) => {
      const pr = context.payload.pull_request;
      const { owner, repo } = context.repo();
      if (pr.draft && context.payload.action !== "ready_for_review") {
        const { config } = await loadRepoConfig(context.octokit, owner, repo, pr.base.sha);
        if (!config.review_drafts) {
          context.log.info({ pull: pr.number }, "draft pull request: waiting for ready for review");
          return;
        }
      }
      // Reopened or ready: whatever was claimed before, the head needs a review unless it has one.
      let after: number | undefined;
      if (context.payload.action === "reopened" || context.payload.action === "ready_for_review") {
        const latest = await latestCheckRun(context, pr.head.sha);
        if (latest && !(latest.status === "completed" && latest.conclusion === "cancelled")) {
          context.log.info({ pull: pr.number, checkRun: latest.id, status: latest.status }, "this head has a review, done or under way: nothing to do");
          return;
        }
        after = latest?.id;
      }
      await startReview(context, queue, pr.number, pr.head.sha, "pull_request", after);
    });

    app.on("check_run.rerequested", async (context) => {
      const run = context.payload.check_run;
      if (run.name !== CHECK_NAME) return;
      const pullNumber = pullNumberFromExternalId(run.external_id) ?? run.pull_requests[0]?.number;
      if (pullNumber === undefined) return;
      await rescanCurrentHead(context, queue, pullNumber, "rerequested");
    });

    app.on("check_suite.rerequested", async (context) => {
      const suite = context.payload.check_suite;
      let pullNumber: number | undefined = suite.pull_requests[0]?.number;
      if (pullNumber === undefined) {
        const { data } = await context.octokit.rest.checks.listForSuite(context.repo({ check_suite_id: suite.id, check_name: CHECK_NAME, per_page: 1 }));
        pullNumber = pullNumberFromExternalId(data.check_runs[0]?.external_id);
      }
      if (pullNumber === undefined) return;
      await rescanCurrentHead(context, queue, pullNumber, "rerequested");
    });

    app.on("issue_comment.created", async (context) => {
      const { comment, issue, sender } = context.payload;
      if (!issue.pull_request || sender.type === "Bot") return;
      const command = parseCommentCommand(comment.body);
      if (!command) return;

      if (command.name !== "rescan") {
        const prefix = command.name === "unknown" ? `I don't know the command \`${command.word}\`.\n\n` : "";
        await context.octokit.rest.issues.createComment(context.issue({ body: prefix + HELP_TEXT }));
        return;
      }
      const { data: access } = await context.octokit.rest.repos.getCollaboratorPermissionLevel(context.repo({ username: sender.login }));
      if (!WRITE_PERMISSIONS.has(access.permission) && !WRITE_PERMISSIONS.has(access.role_name)) {
        await context.octokit.rest.issues.createComment(
          context.issue({ body: `Thanks @${sender.login}! Only people with write access to this repository can ask for a rescan; a maintainer can comment \`/mcp-review rescan\` for you.` }),
        );
        return;
      }
      await context.octokit.rest.reactions.createForIssueComment(context.repo({ comment_id: comment.id, content: "+1" as const }));
      await rescanCurrentHead(context, queue, issue.number, "comment");
    });
  };
}

type RepoContext = Context<"pull_request" | "check_run" | "check_suite" | "issue_comment">;

/** A person asked: review the pull request's current head, whatever commit the request came from. */
async function rescanCurrentHead(context: RepoContext, queue: ReviewQueue, pullNumber: number, trigger: ReviewTrigger): Promise<void> {
  const { data: pr } = await context.octokit.rest.pulls.get(context.repo({ pull_number: pullNumber }));
  if (pr.state !== "open") {
    context.log.info({ pull: pullNumber }, "rescan requested for a closed pull request: ignored");
    return;
  }
  await startReview(context, queue, pullNumber, pr.head.sha, trigger);
}

/** This app's newest "MCP security review" check run on a commit, if any. */
async function latestCheckRun(context: Context<"pull_request">, headSha: string): Promise<{ id: number; status: string; conclusion: string | null } | undefined> {
  const { data } = await context.octokit.rest.checks.listForRef(context.repo({ ref: headSha, check_name: CHECK_NAME, filter: "all" as const, per_page: 100 }));
  const runs = data.check_runs.filter((run) => run.name === CHECK_NAME).sort((a, b) => b.id - a.id);
  return runs[0] ? { id: runs[0].id, status: runs[0].status, conclusion: runs[0].conclusion } : undefined;
}

/**
 * Claims the head (or, with `after`, the turn after that check run) and queues its review.
 * Automatic reviews claim; a person's rescan always runs.
 */
async function startReview(context: RepoContext, queue: ReviewQueue, pullNumber: number, headSha: string, trigger: ReviewTrigger, after?: number): Promise<void> {
  const { owner, repo } = context.repo();
  const payload = context.payload as { installation?: { id: number }; repository: { id: number } };
  const installationId = payload.installation?.id;
  if (installationId === undefined) throw new Error("webhook without an installation: is this a GitHub App delivery?");
  if (trigger === "pull_request" && !(await queue.claimHead({ repositoryId: payload.repository.id, pullNumber, headSha, after }))) {
    context.log.info({ pull: pullNumber, headSha }, "this head is already reviewed or queued: nothing to do");
    return;
  }
  const checkRunId = await createQueuedCheckRun(context.octokit, owner, repo, headSha, pullNumber);
  const job: ReviewJob = {
    installationId,
    repositoryId: payload.repository.id,
    owner,
    repo,
    pullNumber,
    headSha,
    checkRunId,
    trigger,
  };
  let queued;
  try {
    queued = await queue.enqueue(job, { manual: trigger !== "pull_request" });
  } catch (error) {
    // Never leave a check run queued forever: say why, and fail the delivery so it can be redelivered.
    await context.octokit.rest.checks.update({
      owner,
      repo,
      check_run_id: checkRunId,
      status: "completed",
      conclusion: "neutral",
      output: {
        title: "The review could not be queued",
        summary: `mcp-review could not queue this review (${(error as Error).message}). Comment \`/mcp-review rescan\` or use the Re-run button to try again.`,
      },
    });
    throw error;
  }
  context.log.info({ jobId: queued.jobId, pull: pullNumber, headSha, trigger, replaced: queued.replaced }, "review queued");
}
