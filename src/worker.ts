#!/usr/bin/env node
import { createProbot } from "probot";
import { startBullmqReviewWorker } from "./queue/bullmq-worker.js";
import { DEFAULT_WORKER_CONCURRENCY } from "./queue/review-queue.js";
import { createAnalysisPool } from "./review/analysis-pool.js";
import { McpReviewOctokit, probotEnv } from "./review/octokit.js";
import { reviewHandlers } from "./review/review-handlers.js";

/**
 * A worker process: takes review jobs from Redis. Run as many as the load needs, on as many
 * machines; SIGTERM lets the jobs in hand finish (or go back to the queue) before exiting.
 */
const redisUrl = process.env.REDIS_URL;
if (!redisUrl) {
  console.error("mcp-review worker: REDIS_URL is not set; without Redis, `npm start` reviews in-process and needs no worker");
  process.exit(2);
}

const probot = await createProbot({ env: probotEnv(), overrides: { Octokit: McpReviewOctokit } }).ready(); // its logger exists only once it is ready
const concurrency = Number(process.env.WORKER_CONCURRENCY ?? DEFAULT_WORKER_CONCURRENCY);
// The engine runs in threads, so reviews waiting on GitHub and BullMQ's lock renewals are never held up.
const pool = createAnalysisPool({ size: Number(process.env.ANALYSIS_THREADS ?? 1) });
const handlers = reviewHandlers({ github: (id) => probot.auth(id), analyze: pool.analyze, log: probot.log });
const worker = startBullmqReviewWorker({ connection: redisUrl, ...handlers, concurrency, logger: probot.log });
probot.log.info("mcp-review worker is waiting for reviews");

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, async () => {
    probot.log.info({ signal }, "draining the worker");
    await worker.close();
    await pool.close();
    process.exit(0);
  });
}
