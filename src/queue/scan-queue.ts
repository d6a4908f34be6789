import { DelayedError, Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { ScanJob } from "../inventory/scan-repository.js";
import type { ScanTrigger } from "../store/inventory-store.js";
import { consoleLogger } from "./console-logger.js";
import { DEFAULT_QUEUE_NAME } from "./bullmq-queue.js";
import { bullmqConnection, DEFAULT_PREFIX, openRedis, type RedisConnectionOptions } from "./redis-connection.js";
import { asError, isRetryable, type QueueLogger } from "./review-queue.js";

/** Organization scans have a queue of their own, beside the reviews', so that a burst of them never stands in a review's way. */
export const SCAN_QUEUE_NAME = "mcp-review-scans";
export const SCAN_JOB_NAME = "scan";
export const RECHECK_JOB_NAME = "recheck";
/** The daily pass: every repository's head is asked again (a conditional request) and what moved is scanned. */
export const DAILY_SCHEDULER_ID = "daily-recheck";
export const DAY_MS = 24 * 3600 * 1000;

/** Within the scan queue, lower runs first: a push before an installation's backlog before the daily pass. */
const PRIORITY: Record<ScanTrigger, number> = { manual: 1, push: 2, "default-branch": 2, renamed: 2, unarchived: 2, installation: 3, added: 3, unsuspended: 3, engine: 4, daily: 5 };

/** A request for the daily pass (or a pass after the engine changed): which repositories to look at again. */
export interface RecheckJob {
  trigger: "daily" | "engine";
}

/** Where webhook handlers and the daily pass put scans. At most one scan waits per repository; it reads the newest head when it runs. */
export interface ScanQueue {
  /** Queues scans; returns how many were added (a repository with a scan already waiting adds nothing). */
  enqueue(jobs: readonly ScanJob[]): Promise<number>;
  close(): Promise<void>;
}

/** A running consumer of scan jobs. */
export interface ScanWorker {
  close(): Promise<void>;
}

export type ScanProcessor = (job: ScanJob) => Promise<unknown>;
export type RecheckProcessor = (job: RecheckJob) => Promise<unknown>;

export interface BullmqScanQueueOptions {
  connection: RedisConnectionOptions;
  prefix?: string;
  queueName?: string;
  attempts?: number;
  backoffMs?: number;
}

/** How long the pointer to a waiting scan lives at most: a job gone without running (removed by hand) frees it then. */
const PENDING_TTL_MS = 24 * 3600 * 1000;
const WAITING_STATES = new Set(["waiting", "prioritized", "delayed", "paused", "waiting-children"]);

/** Points the repository at `jobId` unless another waiting job holds it; returns the holder, or null when `jobId` now holds it. */
const CLAIM = `
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[2] then return current end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return false`;
const CLEAR_IF_NAMED = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

function pendingKey(prefix: string, queueName: string, repositoryId: number): string {
  return `${prefix}:${queueName}:pending-scan:${repositoryId}`;
}

let sequence = 0;
function scanJobId(repositoryId: number): string {
  return `scan-${repositoryId}-${Date.now().toString(36)}-${process.pid.toString(36)}-${(sequence++).toString(36)}`;
}

/**
 * The web process's side (and the daily pass's) of the Redis scan queue. Several pushes in a row
 * give one scan: while a repository's scan waits, new requests add nothing (it reads the newest
 * head when it starts); once it runs, the next request queues the next scan.
 */
export function createBullmqScanQueue(options: BullmqScanQueueOptions): ScanQueue & { queue: Queue } {
  const { connection, prefix = DEFAULT_PREFIX, queueName = SCAN_QUEUE_NAME, attempts = 3, backoffMs = 30_000 } = options;
  const queue = new Queue(queueName, { connection: bullmqConnection(connection), prefix });
  const redis = openRedis(connection);

  async function enqueueOne(job: ScanJob): Promise<boolean> {
    const key = pendingKey(prefix, queueName, job.repositoryId);
    const id = scanJobId(job.repositoryId);
    let holder = (await redis.eval(CLAIM, 1, key, id, "", PENDING_TTL_MS)) as string | null;
    if (holder) {
      const existing = (await queue.getJob(holder)) as Job<ScanJob> | undefined;
      const state = existing ? await existing.getState() : "unknown";
      if (existing && WAITING_STATES.has(state)) {
        // A forced request (the engine changed) must not be lost in an unforced waiting one, nor a
        // push wait behind the daily pass's backlog: the waiting scan takes the more urgent trigger.
        const urgent = (PRIORITY[job.trigger] ?? 5) < (PRIORITY[existing.data.trigger] ?? 5);
        if ((job.force && !existing.data.force) || urgent) {
          await existing.updateData({ ...existing.data, ...(urgent ? { trigger: job.trigger } : {}), force: Boolean(existing.data.force || job.force) }).catch(() => {});
          if (urgent && state === "prioritized") await existing.changePriority({ priority: PRIORITY[job.trigger] ?? 5 }).catch(() => {});
        }
        return false;
      }
      // The holder ran or vanished: take its place, unless another enqueuer just did.
      holder = (await redis.eval(CLAIM, 1, key, id, holder, PENDING_TTL_MS)) as string | null;
      if (holder) return false;
    }
    await queue.add(SCAN_JOB_NAME, job, {
      jobId: id,
      priority: PRIORITY[job.trigger] ?? 5,
      attempts,
      backoff: { type: "exponential", delay: backoffMs },
      removeOnComplete: { age: 24 * 3600, count: 2000 },
      removeOnFail: { age: 7 * 24 * 3600, count: 2000 },
    });
    return true;
  }

  return {
    queue,
    async enqueue(jobs) {
      let added = 0;
      for (const job of jobs) if (await enqueueOne(job)) added++;
      return added;
    },
    async close() {
      await queue.close();
      await redis.quit();
    },
  };
}

/** Sets up the daily pass (idempotent: every process may call it) and, once per engine version, a pass now. */
export async function scheduleRechecks(queue: Queue, engine: string, everyMs = DAY_MS): Promise<void> {
  await queue.upsertJobScheduler(DAILY_SCHEDULER_ID, { every: everyMs }, { name: RECHECK_JOB_NAME, data: { trigger: "daily" } satisfies RecheckJob, opts: { priority: 6 } });
  // Named by the engine version: the first worker of a new version queues it, the others find it there.
  await queue.add(RECHECK_JOB_NAME, { trigger: "engine" } satisfies RecheckJob, { jobId: `recheck-engine-${engine.replace(/[^\w.+-]/g, "_").replace(/:/g, "-")}`, priority: 6, removeOnComplete: false, removeOnFail: { count: 100 } });
}

export interface BullmqScanWorkerOptions {
  connection: RedisConnectionOptions;
  prefix?: string;
  queueName?: string;
  processor: ScanProcessor;
  recheck: RecheckProcessor;
  concurrency?: number;
  logger?: QueueLogger;
  /** The review queue's name: scans step aside while reviews wait there. */
  reviewQueueName?: string;
  /** How long a scan that stepped aside waits before it looks again. */
  yieldMs?: number;
  /** Milliseconds until the installation may be called again (its quota is low); the scan waits that long without holding a slot. */
  pauseFor?: (installationId: number) => Promise<number>;
}

/**
 * A consumer of the scan queue, beside the review worker in the same process. Before a scan
 * starts it steps aside (back to the queue, delayed by `yieldMs`) while any review waits, and while
 * its installation's quota is low (until the reset); one repository is scanned by one worker at a time.
 */
export function startBullmqScanWorker(options: BullmqScanWorkerOptions): ScanWorker {
  const { connection, prefix = DEFAULT_PREFIX, queueName = SCAN_QUEUE_NAME, processor, recheck, concurrency = 1, logger = consoleLogger, reviewQueueName = DEFAULT_QUEUE_NAME, yieldMs = 1000 } = options;
  const redis: Redis = openRedis(connection);
  const reviews = new Queue(reviewQueueName, { connection: bullmqConnection(connection), prefix });

  async function reviewsWaiting(): Promise<number> {
    const counts = await reviews.getJobCounts("waiting", "prioritized");
    return (counts.waiting ?? 0) + (counts.prioritized ?? 0);
  }

  const worker = new Worker(
    queueName,
    async (job: Job, token?: string) => {
      if (job.name === RECHECK_JOB_NAME) return recheck(job.data as RecheckJob);
      const data = job.data as ScanJob;
      const later = async (ms: number, why: string) => {
        logger.info({ jobId: job.id, repositoryId: data.repositoryId, delayMs: ms }, why);
        await job.moveToDelayed(Date.now() + ms, token);
        throw new DelayedError();
      };
      if ((await reviewsWaiting()) > 0) return later(yieldMs, "reviews are waiting: the scan steps aside");
      const pause = (await options.pauseFor?.(job.data.installationId)) ?? 0;
      if (pause > 0) return later(pause, "the installation's GitHub quota is low: the scan waits for its reset");
      const lock = `${prefix}:${queueName}:scan-lock:${data.repositoryId}`;
      if ((await redis.set(lock, job.id!, "PX", 15 * 60 * 1000, "NX")) !== "OK") return later(5000, "another worker scans this repository: this scan waits");
      try {
        await redis.eval(CLEAR_IF_NAMED, 1, pendingKey(prefix, queueName, data.repositoryId), job.id!).catch(() => {});
        return await processor(data);
      } catch (thrown) {
        const error = asError(thrown);
        if (!isRetryable(error)) throw new (await import("bullmq")).UnrecoverableError(error.message);
        throw error;
      } finally {
        await redis.eval(CLEAR_IF_NAMED, 1, lock, job.id!).catch(() => {});
      }
    },
    { connection: bullmqConnection(connection), prefix, concurrency, lockDuration: 60_000, stalledInterval: 30_000, maxStalledCount: 2 },
  );
  worker.on("failed", (job, error) => {
    if (error instanceof DelayedError || error.name === "DelayedError") return;
    logger.warn({ jobId: job?.id, repositoryId: (job?.data as ScanJob | undefined)?.repositoryId, attempt: job?.attemptsMade, err: error }, "repository scan failed");
  });
  worker.on("error", (error) => logger.error({ err: error }, "scan worker error"));
  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= (async () => {
        await worker.close();
        await reviews.close();
        await redis.quit();
      })();
      return closing;
    },
  };
}

/**
 * The scan queue of a single-process installation (no REDIS_URL): one scan at a time, in priority
 * order, one waiting per repository, without persistence. A scan that fails is logged; the daily
 * pass tries again.
 */
export function createMemoryScanQueue(options: { processor: ScanProcessor; logger?: QueueLogger }): ScanQueue & { drain(): Promise<void> } {
  const { processor, logger = consoleLogger } = options;
  const waiting: { job: ScanJob; order: number }[] = [];
  const pending = new Map<number, ScanJob>();
  let order = 0;
  let running: Promise<void> | undefined;
  let closed = false;
  let idle: Array<() => void> = [];
  const settle = () => {
    if (running || waiting.length > 0) return;
    for (const resolve of idle.splice(0)) resolve();
  };
  const pump = () => {
    if (running || closed) return settle();
    waiting.sort((a, b) => (PRIORITY[a.job.trigger] ?? 5) - (PRIORITY[b.job.trigger] ?? 5) || a.order - b.order);
    const next = waiting.shift();
    if (!next) return settle();
    pending.delete(next.job.repositoryId);
    running = processor(next.job)
      .then(
        () => {},
        (error) => logger.warn({ repositoryId: next.job.repositoryId, err: error }, "repository scan failed"),
      )
      .finally(() => {
        running = undefined;
        pump();
      });
  };
  return {
    async enqueue(jobs) {
      if (closed) throw new Error("the scan queue is closed");
      let added = 0;
      for (const job of jobs) {
        const existing = pending.get(job.repositoryId);
        if (existing) {
          if (job.force) existing.force = true;
          // A push does not wait at the daily pass's priority: the waiting scan takes the more urgent trigger.
          if ((PRIORITY[job.trigger] ?? 5) < (PRIORITY[existing.trigger] ?? 5)) existing.trigger = job.trigger;
          continue;
        }
        const copy = { ...job };
        pending.set(job.repositoryId, copy);
        waiting.push({ job: copy, order: order++ });
        added++;
      }
      pump();
      return added;
    },
    drain() {
      return new Promise((resolve) => {
        idle.push(resolve);
        settle();
      });
    },
    async close() {
      closed = true;
      waiting.splice(0);
      pending.clear();
      await running;
      idle.splice(0).forEach((r) => r());
      idle = [];
    },
  };
}
