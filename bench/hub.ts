import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SEVERITIES } from "../src/engine/types.js";
import { repositoriesCsv } from "../src/hub/csv.js";
import { EXPORT_LIMIT, HubQueries } from "../src/hub/hub-queries.js";
import { overviewPage } from "../src/hub/overview-page.js";
import { repositoriesPage, tableQuery } from "../src/hub/repositories-page.js";
import { repositoryPage } from "../src/hub/repository-page.js";
import { searchPage } from "../src/hub/search-page.js";
import { whoUsesPage } from "../src/hub/who-uses-page.js";
import { openInventoryStore } from "../src/store/inventory-store.js";
import { openDatabase } from "../src/store/sql.js";
import { ALPHA, SHARED } from "../test/support/hub-fixture.js";

/**
 * How long the hub takes to answer over an organization of HUB_BENCH_REPOS repositories (2,000 by
 * default) on SQLite: each page's queries and its HTML, for a person who reads every repository and
 * for one who reads three quarters of them. Each figure is the median of 7 runs after one warm-up.
 */
const REPOS = Number(process.env.HUB_BENCH_REPOS ?? 2000);
const RUNS = 7;
const DAY = 24 * 3600 * 1000;
const now = Date.parse("2026-11-30T12:00:00Z");

const dir = mkdtempSync(join(tmpdir(), "mcp-review-hub-bench-"));
const env = { MCP_REVIEW_SQLITE: join(dir, "inventory.sqlite") };
let peakRss = process.memoryUsage().rss;
const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));

const seedStart = performance.now();
const store = await openInventoryStore(env);
await store.upsertInstallation({ id: 1, accountLogin: "acme", accountType: "Organization" });
await store.upsertRepositories(1, Array.from({ length: REPOS }, (_, i) => ({ id: 10_000 + i, fullName: `acme/repo-${String(i).padStart(5, "0")}`, private: i % 3 === 0, defaultBranch: "main" })));
for (let i = 0; i < REPOS; i++) {
  // Two scans each, 40 and 10 days ago: a trend with a step, and tool-definition changes in half of them.
  const kind = i % 2 === 0 ? SHARED : ALPHA;
  const scans = kind === SHARED ? SHARED.scans : [ALPHA.scans[0]!, ALPHA.scans[0]!];
  for (const [k, scan] of scans.entries()) {
    const id = await store.startScan(10_000 + i, { commit: scan.commit, trigger: "installation", engineVersion: "bench" });
    await store.completeScan(id, scan.inventory, { commit: scan.commit, at: new Date(now - (k === 0 ? 40 : 10) * DAY - i * 1000) });
  }
  if (i % 250 === 0) sample();
}
await store.close();
const seedMs = performance.now() - seedStart;

const db = await openDatabase(env);
const q = new HubQueries(db);
const everyone = { repositoryIds: Array.from({ length: REPOS }, (_, i) => 10_000 + i) };
const most = { repositoryIds: everyone.repositoryIds.filter((_, i) => i % 2 === 1 || i % 4 === 0) };
const today = new Date(now);

async function median(label: string, fn: () => Promise<number>): Promise<void> {
  await fn();
  const times: number[] = [];
  let size = 0;
  for (let r = 0; r < RUNS; r++) {
    const start = performance.now();
    size = await fn();
    times.push(performance.now() - start);
    sample();
  }
  times.sort((a, b) => a - b);
  console.log(`  ${label.padEnd(44)} ${times[Math.floor(RUNS / 2)]!.toFixed(1).padStart(7)} ms  (${(size / 1024).toFixed(0)} KB of HTML or CSV)`);
}

console.log(`hub over ${REPOS} repositories on SQLite (seeded with ${REPOS * 2} scans in ${(seedMs / 1000).toFixed(1)} s)`);
for (const [who, readable] of [[`reads all ${everyone.repositoryIds.length}`, everyone], [`reads ${most.repositoryIds.length}`, most]] as const) {
  console.log(`a person who ${who}:`);
  await median("overview (totals, posture, 90-day trend)", async () => {
    const page = overviewPage({ totals: await q.totals(readable), posture: await q.posture(readable, today), trend: await q.trend(readable, today), changes: await q.recentToolChanges(readable) });
    return page.value.length;
  });
  await median("repositories, worst first, page 1", async () => {
    const query = tableQuery(new URLSearchParams());
    const { rows, total } = await q.table(readable, query);
    return repositoriesPage({ query, rows, total, choices: await q.filterChoices(readable) }).value.length;
  });
  await median("repositories, rule filter, by name", async () => {
    const query = tableQuery(new URLSearchParams("rule=command-injection&sort=name&dir=asc"));
    const { rows, total } = await q.table(readable, query);
    return repositoriesPage({ query, rows, total, choices: await q.filterChoices(readable) }).value.length;
  });
  await median("CSV export of every repository", async () => repositoriesCsv((await q.table(readable, tableQuery(new URLSearchParams()), { limit: EXPORT_LIMIT })).rows, "https://hub.example").length);
  await median("search ?q=secret", async () => searchPage("secret", await q.search(readable, "secret")).value.length);
  await median("who uses @modelcontextprotocol/sdk", async () => whoUsesPage({ web: "https://github.com", kind: "package", name: "@modelcontextprotocol/sdk", rows: await q.whoUses(readable, "package", "@modelcontextprotocol/sdk") }).value.length);
  await median("a repository's page", async () => {
    const detail = (await q.repositoryDetail(readable, { id: readable.repositoryIds[0]! }))!;
    return repositoryPage({ detail, web: "https://github.com", canRescan: true, csrf: "x" }).value.length;
  });
}
const totals = await q.totals(everyone);
console.log(`open findings: ${SEVERITIES.map((s) => `${totals.open[s]} ${s}`).join(", ")}; peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MB`);
await db.close();
rmSync(dir, { recursive: true, force: true });
