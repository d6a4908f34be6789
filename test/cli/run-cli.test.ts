import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { runCli } from "../../src/cli/run-cli.js";
import { bigPackageLock } from "../support/lockfiles.js";
import { listRules } from "../../src/engine/index.js";

const VULNERABLE_SERVER = `import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import express from "express";
import { execSync } from "node:child_process";
import { z } from "zod";

const server = new McpServer({ name: "ops", version: "1.0.0" });
server.tool("run", { cmd: z.string() }, async ({ cmd }) => ({ content: [{ type: "text", text: execSync(cmd).toString() }] }));

const app = express();
app.listen(3000);
`;

/** A handler in one file whose input reaches a shell two calls away, in another file. */
const TRACED_SERVER = `import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { logOf } from "./git.js";

const server = new McpServer({ name: "git", version: "1.0.0" });

server.tool("git_log", { branch: z.string() }, async ({ branch }) => ({
  content: [{ type: "text", text: logOf(branch) }],
}));
`;

const TRACED_HELPER = `import { execSync } from "node:child_process";

function runGit(command: string): string {
  return execSync(command, { encoding: "utf8" });
}

export function logOf(ref: string): string {
  return runGit(\`log \${ref}\`);
}
`;

const CLEAN_SERVER = `import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { execFileSync } from "node:child_process";
import { z } from "zod";

const server = new McpServer({ name: "ops", version: "1.0.0" });
server.tool("status", "Show git status", { dir: z.string() }, async ({ dir }) => ({
  content: [{ type: "text", text: execFileSync("git", ["status"], { cwd: dir }).toString() }],
}));
`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "mcp-review-cli-"));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function write(path: string, content: string | Buffer): void {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}

async function run(...argv: string[]): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    cwd: root,
    env: {},
  });
  return { code, stdout, stderr };
}

describe("mcp-review scan", () => {
  it("exits 1 with findings in text, naming location, severity, rule and CWE", async () => {
    write("src/server.ts", VULNERABLE_SERVER);
    const { code, stdout, stderr } = await run("scan");
    expect(stderr).toBe("");
    expect(code).toBe(1);
    expect(stdout).toMatch(/^src\/server\.ts:7:\d+  CRITICAL  command-injection  \(CWE-78\)$/m);
    expect(stdout).toMatch(/^src\/server\.ts:10:1  HIGH  bind-all-interfaces  \(CWE-1327\)$/m);
    expect(stdout).toContain('app.listen(3000, "127.0.0.1")');
    expect(stdout).toMatch(/2 findings \(1 critical, 1 high\) in 1 file scanned\.\n$/);
  });

  it("exits 0 on a clean server and says so", async () => {
    write("server.ts", CLEAN_SERVER);
    const { code, stdout } = await run("scan", ".");
    expect(code).toBe(0);
    expect(stdout).toBe("No findings: 1 file scanned.\n");
  });

  it("prints findings and stats as JSON", async () => {
    write("src/server.ts", VULNERABLE_SERVER);
    write("src/clean.ts", CLEAN_SERVER);
    const { code, stdout } = await run("scan", ".", "--format", "json");
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(Object.keys(report)).toEqual(["findings", "stats"]);
    expect(report.findings.map((f: { ruleId: string }) => f.ruleId)).toEqual(["command-injection", "bind-all-interfaces"]);
    const keys = ["ruleId", "title", "severity", "confidence", "cwe", "path", "line", "endLine", "column", "message", "remediation", "fingerprint", "context"];
    // A flow of tool input has a trace; a listening address does not.
    expect(Object.keys(report.findings[0]).sort()).toEqual([...keys, "trace"].sort());
    expect(Object.keys(report.findings[1]).sort()).toEqual(keys.sort());
    expect(report.stats).toMatchObject({
      filesScanned: 2,
      filesSkipped: 0,
      skipped: {},
      findingsBySeverity: { critical: 1, high: 1, medium: 0, low: 0, info: 0 },
    });
    expect(typeof report.stats.durationMs).toBe("number");
  });

  it("writes SARIF 2.1.0 that code scanning accepts, to --output", async () => {
    write("src/server.ts", VULNERABLE_SERVER);
    const { code, stdout } = await run("scan", "--format=sarif", "--output", "report.sarif");
    expect(code).toBe(1);
    expect(stdout).toBe("");
    const sarif = JSON.parse(readFileSync(join(root, "report.sarif"), "utf8"));
    expect(sarif.$schema).toBe("https://json.schemastore.org/sarif-2.1.0.json");
    expect(sarif.version).toBe("2.1.0");
    const [runs] = sarif.runs;
    const driver = runs.tool.driver;
    expect(driver.name).toBe("mcp-review");
    expect(driver.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(driver.informationUri).toMatch(/^https:\/\//);
    const ids = driver.rules.map((r: { id: string }) => r.id);
    expect(ids).toEqual(listRules().map((r) => r.id));
    expect(ids).toContain("config-unpinned-server");
    const ci = driver.rules[ids.indexOf("command-injection")];
    expect(ci.properties.tags).toEqual(["security", "external/cwe/cwe-78"]);
    expect(ci.properties["security-severity"]).toBe("8.0");
    expect(ci.properties.precision).toBe("high");
    expect(ci.help.markdown.startsWith("# command-injection")).toBe(true);
    expect(ci.shortDescription.text).toBe("Tool input reaches a shell command");
    expect(runs.results).toHaveLength(2);
    for (const result of runs.results) {
      expect(driver.rules[result.ruleIndex].id).toBe(result.ruleId);
      expect(result.partialFingerprints["mcpReview/v1"]).toMatch(/^[0-9a-f]{20}$/);
      const location = result.locations[0].physicalLocation;
      expect(location.artifactLocation).toEqual({ uri: "src/server.ts", uriBaseId: "%SRCROOT%" });
      expect(location.region.startLine).toBeGreaterThan(0);
      expect(location.region.startColumn).toBeGreaterThan(0);
      expect(location.region.endLine).toBeGreaterThanOrEqual(location.region.startLine);
    }
    const levels = runs.results.map((r: { ruleId: string; level: string }) => [r.ruleId, r.level]);
    expect(levels).toEqual([
      ["command-injection", "error"],
      ["bind-all-interfaces", "error"],
    ]);
  });

  it("traces tool input from its handler through helpers in other files, in JSON, text and SARIF", async () => {
    write("src/server.ts", TRACED_SERVER);
    write("src/git.ts", TRACED_HELPER);
    const json = JSON.parse((await run("scan", ".", "--format", "json")).stdout);
    const [finding] = json.findings;
    expect(finding).toMatchObject({ ruleId: "command-injection", path: "src/git.ts", line: 4 });
    expect(finding.trace).toEqual([
      { path: "src/server.ts", line: 7, note: "Tool `git_log` input enters the handler as `{ branch }`" },
      { path: "src/server.ts", line: 8, note: "passed on by `logOf(branch)`" },
      { path: "src/git.ts", line: 8, note: "passed on by `` runGit(`log ${ref}`) ``" },
      { path: "src/git.ts", line: 4, note: "reaches `command` in `execSync(command, { encoding: \"utf8\" })`" },
    ]);

    const text = (await run("scan", ".")).stdout;
    expect(text).toContain(["    Path:", "      src/server.ts:7  Tool `git_log` input enters the handler as `{ branch }`", "      src/server.ts:8  passed on by `logOf(branch)`"].join("\n"));

    await run("scan", ".", "--format", "sarif", "--output", "flow.sarif");
    const [result] = JSON.parse(readFileSync(join(root, "flow.sarif"), "utf8")).runs[0].results;
    const steps = result.codeFlows[0].threadFlows[0].locations.map((l: any) => [l.location.physicalLocation.artifactLocation.uri, l.location.physicalLocation.region.startLine, l.location.message.text]);
    expect(steps).toEqual(finding.trace.map((s: { path: string; line: number; note: string }) => [s.path, s.line, s.note]));
  });

  it("marks test and example code's findings and exits 0 when only they are found, unless the config counts them", async () => {
    write("tests/server.spec.ts", VULNERABLE_SERVER);
    write("examples/demo.ts", VULNERABLE_SERVER);
    const text = await run("scan", ".");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^tests\/server\.spec\.ts:7:\d+  CRITICAL  command-injection  \(CWE-78\)  \[test\]$/m);
    expect(text.stdout).toMatch(/^examples\/demo\.ts:7:\d+  CRITICAL  command-injection  \(CWE-78\)  \[example\]$/m);

    await run("scan", ".", "--format", "sarif", "--output", "ctx.sarif");
    const results = JSON.parse(readFileSync(join(root, "ctx.sarif"), "utf8")).runs[0].results;
    expect(results.map((r: any) => r.properties.tags).sort()).toEqual([["example"], ["example"], ["test"], ["test"]]);

    write(".github/mcp-review.yml", "contexts: { example: production }\n");
    expect((await run("scan", ".")).code).toBe(1);
  });

  it("scans a single file given as PATH", async () => {
    write("src/server.ts", VULNERABLE_SERVER);
    const { code, stdout } = await run("scan", "src/server.ts", "--format", "json");
    expect(code).toBe(1);
    expect(JSON.parse(stdout).findings.map((f: { path: string }) => f.path)).toEqual(["server.ts", "server.ts"]);
  });

  it("honors ignore globs, rule settings and fail_on from .github/mcp-review.yml, and --fail-on over it", async () => {
    write("src/server.ts", VULNERABLE_SERVER);
    write("third_party/server.ts", VULNERABLE_SERVER);
    write(".github/mcp-review.yml", "ignore: ['third_party/**']\nrules:\n  command-injection: off\n  bind-all-interfaces: medium\nfail_on: critical\n");
    const configured = await run("scan", ".", "--format", "json");
    const report = JSON.parse(configured.stdout);
    expect(report.findings.map((f: { ruleId: string; severity: string; path: string }) => [f.path, f.ruleId, f.severity])).toEqual([
      ["src/server.ts", "bind-all-interfaces", "medium"],
    ]);
    expect(report.stats.skipped).toEqual({ ignored: 1 });
    expect(configured.code).toBe(0);
    expect((await run("scan", ".", "--fail-on", "medium")).code).toBe(1);
    expect((await run("scan", ".", "--fail-on", "none")).code).toBe(0);
  });

  it("warns about each config error and scans with the defaults", async () => {
    write("src/server.ts", VULNERABLE_SERVER);
    write(".github/mcp-review.yml", "fail_on: sometimes\nignroe: ['src/**']\n");
    const { code, stdout, stderr } = await run("scan", ".", "--format", "json");
    const warnings = stderr.trim().split("\n");
    expect(warnings).toHaveLength(2);
    for (const line of warnings) expect(line).toMatch(/^mcp-review: warning: \.github\/mcp-review\.yml: /);
    expect(stderr).toContain("fail_on");
    expect(stderr).toContain("ignroe");
    expect(JSON.parse(stdout).findings).toHaveLength(2);
    expect(code).toBe(1);
  });

  it("skips and counts binary and oversized files, counts node_modules as vendored without entering it, and never enters .git", async () => {
    write("src/server.ts", VULNERABLE_SERVER);
    write("src/blob.js", Buffer.from([0x63, 0x6f, 0x6e, 0x00, 0x01, 0x02]));
    write("src/huge.js", `// ${"x".repeat(3 * 1024)}\n${VULNERABLE_SERVER}`);
    write("node_modules/dep/server.ts", VULNERABLE_SERVER);
    write(".git/hooks/x.js", VULNERABLE_SERVER);
    write(".github/mcp-review.yml", "max_file_size_kb: 2\n");
    const { stdout } = await run("scan", ".", "--format", "json");
    const report = JSON.parse(stdout);
    expect(report.stats.skipped).toEqual({ binary: 1, "too-large": 1, vendored: 1 });
    expect(report.stats.skippedFiles.find((s: { reason: string }) => s.reason === "vendored").path).toBe("node_modules");
    expect(report.stats.filesSkipped).toBe(3);
    expect(report.stats.filesScanned).toBe(1);
    expect(new Set(report.findings.map((f: { path: string }) => f.path))).toEqual(new Set(["src/server.ts"]));
  });

  it("reads a lockfile of megabytes whole, under its own limit, and skips one over it", async () => {
    const { text, line } = bigPackageLock(8000, { name: "mcp-remote", version: "0.1.15" });
    write("package-lock.json", text);
    write(".github/mcp-review.yml", "max_file_size_kb: 2\n");
    const report = JSON.parse((await run("scan", ".", "--format", "json")).stdout);
    expect(report.findings.map((f: { path: string; line: number }) => [f.path, f.line])).toEqual([["package-lock.json", line]]);
    expect(report.stats.skipped).toEqual({});

    write(".github/mcp-review.yml", "max_dependency_file_mb: 1\n");
    const over = JSON.parse((await run("scan", ".", "--format", "json")).stdout);
    expect(over.findings).toEqual([]);
    expect(over.stats.skippedFiles).toEqual([{ path: "package-lock.json", reason: "too-large", detail: expect.stringMatching(/ KB is over the 1024 KB limit$/) }]);
  });

  it.each([
    [["scan", "missing-folder"], /^mcp-review: no such file or folder: missing-folder\n$/],
    [["scan", ".", "--format", "xml"], /^mcp-review: --format must be one of text, json, sarif \(got "xml"\)\n$/],
    [["scan", ".", "--verbose"], /^mcp-review: unknown option --verbose\n$/],
    [["scan", ".", "--quiet=yes"], /^mcp-review: --quiet takes no value\n$/],
    [["scan", ".", "--output"], /^mcp-review: --output needs a value\n$/],
    [["scan", ".", "--jobs=0"], /^mcp-review: --jobs must be a whole number of threads/],
    [["scan", "a", "b"], /^mcp-review: expected one PATH, got 2: a b\n$/],
    [["inventory", ".", "--format", "sarif"], /^mcp-review: --format must be text or json for inventory \(got "sarif"\)\n$/],
    [["inventory", "missing-folder"], /^mcp-review: no such file or folder: missing-folder\n$/],
    [["scan", ".", "--fail-on", "severe"], /^mcp-review: --fail-on must be one of/],
    [["lint"], /^mcp-review: unknown command `lint`/],
    [["scan", ".", "--output", "no/such/dir/report.json"], /^mcp-review: cannot write no\/such\/dir\/report\.json: ENOENT\n$/],
  ])("exits 2 with a one-line error for %j", async (argv, message) => {
    write("server.ts", CLEAN_SERVER);
    const { code, stdout, stderr } = await run(...argv);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(message);
    expect(stderr.trim().split("\n")).toHaveLength(1);
  });

  it("prints help and the package version", async () => {
    const help = await run("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: mcp-review scan [PATH]");
    const version = await run("--version");
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    expect(version).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
  });
});
