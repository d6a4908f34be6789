import { Probot } from "probot";
import { createMemoryInventoryCache } from "../../src/inventory/inventory-cache.js";
import { scanRepository, type ScanDeps } from "../../src/inventory/scan-repository.js";
import { createBullmqScanQueue, startBullmqScanWorker, type ScanWorker } from "../../src/queue/scan-queue.js";
import { McpReviewOctokit } from "../../src/review/octokit.js";
import { openInventoryStore, type InventoryStore } from "../../src/store/inventory-store.js";
import { freshSqliteFile } from "../support/databases.js";
import type { FakePullRequest } from "../support/fake-github.js";
import { mcpServerSource } from "../support/mcp-corpus.js";
import { deleteKeys, redisUrl, requireRedis, uniquePrefix } from "../support/redis.js";
import { STACK_INSTALLATION, STACK_PRIVATE_KEY, openedPayload, sha, startStack, type ReviewStack } from "../support/review-stack.js";

// The scans' engine runs in its thread, as in the worker: from dist/ (npm test builds it first).
const { createUnitAnalyzerThread } = (await import("../../dist/src/inventory/unit-analyzer.js" as string)) as typeof import("../../src/inventory/unit-analyzer.js");

const REPOSITORIES = 500;
const REVIEWS = 3;

describe("a burst of organization scans and pull-request reviews on one Redis", () => {
  const prefix = uniquePrefix("burst");
  let stack: ReviewStack;
  let store: InventoryStore;
  let drop: () => void;
  let scanWorker: ScanWorker;
  let thread: ReturnType<typeof createUnitAnalyzerThread>;
  const scansDone: number[] = [];

  beforeAll(requireRedis);
  beforeAll(async () => {
    stack = await startStack({ redisUrl: redisUrl(), prefix, workers: 1, concurrency: 2 });
    for (let i = 0; i < REPOSITORIES; i++) {
      stack.github.addRepository({ owner: "burst", repo: `r${i}`, id: 20_000 + i, headSha: sha(), files: { "src/server.ts": mcpServerSource(i, 40), "package.json": JSON.stringify({ dependencies: { "@modelcontextprotocol/sdk": "^1.24.0" } }) } });
    }
    const db = freshSqliteFile();
    drop = db.drop;
    store = await openInventoryStore({ MCP_REVIEW_SQLITE: db.file });
    await store.upsertInstallation({ id: STACK_INSTALLATION, accountLogin: "burst" });
    await store.upsertRepositories(STACK_INSTALLATION, Array.from({ length: REPOSITORIES }, (_, i) => ({ id: 20_000 + i, fullName: `burst/r${i}`, private: false, defaultBranch: "main" })));
    const probot = new Probot({ appId: 1, privateKey: STACK_PRIVATE_KEY, baseUrl: stack.github.baseUrl, logLevel: "fatal", Octokit: McpReviewOctokit });
    await probot.ready();
    thread = createUnitAnalyzerThread();
    const deps: ScanDeps = { github: (id) => probot.auth(id), store, cache: createMemoryInventoryCache(), analyze: thread.analyze };
    scanWorker = startBullmqScanWorker({
      connection: redisUrl(),
      prefix,
      processor: async (job) => {
        const outcome = await scanRepository(job, deps);
        scansDone.push(Date.now());
        return outcome;
      },
      recheck: async () => {},
      yieldMs: 100,
    });
  });

  afterAll(async () => {
    await scanWorker?.close();
    await thread?.close();
    await stack?.close();
    await store?.close();
    drop?.();
    await deleteKeys(prefix);
  });

  it("completes the reviews first, while the 500 repositories wait their turn, then scans them all", async () => {
    const scans = createBullmqScanQueue({ connection: redisUrl(), prefix });
    try {
      expect(await scans.enqueue(Array.from({ length: REPOSITORIES }, (_, i) => ({ installationId: STACK_INSTALLATION, repositoryId: 20_000 + i, trigger: "installation" as const })))).toBe(REPOSITORIES);
      // A second delivery of the same installation adds nothing: each repository has its scan waiting.
      expect(await scans.enqueue([{ installationId: STACK_INSTALLATION, repositoryId: 20_000 + REPOSITORIES - 1, trigger: "installation" }])).toBe(0);
      await stack.github.waitFor(() => scansDone.length >= 3, 60000, "the scans to be under way");

      const pulls: FakePullRequest[] = Array.from({ length: REVIEWS }, (_, n) => ({
        owner: "burst", repo: "app", repositoryId: 19_999, number: n + 1, headSha: sha(), baseSha: sha(), state: "open",
        files: [{ filename: "src/server.ts", status: "added", content: mcpServerSource(n, 80) }],
      }));
      const queuedAt = Date.now();
      const scansBefore = scansDone.length;
      for (const pull of pulls) {
        stack.github.addPullRequest(pull);
        expect(await stack.deliver("pull_request", openedPayload(pull))).toBe(200);
      }
      const reviewed = () => pulls.every((p) => stack.github.checkRunsFor(p.headSha).some((c) => c.status === "completed"));
      await stack.github.waitFor(reviewed, 60000, "the reviews to complete");
      const reviewsDoneAt = Math.max(...pulls.flatMap((p) => stack.github.checkRunsFor(p.headSha).map((c) => c.completedAt!)));
      const scansMeanwhile = scansDone.filter((t) => t <= reviewsDoneAt).length - scansBefore;

      expect(pulls.map((p) => stack.github.checkRunsFor(p.headSha).map((c) => c.conclusion))).toEqual(pulls.map(() => ["failure"]));
      // The reviews never waited for the burst: they finished while a small share of the repositories was scanned.
      expect(scansMeanwhile).toBeLessThan(REPOSITORIES / 10);

      await waitUntil(() => scansDone.length >= REPOSITORIES, 300000);
      const repositories = await store.repositoriesOf(STACK_INSTALLATION);
      expect(repositories.filter((r) => r.lastScanId !== null)).toHaveLength(REPOSITORIES);
      expect((await store.inventoryOf({ repositoryIds: [20_007] }, 20_007))!.servers.map((s) => s.name)).toEqual(["server-7"]);
    } finally {
      await scans.close();
    }
  }, 360000);
});

async function waitUntil(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
