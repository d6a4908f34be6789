import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { createBullmqReviewQueue } from "../../src/queue/bullmq-queue.js";
import { startBullmqReviewWorker, type BullmqReviewWorkerOptions } from "../../src/queue/bullmq-worker.js";
import { pendingPointerKey } from "../../src/queue/pending-pointer.js";
import type { AttemptInfo, ReviewQueue, ReviewWorker } from "../../src/queue/review-queue.js";
import type { ReviewJob } from "../../src/review/review-job.js";
import { deleteKeys, redisUrl, requireRedis, uniquePrefix } from "../support/redis.js";
import { failure, gate, recordingLogger, reviewJob, until } from "./review-jobs.js";

const prefix = uniquePrefix("queue");
let queueName: string;
let testNumber = 0;
const open: Array<{ close(): Promise<unknown> }> = [];

interface Run {
  job: ReviewJob;
  attempt: AttemptInfo;
  worker: string;
}

function reviewQueue(): ReviewQueue {
  const queue = createBullmqReviewQueue({ connection: redisUrl(), queueName, prefix, backoffMs: 10 });
  open.push(queue);
  return queue;
}

function worker(
  runs: Run[],
  behaviour: (job: ReviewJob, attempt: AttemptInfo) => Promise<void>,
  options: Partial<BullmqReviewWorkerOptions> & { name?: string } = {},
): ReviewWorker & { failed: Array<{ job: ReviewJob; error: Error }> } {
  const failed: Array<{ job: ReviewJob; error: Error }> = [];
  const started = startBullmqReviewWorker({
    connection: redisUrl(),
    queueName,
    prefix,
    logger: recordingLogger(),
    processor: async (job, attempt) => {
      runs.push({ job, attempt, worker: options.name ?? "worker" });
      await behaviour(job, attempt);
    },
    onFailed: async (job, error) => {
      failed.push({ job, error });
    },
    ...options,
  });
  open.push(started);
  return Object.assign(started, { failed });
}

/** A plain BullMQ view of the queue, to read job states. */
function inspector(): Queue {
  const queue = new Queue(queueName, { connection: { url: redisUrl() }, prefix });
  open.push(queue);
  return queue;
}

async function stateOf(queue: Queue, jobId: string): Promise<string> {
  return (await queue.getJob(jobId))?.getState() ?? "missing";
}

async function settlesAs(queue: Queue, jobId: string, state: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await stateOf(queue, jobId)) !== state) {
    if (Date.now() > deadline) throw new Error(`job ${jobId} is ${await stateOf(queue, jobId)}, not ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(requireRedis);

beforeEach(() => {
  queueName = `reviews-${++testNumber}`;
});

afterEach(async () => {
  // Workers first: they may still be finishing jobs that other handles watch.
  const handles = open.splice(0, open.length).reverse();
  for (const handle of handles) await handle.close();
});

afterAll(() => deleteKeys(prefix));

describe("BullMQ review queue and worker", () => {
  it("delivers the job as enqueued to one worker, once", async () => {
    const runs: Run[] = [];
    const queue = reviewQueue();
    worker(runs, async () => {});
    const job = reviewJob();
    const { jobId, replaced } = await queue.enqueue(job, { manual: false });
    expect(replaced).toEqual([]);
    await settlesAs(inspector(), jobId, "completed");
    await pause(100);
    expect(runs).toEqual([{ job, attempt: { attempt: 1, maxAttempts: 4 }, worker: "worker" }]);
  });

  it("reviews only the newest head of a burst, and other pull requests are not affected", async () => {
    const runs: Run[] = [];
    const queue = reviewQueue();
    const burst = [1, 2, 3, 4, 5].map((n) => reviewJob({ pullNumber: 1, headSha: String(n).repeat(40) }));
    const results = [];
    for (const job of burst) results.push(await queue.enqueue(job, { manual: false }));
    const other = reviewJob({ pullNumber: 2 });
    await queue.enqueue(other, { manual: false });

    const ids = burst.map((job) => job.checkRunId);
    expect(results.map((result) => result.replaced)).toEqual([[], ids.slice(0, 1), ids.slice(0, 2), ids.slice(0, 3), ids.slice(0, 4)]);

    worker(runs, async () => {});
    await until(() => runs.length === 2);
    await pause(200);
    expect(runs.map((run) => run.job)).toEqual(
      expect.arrayContaining([{ ...burst[4], supersededCheckRunIds: ids.slice(0, 4) }, other]),
    );
    expect(runs).toHaveLength(2);

    const redis = new Redis(redisUrl());
    try {
      expect(await redis.get(pendingPointerKey(prefix, queueName, burst[4]!))).toBeNull();
    } finally {
      await redis.quit();
    }
  });

  it("never replaces a job that is running: the newer one runs after it", async () => {
    const runs: Run[] = [];
    const hold = gate();
    const queue = reviewQueue();
    worker(runs, (job) => (job.headSha === "1".repeat(40) ? hold.promise : Promise.resolve()), { concurrency: 1 });
    const first = reviewJob({ headSha: "1".repeat(40) });
    const second = reviewJob({ headSha: "2".repeat(40), trigger: "comment" });
    await queue.enqueue(first, { manual: false });
    await until(() => runs.length === 1);
    expect((await queue.enqueue(second, { manual: true })).replaced).toEqual([]);
    hold.open();
    await until(() => runs.length === 2);
    expect(runs.map((run) => run.job)).toEqual([first, second]);
  });

  it("runs manual reviews before automatic ones", async () => {
    const runs: Run[] = [];
    const hold = gate();
    const queue = reviewQueue();
    worker(runs, (job) => (job.pullNumber === 99 ? hold.promise : Promise.resolve()), { concurrency: 1 });
    await queue.enqueue(reviewJob({ pullNumber: 99 }), { manual: false });
    await until(() => runs.length === 1);
    const automatic = reviewJob({ pullNumber: 2 });
    const manual = reviewJob({ pullNumber: 3, trigger: "comment" });
    await queue.enqueue(automatic, { manual: false });
    await queue.enqueue(manual, { manual: true });
    hold.open();
    await until(() => runs.length === 3);
    expect(runs.slice(1).map((run) => run.job)).toEqual([manual, automatic]);
  });

  it("retries transient failures and does not report a job that then succeeds", async () => {
    const runs: Run[] = [];
    const queue = reviewQueue();
    const started = worker(runs, async (_job, { attempt }) => {
      if (attempt < 3) throw failure("GitHub answered 502");
    });
    const { jobId } = await queue.enqueue(reviewJob(), { manual: false });
    await settlesAs(inspector(), jobId, "completed");
    expect(runs.map((run) => run.attempt)).toEqual([
      { attempt: 1, maxAttempts: 4 },
      { attempt: 2, maxAttempts: 4 },
      { attempt: 3, maxAttempts: 4 },
    ]);
    expect(started.failed).toEqual([]);
  });

  it("does not retry an error marked retryable = false and reports it once", async () => {
    const runs: Run[] = [];
    const permanent = failure("pull request was closed", false);
    const queue = reviewQueue();
    const started = worker(runs, async () => {
      throw permanent;
    });
    const job = reviewJob();
    const { jobId } = await queue.enqueue(job, { manual: false });
    await settlesAs(inspector(), jobId, "failed");
    await pause(200);
    expect(runs).toHaveLength(1);
    expect(started.failed).toEqual([{ job, error: permanent }]);
  });

  it("reports a job once when its attempts are exhausted", async () => {
    const runs: Run[] = [];
    const queue = createBullmqReviewQueue({ connection: redisUrl(), queueName, prefix, attempts: 3, backoffMs: 10 });
    open.push(queue);
    const started = worker(runs, async (_job, { attempt }) => {
      throw failure(`attempt ${attempt} timed out`);
    });
    const { jobId } = await queue.enqueue(reviewJob(), { manual: false });
    await settlesAs(inspector(), jobId, "failed");
    await pause(200);
    expect(runs.map((run) => run.attempt.attempt)).toEqual([1, 2, 3]);
    expect(started.failed.map((f) => f.error.message)).toEqual(["attempt 3 timed out"]);
  });

  it("is idempotent for a repeated delivery of the same check run", async () => {
    const runs: Run[] = [];
    const queue = reviewQueue();
    const job = reviewJob();
    const first = await queue.enqueue(job, { manual: false });
    expect(await queue.enqueue({ ...job }, { manual: false })).toEqual({ jobId: first.jobId, replaced: [] });
    worker(runs, async () => {});
    await settlesAs(inspector(), first.jobId, "completed");
    expect(await queue.enqueue({ ...job }, { manual: false })).toEqual({ jobId: first.jobId, replaced: [] });
    await pause(200);
    expect(runs).toHaveLength(1);
  });

  it("keeps one pending job when enqueues for a pull request race", async () => {
    const runs: Run[] = [];
    const queues = [reviewQueue(), reviewQueue()];
    const jobs = [1, 2, 3, 4, 5, 6].map((n) => reviewJob({ pullNumber: 5, headSha: String(n).repeat(40) }));
    await Promise.all(jobs.map((job, i) => queues[i % 2]!.enqueue(job, { manual: false })));
    worker(runs, async () => {});
    await pause(300);
    await until(() => runs.length >= 1);
    await pause(300);
    // Whatever the interleaving, every check run is reviewed or closed by a review, exactly once.
    const covered = runs.flatMap((run) => [run.job.checkRunId, ...(run.job.supersededCheckRunIds ?? [])]);
    expect(covered.sort()).toEqual(jobs.map((job) => job.checkRunId).sort());
  });

  it("lets two workers share a queue, each job running once", async () => {
    const runs: Run[] = [];
    const queue = reviewQueue();
    const slow = async () => {
      await pause(100);
    };
    worker(runs, slow, { concurrency: 1, name: "a" });
    worker(runs, slow, { concurrency: 1, name: "b" });
    const jobs = [1, 2, 3, 4, 5, 6].map((n) => reviewJob({ pullNumber: 100 + n }));
    for (const job of jobs) await queue.enqueue(job, { manual: false });
    await until(() => runs.length === jobs.length);
    await pause(300);
    expect(runs.map((run) => run.job.checkRunId).sort()).toEqual(jobs.map((job) => job.checkRunId).sort());
    expect(new Set(runs.map((run) => run.worker))).toEqual(new Set(["a", "b"]));
  });

  it("close() waits for the job in hand", async () => {
    const runs: Run[] = [];
    const hold = gate();
    const queue = reviewQueue();
    const started = worker(runs, () => hold.promise);
    const { jobId } = await queue.enqueue(reviewJob(), { manual: false });
    await until(() => runs.length === 1);
    let closed = false;
    const closing = started.close().then(() => (closed = true));
    await pause(200);
    expect(closed).toBe(false);
    hold.open();
    await closing;
    expect(await stateOf(inspector(), jobId)).toBe("completed");
  });

  it("gives the job of a worker that died to another worker", async () => {
    const runs: Run[] = [];
    const queue = reviewQueue();
    const hold = gate();
    let taken = false;
    const doomed = new Worker(
      queueName,
      async () => {
        taken = true;
        await hold.promise;
      },
      { connection: { url: redisUrl() }, prefix, lockDuration: 500, stalledInterval: 300 },
    );
    const job = reviewJob();
    await queue.enqueue(job, { manual: false });
    await until(() => taken);
    await doomed.close(true);
    worker(runs, async () => {}, { lockDurationMs: 500, stalledIntervalMs: 300 });
    await until(() => runs.length === 1);
    hold.open();
    expect(runs[0]!.job).toEqual(job);
  });
});
