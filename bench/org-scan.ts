import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { isAnalyzable } from "../src/engine/language.js";
import { createBullmqScanQueue } from "../src/queue/scan-queue.js";
import { openInventoryStore, type InventoryStore } from "../src/store/inventory-store.js";
import { FakeGitHub, type FakeRepository } from "../test/support/fake-github.js";
import { mcpServerSource, plainSource } from "../test/support/mcp-corpus.js";
import { PrivateRedis } from "../test/support/private-redis.js";

/**
 * Organization-scan throughput of the real `worker` process (dist/) against a fake GitHub on
 * loopback, a private Redis and a SQLite store: every repository of the MCP corpus (BENCH_CORPUS,
 * default ../corpus-checkouts beside the project, where
 * `python3 ../shared/corpus/score.py --keep ../corpus-checkouts` leaves them; synthetic repositories where it is missing) is installed at once,
 * and the time until each has a completed scan gives repositories and kLOC a minute. Then the
 * largest corpus repository alone, in a fresh worker, gives the peak memory of a worker scanning
 * it, against the 500 MB budget; and its rescan with one file changed shows the reuse by blob SHA.
 *
 *   npm run bench   (or: npm run build && tsc -p tsconfig.bench.json && node dist/bench/org-scan.js)
 */

const CORPUS = process.env.BENCH_CORPUS ?? join(process.cwd(), "..", "corpus-checkouts");
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 0);
const BUDGET_MB = 500;
const INSTALLATION = 1;
const SKIP = new Set([".git", "node_modules", "dist", "build", ".venv", "venv", "__pycache__"]);
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });

interface BenchRepo extends FakeRepository {
  lines: number;
}

function readCheckout(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (SKIP.has(name)) continue;
      const full = join(dir, name);
      const stat = statSync(full, { throwIfNoEntry: false });
      if (!stat) continue;
      if (stat.isDirectory()) walk(full);
      else if (stat.isFile()) {
        const path = relative(root, full).split(sep).join("/");
        // Every path is listed in the tree; only what the engine reads needs its text.
        files[path] = isAnalyzable(path) && stat.size < 4 * 1024 * 1024 ? readFileSync(full, "utf8") : "";
      }
    }
  };
  walk(root);
  return files;
}

function corpusRepositories(): BenchRepo[] {
  const out: BenchRepo[] = [];
  if (existsSync(CORPUS)) {
    for (const entry of readdirSync(CORPUS).sort()) {
      const base = join(CORPUS, entry);
      // Advisory cases hold a vulnerable and a fixed checkout: both are repositories of their own.
      const roots = ["vuln", "fixed"].filter((v) => existsSync(join(base, v)));
      for (const root of roots.length > 0 ? roots.map((r) => join(base, r)) : [base]) {
        const files = readCheckout(root);
        out.push(repo(out.length, `${entry}${root === base ? "" : `-${root.split(sep).pop()}`}`.toLowerCase(), files));
      }
    }
  }
  if (out.length === 0) {
    for (let i = 0; i < 40; i++) {
      const files: Record<string, string> = { "package.json": JSON.stringify({ dependencies: { "@modelcontextprotocol/sdk": "^1.24.0" } }) };
      for (let f = 0; f < 20; f++) files[`src/m${f}.ts`] = f % 5 === 0 ? mcpServerSource(i * 20 + f, 120) : plainSource(i * 20 + f, 80);
      out.push(repo(i, `synthetic-${i}`, files));
    }
  }
  return out;
}

function repo(index: number, name: string, files: Record<string, string>): BenchRepo {
  const lines = Object.entries(files).filter(([p]) => isAnalyzable(p)).reduce((n, [, t]) => n + (t ? t.split("\n").length : 0), 0);
  return { owner: "bench", repo: name, id: 100_000 + index, headSha: randomUUID().replace(/-/g, "") + "00000000", files, lines };
}

function peakRssMb(pid: number): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

function startWorker(env: Record<string, string | undefined>): ChildProcess {
  return spawn(process.execPath, ["dist/src/worker.js"], { env: env as NodeJS.ProcessEnv, stdio: ["ignore", "inherit", "inherit"] });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

async function waitForScans(store: InventoryStore, ids: readonly number[], since: Map<number, number | null>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const repos = await store.repositories({ repositoryIds: ids });
    const done = repos.filter((r) => r.lastScanId !== null && r.lastScanId !== since.get(r.id)).length;
    const failed = (await Promise.all(ids.map((id) => store.latestScan(id)))).filter((s) => s?.status === "failed");
    if (done + failed.length >= ids.length) {
      for (const f of failed) console.log(`  scan of repository ${f!.repositoryId} failed: ${f!.error}`);
      return;
    }
    if (Date.now() > end) throw new Error(`only ${done} of ${ids.length} scans completed within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<void> {
  const repositories = corpusRepositories();
  const redis = new PrivateRedis();
  await redis.start();
  const github = new FakeGitHub({ latencyMs: LATENCY_MS });
  await github.listen();
  for (const r of repositories) github.addRepository(r);
  const dir = mkdtempSync(join(tmpdir(), "mcp-review-bench-"));
  const sqlite = join(dir, "inventory.sqlite");
  const store = await openInventoryStore({ MCP_REVIEW_SQLITE: sqlite });
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    NODE_ENV: "production",
    APP_ID: "1",
    PRIVATE_KEY: privateKey,
    REDIS_URL: redis.url,
    GHE_HOST: github.host,
    GHE_PROTOCOL: "http",
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "warn",
    MCP_REVIEW_SQLITE: sqlite,
  };
  const scans = createBullmqScanQueue({ connection: redis.url });
  const children: ChildProcess[] = [];
  try {
    await store.upsertInstallation({ id: INSTALLATION, accountLogin: "bench" });
    const record = (r: BenchRepo) => ({ id: r.id, fullName: `${r.owner}/${r.repo}`, private: false, defaultBranch: "main" });
    const ids = repositories.map((r) => r.id);
    const kloc = repositories.reduce((n, r) => n + r.lines, 0) / 1000;
    console.log(`organization scan: ${repositories.length} repositories (${kloc.toFixed(1)} kLOC of sources, configs and manifests) from ${existsSync(CORPUS) ? CORPUS : "synthetic sources"}; fake GitHub latency ${LATENCY_MS} ms per request`);
    const lastScans = async (list: readonly number[]) => new Map((await store.repositories({ repositoryIds: list })).map((r) => [r.id, r.lastScanId]));

    // Peak memory: a fresh worker, nothing cached, scanning the largest repository alone.
    const largest = [...repositories].sort((a, b) => b.lines - a.lines)[0]!;
    // Only the largest repository is known at first: a worker's first start queues the engine pass
    // (every known repository asked again), which must not mix the others into this measurement.
    await store.upsertRepositories(INSTALLATION, [record(largest)]);
    const first = startWorker(env);
    children.push(first);
    let since = await lastScans([largest.id]);
    const t0 = Date.now();
    await scans.enqueue([{ installationId: INSTALLATION, repositoryId: largest.id, trigger: "installation" }]);
    await waitForScans(store, [largest.id], since, 10 * 60_000);
    const scan = (await store.latestScan(largest.id))!;
    const peak = peakRssMb(first.pid!);
    console.log(`  largest repository ${largest.repo} (${(largest.lines / 1000).toFixed(1)} kLOC, ${Object.keys(largest.files).length} files listed): first scan ${((Date.now() - t0) / 1000).toFixed(1)} s by a fresh worker, ${scan.stats?.filesRead ?? "?"} files read; worker peak ${peak} MB of the ${BUDGET_MB} MB budget: ${peak !== undefined && peak < BUDGET_MB ? "within" : "OVER"}`);
    const changed = Object.keys(largest.files).filter((p) => /\.(?:ts|py)$/.test(p) && largest.files[p]).sort()[0];
    if (changed) {
      largest.files[changed] = `${largest.files[changed]}\n# changed\n`;
      largest.headSha = randomUUID().replace(/-/g, "") + "00000000";
      since = await lastScans([largest.id]);
      const t1 = Date.now();
      await scans.enqueue([{ installationId: INSTALLATION, repositoryId: largest.id, trigger: "push" }]);
      await waitForScans(store, [largest.id], since, 10 * 60_000);
      const rescan = (await store.latestScan(largest.id))!;
      console.log(`  its rescan after a push changing ${changed}: ${((Date.now() - t1) / 1000).toFixed(1)} s, ${rescan.stats?.filesRead ?? "?"} files read, ${rescan.stats?.filesReused ?? "?"} reused by blob SHA`);
    }
    await stop(first);

    // Throughput: nothing cached, one worker takes the whole installation.
    await store.upsertRepositories(INSTALLATION, repositories.map(record));
    await redis.deleteKeys("bull:inventory-cache:*");
    const worker = startWorker(env);
    children.push(worker);
    since = await lastScans(ids);
    const started = Date.now();
    const requestsAtStart = github.requests.length;
    await scans.enqueue(ids.map((id) => ({ installationId: INSTALLATION, repositoryId: id, trigger: "installation" as const, force: true })));
    await waitForScans(store, ids, since, 30 * 60_000);
    const minutes = (Date.now() - started) / 60_000;
    const analyzed = (await Promise.all(ids.map((id) => store.latestScan(id)))).reduce((n, s) => n + (s?.coverage?.linesAnalyzed ?? 0), 0) / 1000;
    console.log(`  every repository, nothing cached: ${(minutes * 60).toFixed(1)} s, ${(repositories.length / minutes).toFixed(0)} repositories/min, ${(analyzed / minutes).toFixed(0)} kLOC/min analyzed (${analyzed.toFixed(1)} kLOC), ${github.requests.length - requestsAtStart} GitHub requests; worker peak ${peakRssMb(worker.pid!)} MB`);

    // The daily pass when nothing moved: one conditional request per repository, answered 304.
    const requestsBefore = github.requests.length;
    const passStart = Date.now();
    await scans.enqueue(ids.map((id) => ({ installationId: INSTALLATION, repositoryId: id, trigger: "daily" as const })));
    const answered304 = () => github.requests.slice(requestsBefore).filter((r) => r.status === 304).length;
    await github.waitFor(() => answered304() >= ids.length, 5 * 60_000, "the daily pass");
    console.log(`  daily pass, nothing changed: ${((Date.now() - passStart) / 1000).toFixed(1)} s, ${github.requests.length - requestsBefore} requests (${answered304()} answered 304, free of quota), no file read`);
    await stop(worker);
    if (peak !== undefined && peak >= BUDGET_MB) process.exitCode = 1;
  } finally {
    for (const child of children) await stop(child);
    await scans.close();
    await store.close();
    await github.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
