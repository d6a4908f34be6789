import { createMemoryReviewQueue, type MemoryReviewQueueOptions } from "../../src/queue/memory-queue.js";
import type { AttemptInfo } from "../../src/queue/review-queue.js";
import type { ReviewJob } from "../../src/review/review-job.js";
import { failure, gate, recordingLogger, reviewJob, until } from "./review-jobs.js";

interface Harness {
  runs: Array<{ job: ReviewJob; attempt: AttemptInfo; at: number }>;
  failed: Array<{ job: ReviewJob; error: Error }>;
  logger: ReturnType<typeof recordingLogger>;
}

function harness(
  behaviour: (job: ReviewJob, attempt: AttemptInfo) => Promise<void>,
  options: Partial<MemoryReviewQueueOptions> = {},
) {
  const state: Harness = { runs: [], failed: [], logger: recordingLogger() };
  const queue = createMemoryReviewQueue({
    backoffMs: 5,
    logger: state.logger,
    processor: async (job, attempt) => {
      state.runs.push({ job, attempt, at: Date.now() });
      await behaviour(job, attempt);
    },
    onFailed: async (job, error) => {
      state.failed.push({ job, error });
    },
    ...options,
  });
  return { queue, ...state };
}

describe("createMemoryReviewQueue", () => {
  it("runs the processor once with the job as enqueued", async () => {
    const { queue, runs, failed } = harness(async () => {}, { attempts: 3 });
    const job = reviewJob();
    const result = await queue.enqueue(job, { manual: false });
    await queue.drain();
    expect(result.replaced).toEqual([]);
    expect(runs).toEqual([{ job, attempt: { attempt: 1, maxAttempts: 3 }, at: expect.any(Number) }]);
    expect(failed).toEqual([]);
    await queue.close();
  });

  it("keeps only the newest pending job of a pull request and carries the replaced check runs", async () => {
    const hold = gate();
    const { queue, runs } = harness((job) => (job.pullNumber === 99 ? hold.promise : Promise.resolve()), {
      concurrency: 1,
    });
    await queue.enqueue(reviewJob({ pullNumber: 99 }), { manual: false });
    await until(() => runs.length === 1);

    const burst = [1, 2, 3, 4, 5].map((n) => reviewJob({ pullNumber: 1, headSha: String(n).repeat(40) }));
    const results = [];
    for (const job of burst) results.push(await queue.enqueue(job, { manual: false }));
    const other = reviewJob({ pullNumber: 2 });
    expect((await queue.enqueue(other, { manual: false })).replaced).toEqual([]);

    const ids = burst.map((job) => job.checkRunId);
    expect(results.map((result) => result.replaced)).toEqual([[], ids.slice(0, 1), ids.slice(0, 2), ids.slice(0, 3), ids.slice(0, 4)]);

    hold.open();
    await queue.drain();
    const reviewed = runs.slice(1).map((run) => run.job);
    expect(reviewed).toEqual([{ ...burst[4], supersededCheckRunIds: ids.slice(0, 4) }, other]);
    await queue.close();
  });

  it("never replaces a running job: the new one runs after it", async () => {
    const hold = gate();
    const { queue, runs } = harness((job) => (job.headSha === "1".repeat(40) ? hold.promise : Promise.resolve()));
    const first = reviewJob({ headSha: "1".repeat(40) });
    const second = reviewJob({ headSha: "2".repeat(40) });
    await queue.enqueue(first, { manual: false });
    await until(() => runs.length === 1);
    expect((await queue.enqueue(second, { manual: true })).replaced).toEqual([]);
    hold.open();
    await queue.drain();
    expect(runs.map((run) => run.job)).toEqual([first, second]);
    await queue.close();
  });

  it("retries a transient failure with growing delays and does not report it", async () => {
    const { queue, runs, failed } = harness(
      async (_job, { attempt }) => {
        if (attempt < 3) throw failure("GitHub answered 502");
      },
      { backoffMs: 40 },
    );
    await queue.enqueue(reviewJob(), { manual: false });
    await queue.drain();
    expect(runs.map((run) => run.attempt)).toEqual([
      { attempt: 1, maxAttempts: 4 },
      { attempt: 2, maxAttempts: 4 },
      { attempt: 3, maxAttempts: 4 },
    ]);
    const [a, b, c] = runs.map((run) => run.at);
    expect(b! - a!).toBeGreaterThanOrEqual(35);
    expect(c! - b!).toBeGreaterThanOrEqual(75);
    expect(failed).toEqual([]);
    await queue.close();
  });

  it("does not retry an error marked retryable = false and reports it once", async () => {
    const permanent = failure("pull request was closed", false);
    const { queue, runs, failed } = harness(async () => {
      throw permanent;
    });
    const job = reviewJob();
    await queue.enqueue(job, { manual: false });
    await queue.drain();
    expect(runs).toHaveLength(1);
    expect(failed).toEqual([{ job, error: permanent }]);
    await queue.close();
  });

  it("reports a job once when its attempts are exhausted", async () => {
    const { queue, runs, failed } = harness(
      async (_job, { attempt }) => {
        throw failure(`attempt ${attempt} timed out`);
      },
      { attempts: 3 },
    );
    await queue.enqueue(reviewJob(), { manual: false });
    await queue.drain();
    expect(runs).toHaveLength(3);
    expect(failed.map((f) => f.error.message)).toEqual(["attempt 3 timed out"]);
    await queue.close();
  });

  it("survives a failure handler that throws", async () => {
    const logger = recordingLogger();
    const queue = createMemoryReviewQueue({
      logger,
      processor: async () => {
        throw failure("bad", false);
      },
      onFailed: async () => {
        throw new Error("GitHub is down");
      },
    });
    await queue.enqueue(reviewJob(), { manual: false });
    await queue.drain();
    expect(logger.errors).toEqual(["review failure handler threw"]);
    await queue.close();
  });

  it("adds a repeated delivery for the same check run only once", async () => {
    const { queue, runs } = harness(async () => {});
    const job = reviewJob();
    const first = await queue.enqueue(job, { manual: false });
    const again = await queue.enqueue({ ...job }, { manual: false });
    await queue.drain();
    expect(again).toEqual({ jobId: first.jobId, replaced: [] });
    expect(await queue.enqueue({ ...job }, { manual: false })).toEqual({ jobId: first.jobId, replaced: [] });
    await queue.drain();
    expect(runs).toHaveLength(1);
    await queue.close();
  });

  it("runs manual reviews before automatic ones", async () => {
    const hold = gate();
    const { queue, runs } = harness((job) => (job.pullNumber === 99 ? hold.promise : Promise.resolve()), {
      concurrency: 1,
    });
    await queue.enqueue(reviewJob({ pullNumber: 99 }), { manual: false });
    await until(() => runs.length === 1);
    const automatic = reviewJob({ pullNumber: 2 });
    const manual = reviewJob({ pullNumber: 3, trigger: "comment" });
    await queue.enqueue(automatic, { manual: false });
    await queue.enqueue(manual, { manual: true });
    hold.open();
    await queue.drain();
    expect(runs.slice(1).map((run) => run.job)).toEqual([manual, automatic]);
    await queue.close();
  });

  it("on close, lets the running job finish and completes the check runs of jobs that never ran", async () => {
    const hold = gate();
    const { queue, runs, failed } = harness(() => hold.promise, { concurrency: 1 });
    const running = reviewJob({ pullNumber: 1 });
    const waiting = reviewJob({ pullNumber: 2 });
    await queue.enqueue(running, { manual: false });
    await queue.enqueue(waiting, { manual: false });
    await until(() => runs.length === 1);
    let closed = false;
    const closing = queue.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(false);
    hold.open();
    await closing;
    expect(runs.map((run) => run.job)).toEqual([running]);
    expect(failed.map((f) => f.job)).toEqual([waiting]);
    await expect(queue.enqueue(reviewJob(), { manual: false })).rejects.toThrow(/closed/);
  });
});
