#!/usr/bin/env node
import { existsSync } from "node:fs";
import { run } from "probot";
import { mcpReviewApp } from "./app/app.js";
import type { InventoryDeps } from "./app/inventory-events.js";
import { createRedactingLog } from "./app/redacting-log.js";
import { hubApp } from "./hub/hub-app.js";
import { inProcessInventory, inventoryEnabled } from "./inventory/inventory-runtime.js";
import { createBullmqReviewQueue } from "./queue/bullmq-queue.js";
import { createMemoryReviewQueue } from "./queue/memory-queue.js";
import { DEFAULT_WORKER_CONCURRENCY, type ReviewQueue } from "./queue/review-queue.js";
import { createBullmqScanQueue } from "./queue/scan-queue.js";
import { createAnalysisPool } from "./review/analysis-pool.js";
import { McpReviewOctokit, probotEnv } from "./review/octokit.js";
import { reviewHandlers } from "./review/review-handlers.js";
import { lazyInventoryStore } from "./store/inventory-store.js";

/**
 * The web process. With REDIS_URL it only enqueues and `worker` processes review and scan; without
 * it, reviews and organization scans run in this process so that one command serves a small
 * installation. With no credentials at all, Probot serves its app-registration page from app.yml
 * (and no database is opened). With GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET and APP_URL it also
 * serves the hub at /hub. Its log never holds cookies, sign-in codes or tokens.
 */
// Probot reads .env inside run(); the log is made before it, and LOG_* may be set there.
if (existsSync(".env")) process.loadEnvFile(".env");
const redisUrl = process.env.REDIS_URL;
let queue: ReviewQueue | undefined;
let pool: ReturnType<typeof createAnalysisPool> | undefined;
const closers: Array<() => Promise<void>> = [];
let inventory: InventoryDeps | undefined;

const reviewApp = mcpReviewApp({
  queue: (app) => {
    if (redisUrl) {
      queue = createBullmqReviewQueue({ connection: redisUrl });
      app.log.info("reviews and repository scans are queued in Redis for `npm run worker` processes");
    } else {
      const concurrency = Number(process.env.WORKER_CONCURRENCY ?? DEFAULT_WORKER_CONCURRENCY);
      // In threads: a long analysis must not hold up the webhooks this same process answers.
      const threads = createAnalysisPool({ size: Number(process.env.ANALYSIS_THREADS ?? 1) });
      pool = threads;
      const handlers = reviewHandlers({ github: (id) => app.auth(id), analyze: threads.analyze, log: app.log });
      queue = createMemoryReviewQueue({ ...handlers, concurrency, logger: app.log });
      app.log.info("REDIS_URL is not set: reviews and repository scans run in this process");
    }
    return queue;
  },
  inventory: (app) => {
    if (!inventoryEnabled()) return undefined;
    const store = lazyInventoryStore();
    closers.push(() => store.close());
    if (redisUrl) {
      const scans = createBullmqScanQueue({ connection: redisUrl });
      closers.unshift(() => scans.close());
      return (inventory = { store, scans });
    }
    const local = inProcessInventory({ github: (id) => app.auth(id), log: app.log, store });
    closers.unshift(() => local.close());
    return (inventory = local.inventory);
  },
});

const server = await run(
  async (app, options) => {
    await reviewApp(app, options);
    const hub = hubApp(app, options, { scans: () => inventory?.scans });
    closers.push(() => hub.close());
  },
  { Octokit: McpReviewOctokit, env: probotEnv(), log: await createRedactingLog() },
);

process.once("SIGTERM", async () => {
  await server.stop();
  await queue?.close();
  await pool?.close();
  for (const close of closers) await close();
  process.exit(0);
});
