import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { analyze } from "../../src/engine/index.js";
import type { FakePullRequest } from "../support/fake-github.js";
import { mcpServerSource } from "../support/mcp-corpus.js";
import { PrivateRedis } from "../support/private-redis.js";
import { STACK_PRIVATE_KEY, openedPayload, sha, startStack, type ReviewStack } from "../support/review-stack.js";

/**
 * The real `worker` process (dist/src/worker.js, built by `npm ci`/`npm run build`) against a
 * private Redis and the fake GitHub: killed mid-job, asked to stop mid-job, and Redis crashing
 * mid-job. Slow (BullMQ's stalled-job recovery waits out a 30 s lock), so these run when
 * MCP_REVIEW_SLOW_TESTS=1, which .ci/run sets.
 */

const WORKER = "dist/src/worker.js";
const SERVER = mcpServerSource(0, 40);
const FINDINGS = analyze([{ path: "src/server.ts", content: SERVER }]).findings.length;

let redis: PrivateRedis;
let stack: ReviewStack;
const children: ChildProcess[] = [];
let nextPull = 1;

function pullRequest(): FakePullRequest {
  return { owner: "acme", repo: "tools", repositoryId: 77, number: nextPull++, headSha: sha(), baseSha: sha(), state: "open", files: [{ filename: "src/server.ts", status: "added", content: SERVER }] };
}

function startWorker(): ChildProcess & { output: string[] } {
  if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: run \`npm run build\` first`);
  const child = spawn(process.execPath, [WORKER], {
    env: {
      PATH: process.env.PATH,
      APP_ID: "1",
      PRIVATE_KEY: STACK_PRIVATE_KEY,
      REDIS_URL: redis.url,
      GHE_HOST: stack.github.host,
      GHE_PROTOCOL: "http",
      LOG_LEVEL: "warn",
      WORKER_CONCURRENCY: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  child.stdout!.on("data", (d) => output.push(String(d)));
  child.stderr!.on("data", (d) => output.push(String(d)));
  children.push(child);
  return Object.assign(child, { output });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

function started(pull: FakePullRequest): boolean {
  return stack.github.checkRunsFor(pull.headSha).some((c) => c.status === "in_progress");
}

function completed(pull: FakePullRequest) {
  return stack.github.checkRunsFor(pull.headSha).filter((c) => c.status === "completed");
}

beforeEach(async () => {
  redis = new PrivateRedis();
  await redis.start();
  // BullMQ's default prefix and queue name, as the real worker uses them: the Redis is private.
  stack = await startStack({ redisUrl: redis.url, prefix: "bull", workers: 0, latencyMs: 150 });
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exitOf(child);
    }
  }
  await stack.close();
  await redis.stop();
});

it("finishes a job once when its worker is killed mid-job: another worker takes the stalled job", async () => {
  const first = startWorker();
  const pull = pullRequest();
  stack.github.addPullRequest(pull);
  await stack.deliver("pull_request", openedPayload(pull));
  await stack.github.waitFor(() => started(pull), 20000, "the first worker to start the review");
  first.kill("SIGKILL");
  await exitOf(first);

  startWorker();
  await stack.github.waitFor(() => completed(pull).length > 0, 90000, "another worker to finish the stalled review");
  await new Promise((r) => setTimeout(r, 1000)); // nothing else may follow

  expect(completed(pull).map((c) => c.conclusion)).toEqual(["failure"]);
  expect(stack.github.reviews).toHaveLength(1);
  expect(stack.github.comments.size).toBe(FINDINGS);
}, 120000);

it("drains on SIGTERM: the worker finishes the review in hand, then exits 0", async () => {
  const worker = startWorker();
  const pull = pullRequest();
  stack.github.addPullRequest(pull);
  await stack.deliver("pull_request", openedPayload(pull));
  await stack.github.waitFor(() => started(pull), 20000, "the worker to start the review");
  worker.kill("SIGTERM");

  expect(await exitOf(worker)).toBe(0);
  expect(completed(pull).map((c) => c.conclusion)).toEqual(["failure"]);
  expect(stack.github.comments.size).toBe(FINDINGS);
}, 60000);

it("completes a job once when Redis crashes mid-job and comes back, and keeps taking work", async () => {
  startWorker();
  const pull = pullRequest();
  stack.github.addPullRequest(pull);
  await stack.deliver("pull_request", openedPayload(pull));
  await stack.github.waitFor(() => started(pull), 20000, "the worker to start the review");
  await redis.crash();
  await new Promise((r) => setTimeout(r, 2000));
  await redis.start();

  await stack.github.waitFor(() => completed(pull).length > 0, 60000, "the review to complete after Redis came back");
  const after = pullRequest();
  stack.github.addPullRequest(after);
  expect(await stack.deliver("pull_request", openedPayload(after))).toBe(200);
  await stack.github.waitFor(() => completed(after).length > 0, 60000, "a review queued after the restart");
  await new Promise((r) => setTimeout(r, 1000));

  expect(completed(pull).map((c) => c.conclusion)).toEqual(["failure"]);
  expect(completed(after).map((c) => c.conclusion)).toEqual(["failure"]);
  expect(stack.github.reviews.map((r) => r.commitId)).toEqual([pull.headSha, after.headSha]);
  expect(stack.github.comments.size).toBe(2 * FINDINGS);
}, 150000);
