import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { runCli } from "../../src/cli/run-cli.js";

let home: string;
let elsewhere: string;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "mcp-review-home-"));
  elsewhere = mkdtempSync(join(tmpdir(), "mcp-review-xdg-"));
});

afterEach(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(elsewhere, { recursive: true, force: true });
});

function write(root: string, path: string, content: string): void {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}

async function scanUser(env: Record<string, string>, ...extra: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(["scan", "--user", ...extra], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    cwd: home,
    env,
  });
  return { code, stdout, stderr };
}

const CURSOR = `{
  "mcpServers": {
    "github": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-github@2025.4.8"],
      "env": { "GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_R2d3x9QkLmN4pT7vW1yZ5aB8cD0eF6gH2jK4" }
    }
  }
}
`;

const CLAUDE_DESKTOP = `{
  "mcpServers": {
    "files": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-filesystem@2.0.1", "~"]
    }
  }
}
`;

const VSCODE = `// user-level VS Code servers
{
  "servers": {
    "fetch": { "command": "uvx", "args": ["mcp-server-fetch"] },
  },
}
`;

describe("mcp-review scan --user", () => {
  it("reads each client's config where it keeps it, names the files, and reports findings with their lines", async () => {
    write(home, ".cursor/mcp.json", CURSOR);
    write(home, "Library/Application Support/Claude/claude_desktop_config.json", CLAUDE_DESKTOP);
    write(elsewhere, "Code/User/mcp.json", VSCODE);
    write(home, "project/.vscode/mcp.json", VSCODE); // a repository's config: not the user's, not read
    write(elsewhere, "Code/User/settings.json", '{ "editor.fontSize": 14, "mcp": { "servers": { "docs": { "url": "http://docs.example.com/mcp" } } } }');

    const { code, stdout, stderr } = await scanUser({ HOME: home, XDG_CONFIG_HOME: elsewhere });

    expect(stderr).toBe("");
    expect(code).toBe(1);
    const xdgPath = `${elsewhere.split("\\").join("/")}/Code/User/mcp.json`;
    expect(stdout.startsWith(
      [
        "Read 4 MCP client configs:",
        "  ~/.cursor/mcp.json  (Cursor)",
        "  ~/Library/Application Support/Claude/claude_desktop_config.json  (Claude Desktop)",
        `  ${xdgPath}  (VS Code)`,
        `  ${xdgPath.replace("mcp.json", "settings.json")}  (VS Code)`,
        "",
      ].join("\n"),
    )).toBe(true);
    expect(stdout).toMatch(/^~\/\.cursor\/mcp\.json:6:\d+  HIGH  config-hardcoded-secret  \(CWE-798\)$/m);
    expect(stdout).toMatch(/^~\/Library\/Application Support\/Claude\/claude_desktop_config\.json:5:\d+  HIGH  config-excessive-permissions  \(CWE-250\)$/m);
    expect(stdout).toContain(`${xdgPath}:4:`);
    expect(stdout).toMatch(/MEDIUM  config-unpinned-server/);
    expect(stdout).not.toContain("project/.vscode");
    expect(stdout).toMatch(/^.*Code\/User\/settings\.json:1:\d+  MEDIUM  config-cleartext-transport  \(CWE-319\)$/m);
    expect(stdout).toMatch(/in 4 files scanned\.\n$/);
  });

  it("finds Windows configs under APPDATA and keeps JSON output clean, naming the files on stderr", async () => {
    write(home, "AppData/Roaming/Claude/claude_desktop_config.json", CLAUDE_DESKTOP);
    const { code, stdout, stderr } = await scanUser({ USERPROFILE: home }, "--format", "json");
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.findings.map((f: { path: string; line: number; ruleId: string }) => [f.path, f.line, f.ruleId])).toEqual([
      ["~/AppData/Roaming/Claude/claude_desktop_config.json", 5, "config-excessive-permissions"],
    ]);
    expect(stderr).toBe("mcp-review: Read 1 MCP client config:\nmcp-review: ~/AppData/Roaming/Claude/claude_desktop_config.json  (Claude Desktop)\n");
  });

  it("says so when the user has no client configs, and exits 0", async () => {
    const { code, stdout } = await scanUser({ HOME: home });
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^No MCP client configs found \\(looked in \\d+ places under ${home.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\)\\.\\n\\nNo findings: 0 files scanned\\.\\n$`));
  });

  it("takes no PATH with --user", async () => {
    let stderr = "";
    const code = await runCli(["scan", ".", "--user"], { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, cwd: home, env: { HOME: home } });
    expect(code).toBe(2);
    expect(stderr).toBe("mcp-review: --user scans your own client configs; give no PATH with it\n");
  });
});

describe("mcp-review scan of a folder with client configs and suppressions", () => {
  it("reads committed client configs and manifests, and counts suppressed findings without failing on them", async () => {
    write(home, ".vscode/mcp.json", `{
  "servers": {
    "memory": {
      "command": "npx",
      // mcp-review-ignore config-unpinned-server -- mirrored and pinned by our registry proxy
      "args": ["-y", "@modelcontextprotocol/server-memory"]
    }
  }
}
`);
    write(home, "requirements.txt", "mcp==1.9.4\n");
    write(home, "data/servers.json", '{ "mcpServers": { "x": { "command": "npx", "args": ["-y", "pkg"] } } }');
    let stdout = "";
    const code = await runCli(["scan", ".", "--format", "json"], { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true }, cwd: home, env: { HOME: home } });
    const report = JSON.parse(stdout);
    expect(code).toBe(1);
    expect(report.findings.map((f: { path: string; line: number; ruleId: string }) => [f.path, f.line, f.ruleId])).toEqual([["requirements.txt", 1, "vulnerable-mcp-dependency"]]);
    expect(report.stats.suppressed).toEqual([expect.objectContaining({ ruleId: "config-unpinned-server", path: ".vscode/mcp.json", line: 6, reason: "mirrored and pinned by our registry proxy" })]);

    let sarif = "";
    await runCli(["scan", ".", "--format", "sarif"], { stdout: { write: (s: string) => (sarif += s) }, stderr: { write: () => true }, cwd: home, env: { HOME: home } });
    const results = JSON.parse(sarif).runs[0].results;
    expect(results.map((r: { ruleId: string; suppressions?: unknown }) => [r.ruleId, r.suppressions])).toEqual([
      ["vulnerable-mcp-dependency", undefined],
      ["config-unpinned-server", [{ kind: "inSource", justification: "mirrored and pinned by our registry proxy" }]],
    ]);
    expect(report.stats.filesScanned).toBe(2);

    let text = "";
    await runCli(["scan", "."], { stdout: { write: (s: string) => (text += s) }, stderr: { write: () => true }, cwd: home, env: { HOME: home } });
    expect(text).toMatch(/1 finding \(1 high\) in 2 files scanned; 1 suppressed by mcp-review-ignore\.\n$/);
  });

  it("honors allow_suppressions: false from the folder's config", async () => {
    write(home, ".github/mcp-review.yml", "allow_suppressions: false\n");
    write(home, "requirements.txt", "mcp==1.9.4  # mcp-review-ignore vulnerable-mcp-dependency -- stdio only\n");
    let stdout = "";
    const code = await runCli(["scan", ".", "--format", "json"], { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true }, cwd: home, env: { HOME: home } });
    expect(code).toBe(1);
    expect(JSON.parse(stdout).stats.suppressed).toEqual([]);
  });
});
