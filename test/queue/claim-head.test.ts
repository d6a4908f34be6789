import { createBullmqReviewQueue } from "../../src/queue/bullmq-queue.js";
import { startBullmqReviewWorker } from "../../src/queue/bullmq-worker.js";
import { createMemoryReviewQueue } from "../../src/queue/memory-queue.js";
import type { ReviewQueue } from "../../src/queue/review-queue.js";
import { deleteKeys, redisUrl, requireRedis, uniquePrefix } from "../support/redis.js";
import type { ReviewJob } from "../../src/review/review-job.js";
import { recordingLogger, reviewJob, until } from "./review-jobs.js";

const head = { repositoryId: 42, pullNumber: 7, headSha: "c".repeat(40) };

function claimsOnce(make: () => { queue: ReviewQueue; other: ReviewQueue }) {
  it("grants a head once, and other heads and pull requests separately", async () => {
    const { queue, other } = make();
    try {
      expect(await queue.claimHead(head)).toBe(true);
      expect(await queue.claimHead(head)).toBe(false);
      expect(await other.claimHead(head)).toBe(false);
      expect(await queue.claimHead({ ...head, headSha: "d".repeat(40) })).toBe(true);
      expect(await queue.claimHead({ ...head, pullNumber: 8 })).toBe(true);
    } finally {
      await queue.close();
      if (other !== queue) await other.close();
    }
  });
}

describe("claimHead on Redis: shared by every process on the queue", () => {
  const prefix = uniquePrefix("claim");
  beforeAll(requireRedis);
  afterAll(() => deleteKeys(prefix));
  claimsOnce(() => ({
    queue: createBullmqReviewQueue({ connection: redisUrl(), prefix, logger: recordingLogger() }),
    other: createBullmqReviewQueue({ connection: redisUrl(), prefix, logger: recordingLogger() }),
  }));
});

describe("claimHead in process", () => {
  claimsOnce(() => {
    const queue = createMemoryReviewQueue({ processor: async () => {}, onFailed: async () => {}, logger: recordingLogger() });
    return { queue, other: queue };
  });
});

/**
 * A review that ends cancelled (closed, superseded) leaves its head unjudged: the claim goes, so
 * the head is reviewed when it comes back. A completed review keeps it. A new turn (`after` a
 * cancelled run) is claimed once.
 */
function releasesCancelled(make: (processor: (job: ReviewJob) => Promise<"cancelled" | void>) => { queue: ReviewQueue; drain(): Promise<void>; close(): Promise<void> }) {
  it("releases the head of a cancelled review, keeps a completed one, and claims a new turn once", async () => {
    const outcomes = new Map<string, "cancelled" | undefined>([["c".repeat(40), "cancelled"], ["d".repeat(40), undefined]]);
    const { queue, drain, close } = make(async (job) => outcomes.get(job.headSha));
    try {
      for (const headSha of outcomes.keys()) {
        expect(await queue.claimHead({ ...head, headSha })).toBe(true);
        await queue.enqueue(reviewJob({ ...head, headSha }), { manual: false });
      }
      await drain();
      expect(await queue.claimHead(head)).toBe(true);
      expect(await queue.claimHead({ ...head, headSha: "d".repeat(40) })).toBe(false);
      expect(await queue.claimHead({ ...head, headSha: "d".repeat(40), after: 5 })).toBe(true);
      expect(await queue.claimHead({ ...head, headSha: "d".repeat(40), after: 5 })).toBe(false);
    } finally {
      await close();
    }
  });
}

describe("releasing claims on Redis, where the worker is another process's", () => {
  const prefix = uniquePrefix("release");
  beforeAll(requireRedis);
  afterAll(() => deleteKeys(prefix));
  releasesCancelled((processor) => {
    const queue = createBullmqReviewQueue({ connection: redisUrl(), prefix, logger: recordingLogger() });
    let done = 0;
    const worker = startBullmqReviewWorker({
      connection: redisUrl(),
      prefix,
      logger: recordingLogger(),
      processor: async (job) => {
        const outcome = await processor(job);
        done++;
        return outcome;
      },
      onFailed: async () => {},
    });
    return {
      queue,
      drain: () => until(() => done === 2),
      async close() {
        await worker.close();
        await queue.close();
      },
    };
  });
});

describe("releasing claims in process", () => {
  releasesCancelled((processor) => {
    const queue = createMemoryReviewQueue({ processor, onFailed: async () => {}, logger: recordingLogger() });
    return { queue, drain: () => queue.drain(), close: () => queue.close() };
  });
});
