// Throughput of the Python analysis beside the TypeScript one: files/s, kLOC/s, peak memory.
// Usage: npm run bench:python [-- DIR...]
//
// 1. A synthetic corpus of Python MCP servers (FastMCP tools, resources, prompts, low-level
//    call_tool handlers, helpers in relatively imported modules, sinks with and without
//    sanitizers) and the same servers written in TypeScript, generated in memory, each analyzed
//    in a fresh process so that peak memory belongs to one language only. No large tree of real
//    Python MCP servers is available offline (PyPI is not reachable here), hence the synthetic one.
// 2. Real Python trees: the DIRs given, or the system's Python standard library when present —
//    not MCP servers, so it measures parsing and the pre-filter on ordinary Python code.
// Runs the built engine (dist/), in batches of BATCH files per analyze() call.
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const BATCH = Number(process.env.BENCH_BATCH ?? 1000);
const PACKAGES = Number(process.env.BENCH_PACKAGES ?? 300);
const MAX_BYTES = 512 * 1024;
const self = fileURLToPath(import.meta.url);

/** One Python MCP package: a server module and a helpers module it imports relatively. */
function pythonPackage(i) {
  const server = `"""Synthetic MCP server ${i}."""
import os
import shlex
import sqlite3
import subprocess
from pathlib import Path
from typing import Literal

import httpx
from mcp.server.fastmcp import FastMCP

from .helpers_${i} import build_command, read_under_root

mcp = FastMCP("server-${i}")
ROOT = Path("/srv/data-${i}").resolve()
ALLOWED = {"build", "test", "lint"}
API = "https://api.example.com"


@mcp.tool()
def git_log_${i}(branch: str, count: int = 10) -> str:
    """Show the log of a branch."""
    cmd = f"git log -n {count} --oneline {branch}"
    return subprocess.check_output(cmd, shell=True, text=True)


@mcp.tool()
def run_script_${i}(script: str) -> str:
    """Run an allowed npm script."""
    if script not in ALLOWED:
        raise ValueError(f"unknown script {script}")
    return subprocess.check_output(f"npm run {script}", shell=True, text=True)


@mcp.tool()
def grep_${i}(pattern: str) -> str:
    """Search with quoting."""
    return subprocess.check_output("grep -rn " + shlex.quote(pattern) + " .", shell=True, text=True)


@mcp.tool()
def make_${i}(target: str) -> str:
    """Run make through a helper."""
    return subprocess.check_output(build_command(target), shell=True, text=True)


@mcp.tool()
def read_${i}(path: str) -> str:
    """Read a file under the root."""
    return read_under_root(ROOT, path)


@mcp.tool()
def read_unsafe_${i}(path: str) -> str:
    """Read any file."""
    return (ROOT / path).read_text()


@mcp.tool()
def find_user_${i}(name: str) -> list:
    """Find a user."""
    conn = sqlite3.connect("app.db")
    return conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchall()


@mcp.tool()
def find_order_${i}(order_id: str) -> list:
    """Find an order."""
    conn = sqlite3.connect("app.db")
    return conn.execute(f"SELECT * FROM orders WHERE id = '{order_id}'").fetchall()


@mcp.tool()
async def forecast_${i}(latitude: float, longitude: float) -> str:
    """Weather forecast."""
    async with httpx.AsyncClient() as client:
        return (await client.get(f"{API}/points/{latitude},{longitude}")).text


@mcp.tool()
async def fetch_${i}(url: str) -> str:
    """Fetch a page."""
    async with httpx.AsyncClient() as client:
        return (await client.get(url)).text


@mcp.tool()
def fmt_${i}(style: Literal["black", "ruff"]) -> str:
    """Format the code."""
    return subprocess.check_output(f"{style} .", shell=True, text=True)


@mcp.resource("notes://{name}")
def note_${i}(name: str) -> str:
    """A note."""
    return f"note {name}"


@mcp.prompt()
def review_${i}(code: str) -> str:
    """Review code."""
    return f"Please review:\\n{code}"


if __name__ == "__main__":
    mcp.run(transport=os.environ.get("TRANSPORT", "stdio"))
`;
  const helpers = `"""Helpers of server ${i}."""
from pathlib import Path


def build_command(target: str) -> str:
    return "make " + target


def read_under_root(root: Path, path: str) -> str:
    target = (root / path).resolve()
    if not target.is_relative_to(root):
        raise PermissionError(path)
    return target.read_text()
`;
  return [
    { path: `pkg${i}/server_${i}.py`, content: server },
    { path: `pkg${i}/helpers_${i}.py`, content: helpers },
    { path: `pkg${i}/__init__.py`, content: "" },
  ];
}

/** The same package in TypeScript, for the comparison. */
function typescriptPackage(i) {
  const server = `import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { exec, execFile, execSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { z } from "zod";
import { buildCommand, readUnderRoot } from "./helpers-${i}.js";

const server = new McpServer({ name: "server-${i}", version: "1.0.0" });
const ROOT = path.resolve("/srv/data-${i}");
const ALLOWED = new Set(["build", "test", "lint"]);
const API = "https://api.example.com";
const db = new Database("app.db");

server.tool("git_log_${i}", { branch: z.string(), count: z.number() }, async ({ branch, count }) => {
  const cmd = \`git log -n \${count} --oneline \${branch}\`;
  return { content: [{ type: "text", text: execSync(cmd).toString() }] };
});

server.tool("run_script_${i}", { script: z.string() }, async ({ script }) => {
  if (!ALLOWED.has(script)) throw new Error(\`unknown script \${script}\`);
  return { content: [{ type: "text", text: execSync(\`npm run \${script}\`).toString() }] };
});

server.tool("grep_${i}", { pattern: z.string() }, async ({ pattern }) => {
  return new Promise((resolve) => execFile("grep", ["-rn", "--", pattern, "."], (_e, out) => resolve({ content: [{ type: "text", text: out }] })));
});

server.tool("make_${i}", { target: z.string() }, async ({ target }) => {
  exec(buildCommand(target));
  return { content: [] };
});

server.tool("read_${i}", { file: z.string() }, async ({ file }) => ({ content: [{ type: "text", text: readUnderRoot(ROOT, file) }] }));

server.tool("read_unsafe_${i}", { file: z.string() }, async ({ file }) => ({ content: [{ type: "text", text: readFileSync(path.join(ROOT, file), "utf8") }] }));

server.tool("find_user_${i}", { name: z.string() }, async ({ name }) => ({ content: [{ type: "text", text: JSON.stringify(db.prepare("SELECT * FROM users WHERE name = ?").all(name)) }] }));

server.tool("find_order_${i}", { orderId: z.string() }, async ({ orderId }) => ({ content: [{ type: "text", text: JSON.stringify(db.prepare(\`SELECT * FROM orders WHERE id = '\${orderId}'\`).all()) }] }));

server.tool("forecast_${i}", { latitude: z.number(), longitude: z.number() }, async ({ latitude, longitude }) => {
  const response = await fetch(\`\${API}/points/\${latitude},\${longitude}\`);
  return { content: [{ type: "text", text: await response.text() }] };
});

server.tool("fetch_${i}", { url: z.string() }, async ({ url }) => {
  const response = await fetch(url);
  return { content: [{ type: "text", text: await response.text() }] };
});

server.tool("fmt_${i}", { style: z.enum(["prettier", "biome"]) }, async ({ style }) => ({ content: [{ type: "text", text: execSync(\`npx \${style} .\`).toString() }] }));
`;
  const helpers = `import { readFileSync, realpathSync } from "node:fs";
import path from "node:path";

export function buildCommand(target: string): string {
  return "make " + target;
}

export function readUnderRoot(root: string, file: string): string {
  const full = realpathSync(path.resolve(root, file));
  if (path.relative(root, full).startsWith("..")) throw new Error("outside root");
  return readFileSync(full, "utf8");
}
`;
  return [
    { path: `pkg${i}/server-${i}.ts`, content: server },
    { path: `pkg${i}/helpers-${i}.ts`, content: helpers },
  ];
}

function collect(root) {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === ".git" || entry.name === "__pycache__") continue;
      const absolute = join(dir, entry.name);
      if (entry.isDirectory()) walk(absolute);
      else if (entry.isFile() && entry.name.endsWith(".py") && lstatSync(absolute).size <= MAX_BYTES) {
        files.push({ path: relative(root, absolute).split(sep).join("/"), content: readFileSync(absolute, "utf8") });
      }
    }
  };
  walk(root);
  return files;
}

/** Analyzes a corpus in this process and prints one JSON line of measurements. */
async function measure(kind, target) {
  const { analyze } = await import("../dist/src/engine/index.js");
  const files =
    kind === "python-synthetic" ? Array.from({ length: PACKAGES }, (_, i) => pythonPackage(i)).flat()
    : kind === "typescript-synthetic" ? Array.from({ length: PACKAGES }, (_, i) => typescriptPackage(i)).flat()
    : collect(target);
  const lines = files.reduce((n, f) => n + f.content.split("\n").length, 0);
  const startRss = process.memoryUsage().rss;
  let peakRss = startRss;
  let findings = 0;
  let analyzed = 0;
  let skipped = 0;
  const started = performance.now();
  for (let i = 0; i < files.length; i += BATCH) {
    // Keep a package's files in one batch: relative imports are followed within one analyze() call.
    const result = analyze(files.slice(i, i + BATCH));
    findings += result.findings.length;
    analyzed += result.stats.filesAnalyzed;
    skipped += result.skipped.length;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ kind, target, files: files.length, analyzed, skipped, lines, seconds, findings, startRss, peakRss, maxRss: process.resourceUsage().maxRSS * 1024 }));
}

function run(kind, target = "") {
  const out = execFileSync(process.execPath, [self, "--measure", kind, target], { encoding: "utf8", maxBuffer: 1 << 26 });
  return JSON.parse(out.trim().split("\n").pop());
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

function print(label, r) {
  console.log(`${label}`);
  console.log(`  files      ${r.files} (${r.analyzed} analyzed, ${r.skipped} skipped), ${(r.lines / 1000).toFixed(1)} kLOC, batches of ${BATCH}`);
  console.log(`  time       ${r.seconds.toFixed(2)} s`);
  console.log(`  throughput ${(r.files / r.seconds).toFixed(0)} files/s, ${(r.lines / 1000 / r.seconds).toFixed(1)} kLOC/s`);
  console.log(`  memory     peak rss ${mb(r.peakRss)} (process high-water mark ${mb(r.maxRss)}, ${mb(r.startRss)} before analysis)`);
  console.log(`  findings   ${r.findings}`);
}

if (process.argv[2] === "--measure") {
  await measure(process.argv[3], process.argv[4]);
} else {
  const py = run("python-synthetic");
  const ts = run("typescript-synthetic");
  print(`Python: ${PACKAGES} synthetic MCP server packages (server, helpers, __init__)`, py);
  print(`TypeScript: the same ${PACKAGES} servers written in TypeScript`, ts);
  console.log(`  Python/TypeScript: ${(py.lines / py.seconds / (ts.lines / ts.seconds)).toFixed(2)}x the kLOC/s`);
  const dirs = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["/usr/lib/python3.12", "/usr/lib/python3.11", "/usr/lib/python3.10"].filter(existsSync).slice(0, 1);
  for (const dir of dirs) print(`Python: ${dir} (real code, mostly not MCP servers)`, run("python-tree", dir));
}
