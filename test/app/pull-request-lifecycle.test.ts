import nock from "nock";
import { BASE, CHECK_RUN, HEAD, PULL, REPO_PATH, emptyCapture, mockHeadCheckRuns, mockReview } from "../support/pull-request-fixture.js";
import { deleteKeys, redisUrl, requireRedis, uniquePrefix } from "../support/redis.js";
import { API, createTestApp, mockInstallationToken, pullRequestPayload, type TestApp } from "../support/test-app.js";

const backends = [
  ["the in-process queue", undefined],
  ["BullMQ on a real Redis", uniquePrefix("lifecycle")],
] as const;

describe.each(backends)("a pull request closed before its review, then reopened, on %s", (_name, prefix) => {
  let app: TestApp;

  beforeAll(async () => {
    if (prefix) await requireRedis();
  });
  beforeEach(async () => {
    app = await createTestApp(prefix ? { redis: { url: redisUrl(), prefix } } : {});
  });
  afterEach(async () => {
    await app.close();
  });
  afterAll(async () => {
    if (prefix) await deleteKeys(prefix);
  });

  it("cancels the review of the closed pull request, then reviews the same head when it is reopened, once", async () => {
    mockInstallationToken();
    const cancelled: any[] = [];
    const closed = nock(API)
      .post(`${REPO_PATH}/check-runs`)
      .reply(201, { id: CHECK_RUN })
      .get(`${REPO_PATH}/pulls/${PULL}`)
      .reply(200, { number: PULL, state: "closed", head: { sha: HEAD }, base: { sha: BASE, ref: "main" } })
      .patch(`${REPO_PATH}/check-runs/${CHECK_RUN}`, (body) => {
        cancelled.push(body);
        return true;
      })
      .reply(200, { id: CHECK_RUN });
    await app.deliver("pull_request", pullRequestPayload("opened", { number: PULL, head: HEAD, base: BASE }));
    await app.queue.drain();
    closed.done();
    expect(cancelled.map((u) => [u.conclusion, u.output.title])).toEqual([["cancelled", "Pull request closed"]]);

    // Reopened at the same head: the last check run there was cancelled, so the head is reviewed.
    const captured = emptyCapture();
    const runs = mockHeadCheckRuns([{ id: CHECK_RUN, status: "completed", conclusion: "cancelled" }]);
    const review = mockReview(captured, { checkRunId: CHECK_RUN + 1 });
    await app.deliver("pull_request", pullRequestPayload("reopened", { number: PULL, head: HEAD, base: BASE }));
    await app.queue.drain();
    runs.done();
    review.done();
    expect(captured.checkUpdates.map((u) => u.status)).toEqual(["in_progress", "completed"]);
    expect(captured.checkUpdates[1].conclusion).toBe("failure");

    // The same reopen delivered again, and a late synchronize for the head: nothing more.
    const again = mockHeadCheckRuns([
      { id: CHECK_RUN + 1, status: "completed", conclusion: "failure" },
      { id: CHECK_RUN, status: "completed", conclusion: "cancelled" },
    ]);
    await app.deliver("pull_request", pullRequestPayload("reopened", { number: PULL, head: HEAD, base: BASE }));
    await app.deliver("pull_request", pullRequestPayload("synchronize", { number: PULL, head: HEAD, base: BASE }));
    await app.queue.drain();
    again.done();
    expect(app.unmatched).toEqual([]);
  });

  it("leaves a reopened head alone while its review is under way", async () => {
    mockInstallationToken();
    const runs = mockHeadCheckRuns([{ id: CHECK_RUN, status: "queued", conclusion: null }]);
    await app.deliver("pull_request", pullRequestPayload("reopened", { number: PULL, head: HEAD, base: BASE }));
    await app.queue.drain();
    runs.done();
    expect(app.unmatched).toEqual([]);
  });
});
