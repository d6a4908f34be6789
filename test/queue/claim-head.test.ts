import { createBullmqReviewQueue } from "../../src/queue/bullmq-queue.js";
import { createMemoryReviewQueue } from "../../src/queue/memory-queue.js";
import type { ReviewQueue } from "../../src/queue/review-queue.js";
import { deleteKeys, redisUrl, requireRedis, uniquePrefix } from "../support/redis.js";
import { recordingLogger } from "./review-jobs.js";

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
