import { BASE, HEAD, PULL, emptyCapture, mockReview } from "../support/pull-request-fixture.js";
import { deleteKeys, redisUrl, requireRedis, uniquePrefix } from "../support/redis.js";
import { createTestApp, mockInstallationToken, pullRequestPayload, type TestApp } from "../support/test-app.js";

describe("a pull request through the app, BullMQ on a real Redis, and a worker", () => {
  const prefix = uniquePrefix("app");
  let app: TestApp;

  beforeAll(requireRedis);
  beforeEach(async () => {
    app = await createTestApp({ redis: { url: redisUrl(), prefix } });
  });
  afterEach(async () => {
    await app.close();
  });
  afterAll(() => deleteKeys(prefix));

  it("reviews the pull request once and publishes the same review as in-process", async () => {
    const captured = emptyCapture();
    mockInstallationToken();
    const scope = mockReview(captured);

    await app.deliver("pull_request", pullRequestPayload("opened", { number: PULL, head: HEAD, base: BASE }));
    await app.queue.drain();

    expect(app.unmatched).toEqual([]);
    scope.done();
    expect(captured.checkUpdates.map((u) => u.status)).toEqual(["in_progress", "completed"]);
    expect(captured.checkUpdates[1].conclusion).toBe("failure");
    expect(captured.reviews).toHaveLength(1);
    expect(captured.reviews[0].comments.map((c: { path: string; line: number }) => `${c.path}:${c.line}`)).toEqual(["src/server.ts:11", "src/server.ts:16", "src/server.ts:16", "src/server.ts:17"]);
  });
});
