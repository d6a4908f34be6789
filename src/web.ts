#!/usr/bin/env node
import { run } from "probot";
import { mcpReviewApp } from "./app/app.js";
import { createBullmqReviewQueue } from "./queue/bullmq-queue.js";
import { createMemoryReviewQueue } from "./queue/memory-queue.js";
import type { ReviewQueue } from "./queue/review-queue.js";
import { McpReviewOctokit } from "./review/octokit.js";
import { reviewHandlers } from "./review/review-handlers.js";

/**
 * The web process. With REDIS_URL it only enqueues and `worker` processes review; without it,
 * reviews run in this process so that one command serves a small installation. With no
 * credentials at all, Probot serves its app-registration page from app.yml.
 */
const redisUrl = process.env.REDIS_URL;
let queue: ReviewQueue | undefined;

const server = await run(
  mcpReviewApp({
    queue: (app) => {
      if (redisUrl) {
        queue = createBullmqReviewQueue({ connection: redisUrl });
        app.log.info("reviews are queued in Redis for `npm run worker` processes");
      } else {
        const handlers = reviewHandlers({ github: (id) => app.auth(id), log: app.log });
        queue = createMemoryReviewQueue({ ...handlers, concurrency: Number(process.env.WORKER_CONCURRENCY ?? 2), logger: app.log });
        app.log.info("REDIS_URL is not set: reviews run in this process");
      }
      return queue;
    },
  }),
  { Octokit: McpReviewOctokit },
);

process.once("SIGTERM", async () => {
  await server.stop();
  await queue?.close();
  process.exit(0);
});
