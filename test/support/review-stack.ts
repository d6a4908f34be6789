import { createHmac, generateKeyPairSync, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createNodeMiddleware, Probot } from "probot";
import { mcpReviewApp } from "../../src/app/app.js";
import { createBullmqReviewQueue } from "../../src/queue/bullmq-queue.js";
import { startBullmqReviewWorker } from "../../src/queue/bullmq-worker.js";
import type { ReviewQueue, ReviewWorker } from "../../src/queue/review-queue.js";
import { McpReviewOctokit } from "../../src/review/octokit.js";
import { reviewHandlers } from "../../src/review/review-handlers.js";
import { FakeGitHub, type FakePullRequest } from "./fake-github.js";

export const STACK_SECRET = "stack-webhook-secret";
export const STACK_INSTALLATION = 77;

export const { privateKey: STACK_PRIVATE_KEY } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

export interface StackOptions {
  redisUrl: string;
  prefix: string;
  workers?: number;
  concurrency?: number;
  backoffMs?: number;
  latencyMs?: number;
}

/**
 * The production wiring in one test process: Probot's HTTP webhook endpoint with the app, the
 * BullMQ queue on a real Redis, workers, and the production Octokit pointed at a fake GitHub.
 */
export interface ReviewStack {
  github: FakeGitHub;
  webhookUrl: string;
  workers: ReviewWorker[];
  /** POST a webhook over HTTP; returns the HTTP status. */
  deliver(name: string, payload: object, options?: { signature?: string }): Promise<number>;
  close(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<ReviewStack> {
  const github = new FakeGitHub({ latencyMs: options.latencyMs });
  await github.listen();
  const probot = new Probot({ appId: 1, privateKey: STACK_PRIVATE_KEY, secret: STACK_SECRET, baseUrl: github.baseUrl, logLevel: "fatal", Octokit: McpReviewOctokit });
  await probot.ready();
  const queue: ReviewQueue = createBullmqReviewQueue({ connection: options.redisUrl, prefix: options.prefix, backoffMs: options.backoffMs ?? 50 });
  const middleware = await createNodeMiddleware(mcpReviewApp({ queue }), { probot });
  const server: Server = createServer((req, res) => {
    void middleware(req, res, () => res.writeHead(404).end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;

  const handlers = reviewHandlers({ github: (id) => probot.auth(id), log: probot.log });
  const workers = Array.from({ length: options.workers ?? 1 }, () =>
    startBullmqReviewWorker({ connection: options.redisUrl, prefix: options.prefix, ...handlers, concurrency: options.concurrency ?? 2, logger: probot.log }),
  );

  return {
    github,
    webhookUrl,
    workers,
    async deliver(name, payload, { signature } = {}) {
      const body = JSON.stringify(payload);
      const response = await fetch(webhookUrl, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": name,
          "x-github-delivery": randomUUID(),
          "x-hub-signature-256": signature ?? sign(body),
        },
        body,
      });
      await response.arrayBuffer();
      return response.status;
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await queue.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await github.close();
    },
  };
}

export function sign(body: string, secret = STACK_SECRET): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export function openedPayload(pull: FakePullRequest, action = "opened") {
  return {
    action,
    number: pull.number,
    pull_request: { number: pull.number, state: "open", draft: false, head: { sha: pull.headSha, ref: "feature" }, base: { sha: pull.baseSha, ref: "main" } },
    repository: { id: pull.repositoryId, name: pull.repo, full_name: `${pull.owner}/${pull.repo}`, owner: { login: pull.owner } },
    installation: { id: STACK_INSTALLATION },
    sender: { login: "alice", type: "User" },
  };
}

let shaCounter = 0;
/** A fresh 40-hex SHA. */
export function sha(): string {
  return (++shaCounter).toString(16).padStart(8, "0") + randomUUID().replace(/-/g, "");
}
