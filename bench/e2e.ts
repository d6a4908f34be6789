import { spawn, type ChildProcess } from "node:child_process";
import { createHmac, generateKeyPairSync, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import net from "node:net";
import { FakeGitHub, type FakePullRequest } from "../test/support/fake-github.js";
import { mcpServerSource, plainSource } from "../test/support/mcp-corpus.js";
import { PrivateRedis } from "../test/support/private-redis.js";

/**
 * Webhook-to-check-completed latency of the real processes: `web` and `worker` (dist/) against a
 * private Redis and a fake GitHub on loopback, with signed webhooks for 50-file pull requests at
 * 1, 10 and 50 concurrent pull requests, with 1 and 4 workers. GitHub's own latency is left out
 * unless BENCH_LATENCY_MS adds some per request.
 *
 *   npm run bench:e2e   (BENCH_LATENCY_MS=0 BENCH_FILES=50 BENCH_LEVELS=1,10,50 BENCH_ROUNDS=3 BENCH_WORKERS=1,4 BENCH_MODIFIED=0|1|findings BENCH_ALL_FLAWED=0)
 */

const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 0);
const FILES = Number(process.env.BENCH_FILES ?? 50);
const LEVELS = (process.env.BENCH_LEVELS ?? "1,10,50").split(",").map(Number);
const WORKER_COUNTS = (process.env.BENCH_WORKERS ?? "1,4").split(",").map(Number);
/** Each level is measured this many times over (bursts one after another), for a steadier p95. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/**
 * BENCH_MODIFIED=1: every file is modified rather than added (a one-line change at its end), so
 * each is read at head and base. BENCH_MODIFIED=findings: the change is on line 14 of each MCP
 * server file, inside its first tool (the command injection of the flawed ones), so findings sit
 * on changed lines and those files' base versions are analyzed as well.
 */
const MODIFIED = process.env.BENCH_MODIFIED === "1" || process.env.BENCH_MODIFIED === "findings";
const CHANGE_FINDINGS = process.env.BENCH_MODIFIED === "findings";
/** Until 2026-11-26 every MCP server of the benchmark's pull requests had flaws (an index slip); this brings that mix back. */
const ALL_FLAWED = process.env.BENCH_ALL_FLAWED === "1";
const SECRET = "bench-secret";
const INSTALLATION = 1;
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });

let pullNumber = 0;

function pullRequest(): FakePullRequest {
  const n = ++pullNumber;
  const files: FakePullRequest["files"] = [];
  for (let i = 0; i < FILES; i++) {
    // One file in five is an MCP server (one in five of those with flaws, or all of them with
    // BENCH_ALL_FLAWED=1); the rest plain code.
    const server = ALL_FLAWED ? n * 100 + i : n * 100 + i / 5;
    const content = i % 5 === 0 ? mcpServerSource(server, 120) : plainSource(n * 100 + i, 80);
    if (MODIFIED) {
      // A one-line change with git's three lines of context: the review reads the head and puts
      // the base version back from the patch.
      const lines = [...content.replace(/\n$/, "").split("\n"), ""];
      const at = CHANGE_FINDINGS && i % 5 === 0 ? 13 : lines.length - 1;
      const [before, after] = [[...lines], [...lines]];
      before[at] += " // v1";
      after[at] += " // v2";
      files.push({ filename: `src/module-${i}.ts`, status: "modified", content: `${after.join("\n")}\n`, baseContent: `${before.join("\n")}\n`, patch: linePatch(before, after, at) });
    } else {
      files.push({ filename: `src/module-${i}.ts`, status: "added", content });
    }
  }
  return { owner: "bench", repo: "servers", repositoryId: 1, number: n, headSha: randomUUID().replace(/-/g, "") + "00000000", baseSha: "b".repeat(40), state: "open", files };
}

/** The unified diff of one changed line (0-based `at`), with git's three lines of context. */
function linePatch(before: string[], after: string[], at: number): string {
  const from = Math.max(0, at - 3);
  const to = Math.min(after.length, at + 4);
  const body = [...after.slice(from, at).map((l) => ` ${l}`), `-${before[at]}`, `+${after[at]}`, ...after.slice(at + 1, to).map((l) => ` ${l}`)];
  return `@@ -${from + 1},${to - from} +${from + 1},${to - from} @@\n${body.join("\n")}`;
}

function payload(pull: FakePullRequest) {
  return {
    action: "opened",
    number: pull.number,
    pull_request: { number: pull.number, state: "open", draft: false, head: { sha: pull.headSha, ref: "f" }, base: { sha: pull.baseSha, ref: "main" } },
    repository: { id: 1, name: pull.repo, full_name: `${pull.owner}/${pull.repo}`, owner: { login: pull.owner } },
    installation: { id: INSTALLATION },
    sender: { login: "bench", type: "User" },
  };
}

async function send(url: string, body: string): Promise<number> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "pull_request",
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`,
    },
    body,
  });
  await response.arrayBuffer();
  return response.status;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); its threads included. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

/** Peak resident memory of a process, from /proc (Linux). */
function peakRssMb(pid: number): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on port ${port}`);
}

async function run(workerCount: number): Promise<void> {
  const redis = new PrivateRedis();
  await redis.start();
  const github = new FakeGitHub({ latencyMs: LATENCY_MS });
  await github.listen();
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_ENV: "production",
    APP_ID: "1",
    PRIVATE_KEY: privateKey,
    WEBHOOK_SECRET: SECRET,
    REDIS_URL: redis.url,
    GHE_HOST: github.host,
    GHE_PROTOCOL: "http",
    HOST: "127.0.0.1",
    PORT: String(port),
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "warn",
    // The processes' own tuning, when set: analysis threads per worker, jobs per worker.
    ...(process.env.ANALYSIS_THREADS ? { ANALYSIS_THREADS: process.env.ANALYSIS_THREADS } : {}),
    ...(process.env.WORKER_CONCURRENCY ? { WORKER_CONCURRENCY: process.env.WORKER_CONCURRENCY } : {}),
  } as NodeJS.ProcessEnv;
  // e.g. BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the processes under load
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const children: ChildProcess[] = [spawn(process.execPath, [...nodeArgs, "dist/src/web.js"], { env, stdio: "inherit" })];
  const workers = Array.from({ length: workerCount }, () => spawn(process.execPath, [...nodeArgs, "dist/src/worker.js"], { env, stdio: "inherit" }));
  children.push(...workers);
  const url = `http://127.0.0.1:${port}/api/github/webhooks`;
  try {
    await waitForPort(port);
    const measure = async (concurrent: number) => {
      const pulls = Array.from({ length: concurrent }, pullRequest);
      for (const p of pulls) github.addPullRequest(p);
      const sentAt = new Map<string, number>();
      await Promise.all(
        pulls.map(async (p) => {
          const body = JSON.stringify(payload(p));
          sentAt.set(p.headSha, Date.now());
          const status = await send(url, body);
          if (status >= 300) throw new Error(`webhook answered ${status}`);
        }),
      );
      const done = () => pulls.every((p) => github.checkRunsFor(p.headSha).some((c) => c.completedAt !== undefined));
      await github.waitFor(done, 300_000, `${concurrent} reviews`);
      return pulls.map((p) => github.checkRunsFor(p.headSha).find((c) => c.completedAt)!.completedAt! - sentAt.get(p.headSha)!).sort((a, b) => a - b);
    };
    await measure(1); // warm-up: JIT, tokens, connections
    if (process.env.BENCH_TRACE) {
      const from = github.requests.length;
      const t0 = Date.now();
      await measure(1);
      const trace = github.requests.slice(from).map((r) => `${String(r.at - t0).padStart(5)} ms  ${r.method} ${r.path.replace(/^\/repos\/[^/]+\/[^/]+/, "")}`);
      console.log(trace.filter((line, i) => !line.includes("/contents/src") || i % 10 === 0).join("\n"));
    }
    for (const level of LEVELS) {
      const before = github.requests.length;
      const cpuBefore = [process.pid, ...children.map((c) => c.pid!)].map(cpuSeconds);
      // A burst of `level` pull requests, ROUNDS times over: p95 of 10 alone is nearly its maximum.
      const latencies: number[] = [];
      for (let round = 0; round < ROUNDS; round++) latencies.push(...(await measure(level)));
      latencies.sort((a, b) => a - b);
      const [bench, web, ...workerCpu] = [process.pid, ...children.map((c) => c.pid!)].map((pid, i) => cpuSeconds(pid) - cpuBefore[i]!);
      const reviews = level * ROUNDS;
      const perPull = Math.round((github.requests.length - before) / reviews);
      console.log(
        `  ${String(workerCount).padStart(1)} worker${workerCount === 1 ? " " : "s"}  ${String(level).padStart(2)} concurrent PRs of ${FILES} files (${ROUNDS} rounds):  p50 ${percentile(latencies, 50)} ms  p95 ${percentile(latencies, 95)} ms  max ${latencies.at(-1)} ms`,
      );
      const ms = (seconds: number) => `${Math.round((seconds * 1000) / reviews)} ms`;
      const workerTotal = workerCpu.reduce((a, b) => a + b, 0);
      console.log(`      per PR: ${perPull} GitHub requests; CPU ${ms(workerTotal)} in workers, ${ms(web!)} in web, ${ms(bench!)} in the fake GitHub and this script`);
    }
    const peaks = workers.map((w) => peakRssMb(w.pid!)).filter((v): v is number => v !== undefined);
    console.log(`  peak memory per worker: ${peaks.map((mb) => `${mb} MB`).join(", ")}; web: ${peakRssMb(children[0]!.pid!)} MB`);
  } finally {
    for (const child of children) child.kill("SIGTERM");
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once("exit", r)))));
    await github.close();
    await redis.stop();
  }
}

const shape = MODIFIED ? `modified files, one line changed ${CHANGE_FINDINGS ? "in each MCP server's first tool" : "at each end"}` : "added files";
console.log(`webhook → check run completed (fake GitHub latency ${LATENCY_MS} ms per request; ${shape}; ${ALL_FLAWED ? "every" : "one in five"} MCP server flawed)`);
for (const count of WORKER_COUNTS) await run(count);
