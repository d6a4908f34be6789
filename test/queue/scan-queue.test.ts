import type { ScanJob } from "../../src/inventory/scan-repository.js";
import { createBullmqScanQueue, createMemoryScanQueue, startBullmqScanWorker } from "../../src/queue/scan-queue.js";
import { deleteKeys, redisUrl, requireRedis, uniquePrefix } from "../support/redis.js";

const daily = (repositoryId: number): ScanJob => ({ installationId: 1, repositoryId, trigger: "daily" });

describe("the scan queue: one waiting scan per repository, at the most urgent trigger asked", () => {
  const prefix = uniquePrefix("scanq");

  beforeAll(requireRedis);
  afterAll(() => deleteKeys(prefix));

  it("on Redis, a push to a repository whose daily scan waits moves that scan ahead of the backlog", async () => {
    const scans = createBullmqScanQueue({ connection: redisUrl(), prefix });
    const done: Array<[number, string]> = [];
    try {
      expect(await scans.enqueue([1, 2, 3, 4].map(daily))).toBe(4);
      // Several pushes in a row add nothing: the waiting scan reads the newest head when it runs.
      expect(await scans.enqueue([{ installationId: 1, repositoryId: 3, trigger: "push" }, { installationId: 1, repositoryId: 3, trigger: "push" }])).toBe(0);
      const waiting = await scans.queue.getJobs(["prioritized", "waiting"]);
      expect(waiting.map((j) => [j.data.repositoryId, j.data.trigger, j.priority]).sort()).toEqual([
        [1, "daily", 5],
        [2, "daily", 5],
        [3, "push", 2],
        [4, "daily", 5],
      ]);
      const worker = startBullmqScanWorker({ connection: redisUrl(), prefix, processor: async (job) => void done.push([job.repositoryId, job.trigger]), recheck: async () => {}, yieldMs: 50 });
      try {
        for (let i = 0; i < 200 && done.length < 4; i++) await new Promise((r) => setTimeout(r, 50));
      } finally {
        await worker.close();
      }
      expect(done[0]).toEqual([3, "push"]);
      expect(done.map(([id]) => id).sort()).toEqual([1, 2, 3, 4]);
    } finally {
      await scans.close();
    }
  });

  it("in one process, the same", async () => {
    const done: Array<[number, string]> = [];
    const scans = createMemoryScanQueue({ processor: async (job) => void done.push([job.repositoryId, job.trigger]) });
    await scans.enqueue([1, 2, 3, 4].map(daily)); // the first starts at once
    expect(await scans.enqueue([{ installationId: 1, repositoryId: 4, trigger: "push" }])).toBe(0);
    await scans.drain();
    await scans.close();
    expect(done).toEqual([
      [1, "daily"],
      [4, "push"],
      [2, "daily"],
      [3, "daily"],
    ]);
  });
});
