// A PostgreSQL for the store tests: MCP_REVIEW_TEST_DATABASE_URL when it is set (.ci/run starts
// Debian's postgresql and sets it), otherwise a private cluster of Debian's binaries on a free
// loopback port, in a temporary folder, stopped and removed by stopPostgres().
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

function binDir() {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "initdb"))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], "bin") : undefined;
}

function asPostgres(command, args) {
  const root = process.getuid?.() === 0;
  const result = root ? spawnSync("runuser", ["-u", "postgres", "--", command, ...args], { encoding: "utf8" }) : spawnSync(command, args, { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr || result.stdout}`);
  return result.stdout;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function startPostgres() {
  if (process.env.MCP_REVIEW_TEST_DATABASE_URL) return undefined;
  const bin = binDir();
  if (!bin) return undefined; // the store tests then say how to get one
  const dir = mkdtempSync(join(tmpdir(), "mcp-review-pg-"));
  if (process.getuid?.() === 0) chownSync(dir, Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim()), Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim()));
  const port = await freePort();
  asPostgres(join(bin, "initdb"), ["-D", join(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  asPostgres(join(bin, "pg_ctl"), ["-D", join(dir, "data"), "-l", join(dir, "log"), "-w", "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`, "start"]);
  process.env.MCP_REVIEW_TEST_DATABASE_URL = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return { dir, bin };
}

export function stopPostgres(started) {
  if (!started) return;
  try {
    asPostgres(join(started.bin, "pg_ctl"), ["-D", join(started.dir, "data"), "-m", "immediate", "-w", "stop"]);
  } finally {
    rmSync(started.dir, { recursive: true, force: true });
  }
}
