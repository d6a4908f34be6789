import { createHmac, generateKeyPairSync, randomUUID } from "node:crypto";
import nock from "nock";
import { Probot, ProbotOctokit } from "probot";
import { mcpReviewApp } from "../../src/app/app.js";
import { createBullmqReviewQueue } from "../../src/queue/bullmq-queue.js";
import { startBullmqReviewWorker } from "../../src/queue/bullmq-worker.js";
import { createMemoryReviewQueue, type MemoryReviewQueue } from "../../src/queue/memory-queue.js";
import type { ReviewQueue } from "../../src/queue/review-queue.js";
import { reviewHandlers } from "../../src/review/review-handlers.js";

export const WEBHOOK_SECRET = "test-webhook-secret";
export const INSTALLATION_ID = 4242;
export const OWNER = "acme";
export const REPO = "mcp-tools";
export const REPOSITORY_ID = 9001;
export const API = "https://api.github.com";

const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

export interface TestApp {
  probot: Probot;
  queue: Pick<MemoryReviewQueue, "drain" | "close">;
  /** Deliver a webhook the way GitHub does: JSON text with an HMAC-SHA256 signature. */
  deliver(name: string, payload: object, options?: { signature?: string }): Promise<void>;
  /** Requests that reached nock without a matching interceptor. */
  unmatched: string[];
  close(): Promise<void>;
}

/**
 * The real app and the real review pipeline on an in-process queue; GitHub is nock. Octokit's
 * own retries and throttling are off so every HTTP call is visible to the test.
 */
export async function createTestApp(options: { attempts?: number; redis?: { url: string; prefix: string } } = {}): Promise<TestApp> {
  nock.disableNetConnect();
  const probot = new Probot({
    appId: 123,
    privateKey,
    secret: WEBHOOK_SECRET,
    logLevel: "fatal",
    // The function form runs after Probot's own defaults, which replace a plain `throttle` object.
    Octokit: ProbotOctokit.defaults((options: Record<string, unknown>) => ({
      ...options,
      retry: { enabled: false },
      throttle: { ...(options.throttle as object), enabled: false },
    })),
  });
  await probot.ready(); // its logger exists only from here on
  const handlers = reviewHandlers({ github: (id) => probot.auth(id), now: () => new Date("2026-11-26T12:00:00Z") });
  const queue = options.redis ? bullmqQueue(options.redis, handlers, probot) : createMemoryReviewQueue({ ...handlers, concurrency: 2, attempts: options.attempts ?? 3, backoffMs: 5, logger: probot.log });
  await probot.load(mcpReviewApp({ queue }));

  const unmatched: string[] = [];
  const onNoMatch = (req: { method?: string; path?: string; href?: string }) => unmatched.push(`${req.method} ${req.path ?? req.href}`);
  nock.emitter.on("no match", onNoMatch);

  return {
    probot,
    queue,
    unmatched,
    async deliver(name, payload, { signature } = {}) {
      const body = JSON.stringify(payload);
      await probot.webhooks.verifyAndReceive({
        id: randomUUID(),
        name: name as never,
        payload: body,
        signature: signature ?? `sha256=${createHmac("sha256", WEBHOOK_SECRET).update(body).digest("hex")}`,
      });
    },
    async close() {
      await queue.close();
      nock.emitter.removeListener("no match", onNoMatch);
      nock.cleanAll();
      nock.enableNetConnect();
    },
  };
}

/**
 * The web side enqueues into BullMQ on a real Redis and a worker consumes, as in production with
 * REDIS_URL; `drain` waits until every job enqueued so far has been processed or failed.
 */
function bullmqQueue(redis: { url: string; prefix: string }, handlers: ReturnType<typeof reviewHandlers>, probot: Probot): ReviewQueue & { drain(): Promise<void> } {
  let enqueued = 0;
  let finished = 0;
  let wake = () => {};
  const finish = () => {
    finished++;
    wake();
  };
  const queue = createBullmqReviewQueue({ connection: redis.url, prefix: redis.prefix, backoffMs: 5 });
  const worker = startBullmqReviewWorker({
    connection: redis.url,
    prefix: redis.prefix,
    logger: probot.log,
    processor: (job, attempt) => handlers.processor(job, attempt).then((outcome) => {
      finish();
      return outcome;
    }, (error) => {
      if (attempt.attempt === attempt.maxAttempts) finish();
      throw error;
    }),
    onFailed: handlers.onFailed,
  });
  return {
    claimHead: (head) => queue.claimHead(head),
    async enqueue(job, enqueueOptions) {
      const result = await queue.enqueue(job, enqueueOptions);
      enqueued++;
      return result;
    },
    async drain() {
      while (finished < enqueued) await new Promise<void>((resolve) => (wake = resolve));
    },
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}

/** The installation token Probot asks for before its first call. */
export function mockInstallationToken(): nock.Scope {
  return nock(API)
    .post(`/app/installations/${INSTALLATION_ID}/access_tokens`)
    .reply(201, { token: "ghs_test", expires_at: "2099-01-01T00:00:00Z", permissions: { checks: "write", pull_requests: "write", contents: "read", metadata: "read" } });
}

export function base64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

/** A diff that adds every line of `content`, as the files API shows a new file. */
export function addedPatch(content: string): string {
  const lines = content.replace(/\n$/, "").split("\n");
  return `@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}`).join("\n")}`;
}

export const repository = {
  id: REPOSITORY_ID,
  node_id: "R_1",
  name: REPO,
  full_name: `${OWNER}/${REPO}`,
  private: false,
  owner: { login: OWNER, id: 1, type: "Organization" },
};

export function pullRequestPayload(action: string, pull: { number: number; head: string; base: string; draft?: boolean }) {
  return {
    action,
    number: pull.number,
    pull_request: {
      number: pull.number,
      state: "open",
      draft: pull.draft ?? false,
      head: { sha: pull.head, ref: "feature" },
      base: { sha: pull.base, ref: "main" },
    },
    repository,
    installation: { id: INSTALLATION_ID },
    sender: { login: "alice", type: "User" },
  };
}
