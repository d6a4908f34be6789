import { Redis } from "ioredis";
import { Probot } from "probot";
import { createMemoryInventoryCache } from "../../src/inventory/inventory-cache.js";
import { createMemoryRequestGate, createRedisRequestGate } from "../../src/inventory/request-gate.js";
import { scanRepository } from "../../src/inventory/scan-repository.js";
import { analyzeUnitsInline } from "../../src/inventory/unit-analyzer.js";
import { McpReviewOctokit } from "../../src/review/octokit.js";
import { openInventoryStore } from "../../src/store/inventory-store.js";
import { freshSqliteFile } from "../support/databases.js";
import { FakeGitHub } from "../support/fake-github.js";
import { mcpServerSource } from "../support/mcp-corpus.js";
import { deleteKeys, redisUrl, requireRedis, uniquePrefix } from "../support/redis.js";
import { STACK_PRIVATE_KEY, sha } from "../support/review-stack.js";

describe("the gate on GitHub requests of one installation", () => {
  const prefix = uniquePrefix("gate");
  const clients: Redis[] = [];
  const redis = () => {
    const client = new Redis(redisUrl());
    clients.push(client);
    return client;
  };

  beforeAll(requireRedis);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit()));
    await deleteKeys(prefix);
  });

  it("holds the per-second budget across processes sharing Redis", async () => {
    // Two gates on two connections stand for two worker processes.
    const gates = [createRedisRequestGate(redis(), prefix, { perSecond: 5 }), createRedisRequestGate(redis(), prefix, { perSecond: 5 })];
    const started: number[] = [];
    await Promise.all(Array.from({ length: 20 }, (_, i) => gates[i % 2]!.acquire(42).then(() => started.push(Date.now()))));
    const perSecond = new Map<number, number>();
    for (const t of started) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(5);
    // 20 requests at 5 a second take four different seconds (by the clock, not a measured duration).
    expect(perSecond.size).toBeGreaterThanOrEqual(4);
    // Another installation has a budget of its own.
    const other = Date.now();
    await gates[0]!.acquire(43);
    expect(Date.now() - other).toBeLessThan(500);
  }, 20000);

  it("pauses every process when the installation's quota runs low, until the reset", async () => {
    const now = Date.now();
    const a = createRedisRequestGate(redis(), prefix, { reserve: 100 });
    const b = createRedisRequestGate(redis(), prefix, { reserve: 100 });
    await a.observe(7, { "x-ratelimit-remaining": "4000", "x-ratelimit-limit": "5000", "x-ratelimit-reset": String(Math.ceil(now / 1000) + 60) });
    expect(await b.pauseFor(7)).toBe(0);
    await a.observe(7, { "x-ratelimit-remaining": "450", "x-ratelimit-limit": "5000", "x-ratelimit-reset": String(Math.ceil(now / 1000) + 60) });
    // 10% of the limit is kept for reviews.
    expect(await b.pauseFor(7)).toBeGreaterThan(55_000);
    // An older answer arriving late does not undo what a newer one said.
    await b.observe(7, { "x-ratelimit-remaining": "3000", "x-ratelimit-limit": "5000", "x-ratelimit-reset": String(Math.ceil(now / 1000) + 60) });
    expect(await a.pauseFor(7)).toBeGreaterThan(55_000);
    // GraphQL's own quota is not the REST one.
    const c = createMemoryRequestGate();
    await c.observe(8, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(Math.ceil(now / 1000) + 60), "x-ratelimit-resource": "graphql" });
    expect(await c.pauseFor(8)).toBe(0);
  });

  it("makes a scan wait for the reset when the quota is low, then finish", async () => {
    const github = new FakeGitHub();
    await github.listen();
    const db = freshSqliteFile();
    const store = await openInventoryStore({ MCP_REVIEW_SQLITE: db.file });
    try {
      github.addRepository({ owner: "acme", repo: "tools", id: 900, headSha: sha(), files: { "src/server.ts": mcpServerSource(1, 40) } });
      const resetAt = Math.ceil(Date.now() / 1000) + 2;
      github.quota = { limit: 5000, remaining: 503, reset: resetAt };
      await store.upsertInstallation({ id: 5, accountLogin: "acme" });
      await store.upsertRepositories(5, [{ id: 900, fullName: "acme/tools", private: false, defaultBranch: "main" }]);
      const probot = new Probot({ appId: 1, privateKey: STACK_PRIVATE_KEY, baseUrl: github.baseUrl, logLevel: "fatal", Octokit: McpReviewOctokit });
      await probot.ready();
      const gate = createRedisRequestGate(redis(), `${prefix}-scan`);
      const pauses: number[] = [];
      const outcome = await scanRepository({ installationId: 5, repositoryId: 900, trigger: "installation" }, {
        github: (id) => probot.auth(id),
        store,
        cache: createMemoryInventoryCache(),
        analyze: analyzeUnitsInline,
        gate,
        log: { info: (o) => pauses.push((o as { waitMs?: number }).waitMs ?? 0), warn: () => {} },
      });
      expect(outcome.status).toBe("completed");
      // The first answers brought the quota under the reserve (500 of 5000): the scan waited for the reset.
      expect(pauses.some((ms) => ms > 0)).toBe(true);
      const afterReset = github.requests.filter((r) => r.at >= resetAt * 1000 && !/access_tokens/.test(r.path));
      expect(afterReset.length).toBeGreaterThan(0);
      expect(github.requests.filter((r) => r.status === 403)).toEqual([]);
      expect((await store.latestScan(900))!.status).toBe("completed");
    } finally {
      await store.close();
      db.drop();
      await github.close();
    }
  }, 20000);
});
