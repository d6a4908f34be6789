import nock from "nock";
import { BASE, CHECK_RUN, HEAD, PULL, REPO_PATH, emptyCapture, mockHeadCheckRuns, mockReview } from "../support/pull-request-fixture.js";
import { API, INSTALLATION_ID, base64, createTestApp, mockInstallationToken, pullRequestPayload, repository, type TestApp } from "../support/test-app.js";

/** A pull request comment as GitHub delivers it. */
function commentPayload(body: string, login = "alice", type = "User") {
  return {
    action: "created",
    issue: { number: PULL, pull_request: { url: `${API}${REPO_PATH}/pulls/${PULL}` } },
    comment: { id: 777, body, user: { login, type } },
    repository,
    installation: { id: INSTALLATION_ID },
    sender: { login, type },
  };
}

/** The calls an accepted rescan command makes before its review: permission, reaction, current head. */
function mockAcceptedCommand(permission = "write", reactions: unknown[] = []): nock.Scope {
  return nock(API)
    .get(`${REPO_PATH}/collaborators/alice/permission`)
    .reply(200, { permission, role_name: permission })
    .post(`${REPO_PATH}/issues/comments/777/reactions`, (body) => {
      reactions.push(body);
      return true;
    })
    .reply(201, { id: 1 })
    .get(`${REPO_PATH}/pulls/${PULL}`)
    .reply(200, { number: PULL, state: "open", head: { sha: HEAD }, base: { sha: BASE } });
}

describe("a pull request through the app and the worker", () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await createTestApp();
  });
  afterEach(async () => {
    await app.close();
  });

  it("creates a queued check run, then completes it with annotations, a conclusion and inline comments", async () => {
    const captured = emptyCapture();
    const token = mockInstallationToken();
    const github = mockReview(captured);

    await app.deliver("pull_request", pullRequestPayload("opened", { number: PULL, head: HEAD, base: BASE }));
    await app.queue.drain();

    expect(app.unmatched).toEqual([]);
    token.done();
    github.done();

    expect(captured.checkCreate).toEqual({
      name: "MCP security review",
      head_sha: HEAD,
      status: "queued",
      external_id: `pull:${PULL}`,
      output: { title: "Queued", summary: "The review of this commit is queued." },
    });
    const [started, completed] = captured.checkUpdates;
    expect(started).toEqual({ status: "in_progress", started_at: "2026-11-26T12:00:00.000Z" });
    expect(completed.status).toBe("completed");
    expect(completed.conclusion).toBe("failure");
    expect(completed.completed_at).toBe("2026-11-26T12:00:00.000Z");
    expect(completed.output.title).toBe("4 findings on changed lines (worst: critical)");

    const annotations = completed.output.annotations.map((a: any) => [a.path, a.start_line, a.annotation_level]);
    // src/poison.ts's finding is off the lines this pull request changes: listed, not annotated or counted.
    // Line 16 is the SSE route: no authentication (CWE-306) and no DNS-rebinding protection (CWE-346).
    expect(annotations).toEqual([
      ["src/server.ts", 11, "failure"],
      ["src/server.ts", 16, "failure"],
      ["src/server.ts", 16, "failure"],
      ["src/server.ts", 17, "failure"],
    ]);
    const summary: string = completed.output.summary;
    // Off the changed lines: listed as it is, no base analysis needed to say so.
    expect(summary).toContain("**Elsewhere in changed files (not counted against this pull request)**\n- 🟠 `src/poison.ts:5` Hidden instructions in a tool description (CWE-1427)");
    expect(summary).not.toContain("### Already on the base branch");
    expect(summary).toMatch(/`src\/broken\.ts`: could not be parsed \(line 2/);
    expect(summary).toContain("- removed by the pull request: 1");
    expect(summary).toContain("- no rules for this file type: 1");
    expect(summary).toContain("4 new inline comments");

    expect(captured.reviews).toHaveLength(1);
    const review = captured.reviews[0];
    expect(review.commit_id).toBe(HEAD);
    expect(review.event).toBe("COMMENT");
    expect(review.comments.map((c: any) => [c.path, c.line, c.side])).toEqual([
      ["src/server.ts", 11, "RIGHT"],
      ["src/server.ts", 16, "RIGHT"],
      ["src/server.ts", 16, "RIGHT"],
      ["src/server.ts", 17, "RIGHT"],
    ]);
    const bodies: string[] = review.comments.map((c: any) => c.body as string);
    const injection = bodies.find((b) => b.includes("CWE-78"))!;
    const bind = bodies.find((b) => b.includes("CWE-1327"))!;
    expect(injection).toContain("CWE-78");
    expect(injection).toContain("**How to fix:**");
    expect(injection).toMatch(/\*\*Why it matters:\*\* .*shell/i); // the rule's description, from the engine
    // For git, `--` would make the branch a path: the fix ends options with --end-of-options.
    expect(injection).toMatch(/execFile\(["']git["'], \[["']log["'], ["']--end-of-options["'], branch\]/);
    expect(injection).toMatch(/<!-- mcp-review:fingerprint=[A-Za-z0-9_-]+ -->$/);
    expect(bind).toContain("CWE-1327");
    expect(bind).toContain("127.0.0.1");
  });

  it("does nothing for a second delivery of the same head, and a rescan of the same code adds no comment", async () => {
    const first = emptyCapture();
    mockInstallationToken();
    mockReview(first);
    await app.deliver("pull_request", pullRequestPayload("opened", { number: PULL, head: HEAD, base: BASE }));
    await app.queue.drain();
    const posted = first.reviews[0].comments.map((c: any, i: number) => ({ id: 100 + i, path: c.path, line: c.line, body: c.body }));

    // GitHub delivers at least once, and sends several events for one head: no second check run.
    await app.deliver("pull_request", pullRequestPayload("synchronize", { number: PULL, head: HEAD, base: BASE }));
    await app.queue.drain();
    expect(app.unmatched).toEqual([]);

    const second = emptyCapture();
    const commands = mockAcceptedCommand();
    const scope = mockReview(second, { checkRunId: 556, existingComments: posted, expectReview: false });
    await app.deliver("issue_comment", commentPayload("/mcp-review rescan"));
    await app.queue.drain();

    expect(app.unmatched).toEqual([]);
    commands.done();
    scope.done();
    expect(second.reviews).toEqual([]);
    expect(second.commentEdits).toEqual([]);
    const completed = second.checkUpdates[1];
    expect(completed.conclusion).toBe("failure");
    expect(completed.output.summary).toContain("4 already commented earlier");
  });

  it("marks a comment fixed when its finding is gone", async () => {
    const captured = emptyCapture();
    mockInstallationToken();
    const stale = { id: 300, path: "src/server.ts", line: 3, body: "old finding\n\n<!-- mcp-review:fingerprint=gone0000000000000000 -->" };
    const scope = mockReview(captured, { existingComments: [stale], expectFixed: [300] });
    await app.deliver("pull_request", pullRequestPayload("synchronize", { number: PULL, head: HEAD, base: BASE }));
    await app.queue.drain();

    expect(app.unmatched).toEqual([]);
    scope.done();
    expect(captured.commentEdits).toHaveLength(1);
    expect(captured.commentEdits[0]!.body).toMatch(/^<!-- mcp-review:fixed -->\n✅ \*\*Fixed\*\* in aaaaaaa/);
    expect(captured.commentEdits[0]!.body).toContain(stale.body);
    expect(captured.checkUpdates[1].output.summary).toContain("1 earlier comment marked fixed");
  });

  it("reports an invalid config in the check run and reviews with defaults", async () => {
    const captured = emptyCapture();
    mockInstallationToken();
    const scope = mockReview(captured, { config: "fail_on: hgh\nmax_comments: 1\n" });
    await app.deliver("pull_request", pullRequestPayload("opened", { number: PULL, head: HEAD, base: BASE }));
    await app.queue.drain();

    expect(app.unmatched).toEqual([]);
    scope.done();
    const completed = captured.checkUpdates[1];
    expect(completed.conclusion).toBe("failure");
    expect(completed.output.summary).toContain("### ⚠️ Configuration problems");
    expect(completed.output.summary).toContain('`fail_on`: ');
    expect(completed.output.summary).toContain('(got "hgh"); using the default "high"');
    // max_comments: 1 was valid and is honored.
    expect(captured.reviews[0].comments).toHaveLength(1);
    expect(completed.output.summary).toContain("3 not commented inline: over max_comments (1)");
  });

  it("skips a symbolic link as such, never reading its target's path as code", async () => {
    const captured = emptyCapture();
    mockInstallationToken();
    const list = [
      { filename: "src/tool.ts", status: "modified", additions: 1, deletions: 1, changes: 2, patch: "@@ -1 +1 @@\n-../old/tool.ts\n+../shared/tool.ts" },
    ];
    const scope = mockReview(captured, { files: { list, head: { "src/tool.ts": "../shared/tool.ts" }, base: {} }, symlinks: ["src/tool.ts"], expectReview: false });
    await app.deliver("pull_request", pullRequestPayload("opened", { number: PULL, head: HEAD, base: BASE }));
    await app.queue.drain();

    expect(app.unmatched).toEqual([]);
    scope.done();
    const completed = captured.checkUpdates[1];
    expect(completed.conclusion).toBe("success");
    expect(completed.output.summary).toContain("- a symbolic link, not followed: 1");
    expect(completed.output.summary).toContain("- `src/tool.ts`: a symbolic link, not followed");
  });

  it("retries when GitHub answers 502, then completes once", async () => {
    const captured = emptyCapture();
    mockInstallationToken();
    // The first attempt gets as far as listing files; the retry repeats the reads.
    const firstAttempt = nock(API)
      .get(`${REPO_PATH}/pulls/${PULL}`)
      .reply(200, { number: PULL, state: "open", draft: false, head: { sha: HEAD }, base: { sha: BASE, ref: "main" } })
      .patch(`${REPO_PATH}/check-runs/${CHECK_RUN}`)
      .reply(200, { id: CHECK_RUN })
      .get(`${REPO_PATH}/contents/.github%2Fmcp-review.yml`)
      .query({ ref: BASE })
      .reply(404, { message: "Not Found" });
    const scope = mockReview(captured, { listFilesFailures: [502] });
    await app.deliver("pull_request", pullRequestPayload("opened", { number: PULL, head: HEAD, base: BASE }));
    await app.queue.drain();

    expect(app.unmatched).toEqual([]);
    firstAttempt.done();
    scope.done();
    expect(captured.reviews).toHaveLength(1);
    expect(captured.checkUpdates.at(-1).conclusion).toBe("failure");
  });

  it("completes the check run as neutral with the reason when GitHub keeps failing", async () => {
    const failing = await createTestApp({ attempts: 2 });
    try {
      const updates: any[] = [];
      mockInstallationToken();
      const scope = nock(API)
        .post(`${REPO_PATH}/check-runs`)
        .reply(201, { id: CHECK_RUN })
        .get(`${REPO_PATH}/pulls/${PULL}`)
        .times(2)
        .reply(503, { message: "Service Unavailable" })
        .patch(`${REPO_PATH}/check-runs/${CHECK_RUN}`, (body) => {
          updates.push(body);
          return true;
        })
        .reply(200, { id: CHECK_RUN });
      await failing.deliver("pull_request", pullRequestPayload("opened", { number: PULL, head: HEAD, base: BASE }));
      await failing.queue.drain();

      expect(failing.unmatched).toEqual([]);
      scope.done();
      expect(updates).toHaveLength(1);
      expect(updates[0].status).toBe("completed");
      expect(updates[0].conclusion).toBe("neutral");
      expect(updates[0].output.title).toBe("The review could not finish");
      expect(updates[0].output.summary).toContain(`GitHub failed while reading pull request #${PULL} (HTTP 503)`);
    } finally {
      await failing.close();
    }
  });

  it("ends the check run as cancelled when the head moved on", async () => {
    const updates: any[] = [];
    mockInstallationToken();
    const scope = nock(API)
      .post(`${REPO_PATH}/check-runs`)
      .reply(201, { id: CHECK_RUN })
      .get(`${REPO_PATH}/pulls/${PULL}`)
      .reply(200, { number: PULL, state: "open", head: { sha: "c".repeat(40) }, base: { sha: BASE, ref: "main" } })
      .patch(`${REPO_PATH}/check-runs/${CHECK_RUN}`, (body) => {
        updates.push(body);
        return true;
      })
      .reply(200, { id: CHECK_RUN });
    await app.deliver("pull_request", pullRequestPayload("synchronize", { number: PULL, head: HEAD, base: BASE }));
    await app.queue.drain();

    expect(app.unmatched).toEqual([]);
    scope.done();
    expect(updates[0].conclusion).toBe("cancelled");
    expect(updates[0].output.title).toBe("Superseded by a newer commit");
  });

  it("leaves a draft alone until it is ready for review", async () => {
    mockInstallationToken();
    const draftScope = nock(API).get(`${REPO_PATH}/contents/.github%2Fmcp-review.yml`).query({ ref: BASE }).reply(404, { message: "Not Found" });
    await app.deliver("pull_request", pullRequestPayload("opened", { number: PULL, head: HEAD, base: BASE, draft: true }));
    await app.queue.drain();
    draftScope.done();
    expect(app.unmatched).toEqual([]);

    const captured = emptyCapture();
    const runs = mockHeadCheckRuns([]);
    const scope = mockReview(captured);
    await app.deliver("pull_request", pullRequestPayload("ready_for_review", { number: PULL, head: HEAD, base: BASE, draft: false }));
    await app.queue.drain();
    runs.done();
    scope.done();
    expect(captured.checkUpdates[1].status).toBe("completed");
  });

  it("reviews a draft when the repository config asks for it", async () => {
    mockInstallationToken();
    const config = "review_drafts: true\n";
    nock(API).get(`${REPO_PATH}/contents/.github%2Fmcp-review.yml`).query({ ref: BASE }).reply(200, { type: "file", encoding: "base64", size: config.length, content: base64(config) });
    const captured = emptyCapture();
    const scope = mockReview(captured, { config });
    await app.deliver("pull_request", pullRequestPayload("opened", { number: PULL, head: HEAD, base: BASE, draft: true }));
    await app.queue.drain();
    expect(app.unmatched).toEqual([]);
    scope.done();
    expect(captured.checkUpdates[1].conclusion).toBe("failure");
  });

  it("refuses a webhook whose signature is wrong, and calls GitHub not at all", async () => {
    await expect(
      app.deliver("pull_request", pullRequestPayload("opened", { number: PULL, head: HEAD, base: BASE }), { signature: "sha256=" + "0".repeat(64) }),
    ).rejects.toThrow(/signature does not match/i);
    await app.queue.drain();
    expect(app.unmatched).toEqual([]);
  });
});

describe("rescans", () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await createTestApp();
  });
  afterEach(async () => {
    await app.close();
  });


  it("runs a fresh review of the current head on `/mcp-review rescan` from a writer, with a reaction", async () => {
    mockInstallationToken();
    const reactions: unknown[] = [];
    const commands = mockAcceptedCommand("write", reactions);
    const captured = emptyCapture();
    const review = mockReview(captured);

    await app.deliver("issue_comment", commentPayload("Thanks!\n/mcp-review rescan"));
    await app.queue.drain();

    expect(app.unmatched).toEqual([]);
    commands.done();
    review.done();
    expect(reactions).toEqual([{ content: "+1" }]);
    expect(captured.checkCreate.head_sha).toBe(HEAD);
    expect(captured.checkUpdates[1].conclusion).toBe("failure");
  });

  it("accepts `@mcp-review rescan` too", async () => {
    mockInstallationToken();
    const commands = mockAcceptedCommand("admin");
    const review = mockReview(emptyCapture());
    await app.deliver("issue_comment", commentPayload("@mcp-review rescan"));
    await app.queue.drain();
    expect(app.unmatched).toEqual([]);
    commands.done();
    review.done();
  });

  it("answers a commenter without write access politely and reviews nothing", async () => {
    mockInstallationToken();
    const replies: any[] = [];
    const scope = nock(API)
      .get(`${REPO_PATH}/collaborators/mallory/permission`)
      .reply(200, { permission: "read", role_name: "read" })
      .post(`${REPO_PATH}/issues/${PULL}/comments`, (body) => {
        replies.push(body);
        return true;
      })
      .reply(201, { id: 2 });
    await app.deliver("issue_comment", commentPayload("/mcp-review rescan", "mallory"));
    await app.queue.drain();
    expect(app.unmatched).toEqual([]);
    scope.done();
    expect(replies[0].body).toMatch(/^Thanks @mallory! Only people with write access/);
  });

  it("answers `/mcp-review help` with the commands", async () => {
    mockInstallationToken();
    const replies: any[] = [];
    const scope = nock(API)
      .post(`${REPO_PATH}/issues/${PULL}/comments`, (body) => {
        replies.push(body);
        return true;
      })
      .reply(201, { id: 3 });
    await app.deliver("issue_comment", commentPayload("/mcp-review help"));
    expect(app.unmatched).toEqual([]);
    scope.done();
    expect(replies[0].body).toContain("`/mcp-review rescan`");
    expect(replies[0].body).toContain("`/mcp-review help`");
  });

  it("ignores comments from bots and comments that do not address it", async () => {
    await app.deliver("issue_comment", commentPayload("/mcp-review rescan", "other-bot[bot]", "Bot"));
    await app.deliver("issue_comment", commentPayload("please rescan with mcp-review later"));
    await app.queue.drain();
    expect(app.unmatched).toEqual([]);
  });

  it("reviews the current head when the check run's Re-run button is pressed", async () => {
    mockInstallationToken();
    const pull = nock(API)
      .get(`${REPO_PATH}/pulls/${PULL}`)
      .reply(200, { number: PULL, state: "open", head: { sha: HEAD }, base: { sha: BASE } });
    const captured = emptyCapture();
    const review = mockReview(captured, { checkRunId: 600 });
    await app.deliver("check_run", {
      action: "rerequested",
      check_run: { id: 555, name: "MCP security review", head_sha: "d".repeat(40), external_id: `pull:${PULL}`, pull_requests: [] },
      repository,
      installation: { id: INSTALLATION_ID },
      sender: { login: "alice", type: "User" },
    });
    await app.queue.drain();
    expect(app.unmatched).toEqual([]);
    pull.done();
    review.done();
    expect(captured.checkCreate.head_sha).toBe(HEAD);
    expect(captured.checkUpdates[1].conclusion).toBe("failure");
  });

  it("reviews the current head when the check suite is re-run", async () => {
    mockInstallationToken();
    const lookups = nock(API)
      .get(`${REPO_PATH}/check-suites/99/check-runs`)
      .query({ check_name: "MCP security review", per_page: 1 })
      .reply(200, { total_count: 1, check_runs: [{ id: 555, external_id: `pull:${PULL}` }] })
      .get(`${REPO_PATH}/pulls/${PULL}`)
      .reply(200, { number: PULL, state: "open", head: { sha: HEAD }, base: { sha: BASE } });
    const review = mockReview(emptyCapture());
    await app.deliver("check_suite", {
      action: "rerequested",
      check_suite: { id: 99, head_sha: HEAD, pull_requests: [] },
      repository,
      installation: { id: INSTALLATION_ID },
      sender: { login: "alice", type: "User" },
    });
    await app.queue.drain();
    expect(app.unmatched).toEqual([]);
    lookups.done();
    review.done();
  });
});

describe("when the queue is down", () => {
  it("completes the new check run as neutral with the reason and fails the delivery", async () => {
    const app = await createTestApp();
    try {
      await app.queue.close(); // a closed queue refuses work, as a queue whose Redis went away does
      mockInstallationToken();
      const updates: any[] = [];
      const scope = nock(API)
        .post(`${REPO_PATH}/check-runs`)
        .reply(201, { id: CHECK_RUN })
        .patch(`${REPO_PATH}/check-runs/${CHECK_RUN}`, (body) => {
          updates.push(body);
          return true;
        })
        .reply(200, { id: CHECK_RUN });
      await expect(app.deliver("pull_request", pullRequestPayload("opened", { number: PULL, head: HEAD, base: BASE }))).rejects.toThrow();
      expect(app.unmatched).toEqual([]);
      scope.done();
      expect(updates[0]).toMatchObject({ status: "completed", conclusion: "neutral", output: { title: "The review could not be queued" } });
    } finally {
      await app.close();
    }
  });
});
