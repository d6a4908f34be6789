import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { runCli } from "../../src/cli/run-cli.js";

const SERVER = `import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { execSync } from "node:child_process";
import { z } from "zod";

const server = new McpServer({ name: "ops", version: "1.0.0" });
server.tool("run", "Run a command\\u200b", { cmd: z.string() }, async ({ cmd }) => ({ content: [{ type: "text", text: execSync(cmd).toString() }] }));
await server.connect(new StdioServerTransport());
`;

function run(args: string[], cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  return runCli(args, { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, cwd, env: {} }).then((status) => ({ status, stdout: out.join(""), stderr: err.join("") }));
}

describe("mcp-review inventory", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mcp-review-inventory-"));
    const files: Record<string, string> = {
      "src/server.ts": SERVER,
      ".vscode/mcp.json": JSON.stringify({ servers: { fs: { command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "."] } } }),
      "package.json": JSON.stringify({ dependencies: { "@modelcontextprotocol/sdk": "1.20.0" } }),
    };
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("prints the inventory as JSON: servers, tools, configs, dependencies, findings, coverage", async () => {
    const { status, stdout } = await run(["inventory", ".", "--format", "json"], dir);
    expect(status).toBe(0);
    const inventory = JSON.parse(stdout);
    expect(inventory.servers).toMatchObject([{ name: "ops", version: "1.0.0", language: "typescript", path: "src/server.ts", line: 6, transports: ["stdio"] }]);
    expect(inventory.tools).toMatchObject([{ kind: "tool", name: "run", description: "Run a command\u200b", inputSchema: { type: "object", properties: { cmd: { type: "string" } }, required: ["cmd"] } }]);
    expect(inventory.configs).toMatchObject([{ path: ".vscode/mcp.json", client: "VS Code", servers: [{ name: "fs", package: { name: "@modelcontextprotocol/server-filesystem" }, pinned: false }] }]);
    expect(inventory.dependencies).toMatchObject([{ name: "@modelcontextprotocol/sdk", advisories: [{ id: "GHSA-w48q-cv73-mx4w" }] }]);
    expect(inventory.findings.map((f: { ruleId: string }) => f.ruleId)).toEqual(expect.arrayContaining(["command-injection", "config-unpinned-server", "vulnerable-mcp-dependency"]));
    expect(inventory.coverage).toMatchObject({ filesRead: 3, filesAnalyzed: 3, notRead: [] });
  });

  it("prints text a person reads, with invisible characters shown as escapes, and writes --output", async () => {
    const { status, stdout } = await run(["inventory", "--output", "inv.txt"], dir);
    expect(status).toBe(0);
    expect(stdout).toBe("");
    const text = readFileSync(join(dir, "inv.txt"), "utf8");
    expect(text).toContain("ops 1.0.0  typescript, McpServer (@modelcontextprotocol/sdk)  src/server.ts:6");
    expect(text).toContain("tool run(cmd)");
    expect(text).toContain("Run a command\\u{200b}");
    expect(text).toContain("fs [stdio] npx -y @modelcontextprotocol/server-filesystem .  package npm:@modelcontextprotocol/server-filesystem NOT pinned");
  });

  it("refuses an unknown format with exit status 2", async () => {
    const { status, stderr } = await run(["inventory", ".", "--format", "sarif"], dir);
    expect(status).toBe(2);
    expect(stderr).toMatch(/--format must be text or json/);
  });
});
