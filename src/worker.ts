#!/usr/bin/env node
import { createProbot } from "probot";
import { engineVersion } from "./inventory/engine-version.js";
import { createScanRuntime, inventoryEnabled } from "./inventory/inventory-runtime.js";
import { recheckRepositories } from "./inventory/recheck.js";
import { scanRepository } from "./inventory/scan-repository.js";
import { startBullmqReviewWorker } from "./queue/bullmq-worker.js";
import { DEFAULT_PREFIX, openRedis } from "./queue/redis-connection.js";
import { DEFAULT_WORKER_CONCURRENCY } from "./queue/review-queue.js";
import { createBullmqScanQueue, scheduleRechecks, startBullmqScanWorker } from "./queue/scan-queue.js";
import { createAnalysisPool } from "./review/analysis-pool.js";
import { McpReviewOctokit, probotEnv } from "./review/octokit.js";
import { reviewHandlers } from "./review/review-handlers.js";
import { openInventoryStore } from "./store/inventory-store.js";

/**
 * A worker process: takes review jobs and repository scans from Redis. Run as many as the load
 * needs, on as many machines; SIGTERM lets the jobs in hand finish (or go back to the queue)
 * before exiting. Reviews come first: scans run one at a time (SCAN_CONCURRENCY), step aside
 * while reviews wait, and analyze in a thread of their own.
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
const closers: Array<() => Promise<void>> = [() => worker.close(), () => pool.close()];

if (inventoryEnabled()) {
  const store = await openInventoryStore();
  const redis = openRedis(redisUrl);
  const runtime = createScanRuntime({ github: (id) => probot.auth(id), log: probot.log, store, redis: { client: redis, prefix: DEFAULT_PREFIX } });
  const scans = createBullmqScanQueue({ connection: redisUrl });
  const scanWorker = startBullmqScanWorker({
    connection: redisUrl,
    processor: (job) => scanRepository(job, runtime.deps),
    recheck: (job) => recheckRepositories(job, { store, scans, log: probot.log }),
    pauseFor: (id) => runtime.gate.pauseFor(id),
    concurrency: Number(process.env.SCAN_CONCURRENCY ?? 1),
    logger: probot.log,
  });
  await scheduleRechecks(scans.queue, engineVersion());
  closers.unshift(() => scanWorker.close());
  closers.push(() => scans.close(), () => runtime.close(), () => store.close(), async () => void (await redis.quit()));
  probot.log.info({ engine: engineVersion() }, "mcp-review worker is waiting for reviews and repository scans");
} else {
  probot.log.info("mcp-review worker is waiting for reviews");
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, async () => {
    probot.log.info({ signal }, "draining the worker");
    for (const close of closers) await close();
    process.exit(0);
  });
}
