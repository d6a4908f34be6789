import { Redis } from "ioredis";
import { Probot } from "probot";
import { createRedisInventoryCache } from "../../src/inventory/inventory-cache.js";
import { scanRepository, type ScanDeps } from "../../src/inventory/scan-repository.js";
import { analyzeUnitsInline } from "../../src/inventory/unit-analyzer.js";
import { McpReviewOctokit } from "../../src/review/octokit.js";
import { openInventoryStore, type InventoryStore } from "../../src/store/inventory-store.js";
import { freshSqliteFile } from "../support/databases.js";
import { FakeGitHub } from "../support/fake-github.js";
import { mcpServerSource, plainSource } from "../support/mcp-corpus.js";
import { deleteKeys, redisUrl, requireRedis, uniquePrefix } from "../support/redis.js";
import { STACK_PRIVATE_KEY, sha } from "../support/review-stack.js";

describe("the organization scans' result cache in Redis", () => {
  const prefix = uniquePrefix("invcache");
  const clients: Redis[] = [];
  let github: FakeGitHub;
  let store: InventoryStore;
  let drop: () => void;
  let probot: Probot;

  beforeAll(requireRedis);
  beforeAll(async () => {
    github = new FakeGitHub();
    await github.listen();
    const files: Record<string, string> = { "src/server.ts": mcpServerSource(1, 60), "package.json": JSON.stringify({ dependencies: { "@modelcontextprotocol/sdk": "^1.24.0" } }) };
    for (let i = 0; i < 12; i++) files[`lib/m${i}.ts`] = plainSource(i, 40);
    github.addRepository({ owner: "acme", repo: "tools", id: 910, headSha: sha(), files });
    const db = freshSqliteFile();
    drop = db.drop;
    store = await openInventoryStore({ MCP_REVIEW_SQLITE: db.file });
    await store.upsertInstallation({ id: 6, accountLogin: "acme" });
    await store.upsertRepositories(6, [{ id: 910, fullName: "acme/tools", private: false, defaultBranch: "main" }]);
    probot = new Probot({ appId: 1, privateKey: STACK_PRIVATE_KEY, baseUrl: github.baseUrl, logLevel: "fatal", Octokit: McpReviewOctokit });
    await probot.ready();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit()));
    await deleteKeys(prefix);
    await store?.close();
    drop?.();
    await github?.close();
  });

  /** A worker process's scan: its own Redis connection and cache over the shared keys. */
  const scanAsWorker = async (keys: string, maxBytes?: number) => {
    const client = new Redis(redisUrl());
    clients.push(client);
    const deps: ScanDeps = { github: (id) => probot.auth(id), store, cache: createRedisInventoryCache(client, keys, maxBytes ? { maxBytes } : {}), analyze: analyzeUnitsInline };
    const graphqlBefore = github.requests.filter((r) => r.path === "/graphql").length;
    const outcome = await scanRepository({ installationId: 6, repositoryId: 910, trigger: "manual", force: true }, deps);
    if (outcome.status !== "completed") throw new Error(`scan ${outcome.status}`);
    return { stats: outcome.stats, graphql: github.requests.filter((r) => r.path === "/graphql").length - graphqlBefore };
  };

  it("serves a second worker what the first computed: nothing is read or analyzed again", async () => {
    const first = await scanAsWorker(`${prefix}-shared`);
    expect(first.stats).toMatchObject({ filesRead: 14, filesReused: 0 });
    expect(first.graphql).toBeGreaterThan(0);
    const second = await scanAsWorker(`${prefix}-shared`);
    expect(second.stats).toMatchObject({ filesRead: 0, filesReused: 14 });
    expect(second.graphql).toBe(0);
    expect((await store.inventoryOf({ repositoryIds: [910] }, 910))!.servers.map((s) => s.name)).toEqual(["server-1"]);
  });

  it("stays within its byte budget, the least recently used entries going first", async () => {
    await scanAsWorker(`${prefix}-small`, 4 * 1024);
    const client = new Redis(redisUrl());
    clients.push(client);
    expect(Number(await client.get(`${prefix}-small:inventory-cache:bytes`))).toBeLessThanOrEqual(4 * 1024);
    // Most of what the first scan computed did not fit: the next one computes it again.
    const again = await scanAsWorker(`${prefix}-small`, 4 * 1024);
    expect(again.stats.filesRead).toBeGreaterThan(0);
  });
});
