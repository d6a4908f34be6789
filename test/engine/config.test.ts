import { analyze, isAnalyzable } from "../../src/engine/index.js";
import { launchedPackage, launchWords, parseDependencies, parseMcpConfig } from "../../src/engine/config/index.js";
import { languageOf } from "../../src/engine/language.js";
import { pep440ToSemver } from "../../rules/vulnerable-mcp-dependency/index.js";

describe("which files are MCP client configs and manifests", () => {
  it.each([
    [".vscode/mcp.json", "mcp-config"],
    [".cursor/mcp.json", "mcp-config"],
    [".mcp.json", "mcp-config"],
    ["apps/web/mcp.json", "mcp-config"],
    ["claude_desktop_config.json", "mcp-config"],
    [".gemini/settings.json", "mcp-config"],
    [".codeium/windsurf/mcp_config.json", "mcp-config"],
    ["cline_mcp_settings.json", "mcp-config"],
    ["package.json", "manifest"],
    ["packages/server/package-lock.json", "manifest"],
    ["pyproject.toml", "manifest"],
    ["requirements-dev.txt", "manifest"],
    ["uv.lock", "manifest"],
    ["Library/Application Support/Code/User/settings.json", "mcp-config"],
    [".config/zed/settings.json", "mcp-config"],
  ])("%s is %s", (path, language) => {
    expect(languageOf(path)).toBe(language);
    expect(isAnalyzable(path)).toBe(true);
  });

  it.each(["settings.json", ".vscode/settings.json", "notmcp.json", "data/servers.json", "Cargo.lock"])("%s is not read", (path) => {
    expect(isAnalyzable(path)).toBe(false);
  });

  it.each(["tsconfig.json", "packages/api/tsconfig.build.json", "jsconfig.json"])("%s is read for import aliases only, in no language of its own", (path) => {
    expect(isAnalyzable(path)).toBe(true);
    expect(languageOf(path)).toBeUndefined();
  });
});

describe("parseMcpConfig", () => {
  it("finds servers of every format with exact offsets, through comments and trailing commas", () => {
    const text = `// comment
{
  "mcp": { "servers": { "vs": { "command": "node", "args": ["a.js",], }, }, },
  "projects": { "/home/me/app": { "mcpServers": { "nested": { "url": "https://x.example/mcp" } } } },
  "context_servers": { "zed": { "command": "zed-mcp" } },
}`;
    const { servers, parseError } = parseMcpConfig(text);
    expect(parseError).toBeUndefined();
    expect(servers.map((s) => s.name)).toEqual(["vs", "nested", "zed"]);
    const args = servers[0]!.args[0]!;
    expect(text.slice(args.offset, args.offset + args.length)).toBe('"a.js"');
    expect(servers[1]!.url?.value).toBe("https://x.example/mcp");
  });

  it("reports a syntax error with its line instead of throwing", () => {
    expect(parseMcpConfig('{\n  "servers": {\n    "a": { "command": "x" \n  }\n').parseError).toMatch(/^line \d+: /);
  });

  it("is a parse-error skip in the engine, not a crash", () => {
    const result = analyze([{ path: ".vscode/mcp.json", content: '{ "servers": { "a": ' }]);
    expect(result.skipped).toEqual([{ path: ".vscode/mcp.json", reason: "parse-error", detail: expect.stringMatching(/^line 1: /) }]);
  });
});

describe("launchedPackage", () => {
  const words = (command: string, ...args: string[]) => launchWords({ name: "s", nameSpan: { offset: 0, length: 0 }, command: { value: command, offset: 0, length: command.length + 2 }, args: args.map((value) => ({ value, offset: 0, length: value.length + 2 })), env: [], headers: [], strings: [] });

  it.each([
    [["npx", "-y", "@scope/pkg@1.2.3"], { launcher: "npx", name: "@scope/pkg", version: "1.2.3" }],
    [["npx", "--yes", "--package", "pkg", "bin"], { launcher: "npx", name: "pkg", version: undefined }],
    [["pnpm", "dlx", "pkg@latest"], { launcher: "npx", name: "pkg", version: "latest" }],
    [["uvx", "--from", "mcp-server-git==2025.7.1", "mcp-server-git"], { launcher: "uvx", name: "mcp-server-git", version: "2025.7.1" }],
    [["uvx", "--python", "3.12", "mcp-server-fetch"], { launcher: "uvx", name: "mcp-server-fetch", version: undefined }],
    [["docker", "run", "-i", "--rm", "-e", "TOKEN", "ghcr.io/org/img:1.0"], { launcher: "docker", name: "ghcr.io/org/img", version: "1.0" }],
    [["docker", "run", "localhost:5000/img"], { launcher: "docker", name: "localhost:5000/img", version: undefined }],
    [["npx -y pkg@2.0.0"], { launcher: "npx", name: "pkg", version: "2.0.0" }],
  ])("%j", ([command, ...args], expected) => {
    expect(launchedPackage(words(command!, ...args))).toMatchObject(expected);
  });

  it("ignores programs that fetch nothing", () => {
    expect(launchedPackage(words("node", "server.js"))).toBeUndefined();
  });
});

describe("parseDependencies", () => {
  it("reads package-lock.json versions (v3 and v1) with their offsets", () => {
    const lock = JSON.stringify(
      { lockfileVersion: 3, packages: { "": { name: "app" }, "node_modules/@modelcontextprotocol/sdk": { version: "1.11.0" }, "node_modules/a/node_modules/mcp-remote": { version: "0.1.15" } } },
      null,
      2,
    );
    const deps = parseDependencies("package-lock.json", lock);
    expect(deps.map((d) => [d.name, d.spec, d.exact])).toEqual([
      ["@modelcontextprotocol/sdk", "1.11.0", true],
      ["mcp-remote", "0.1.15", true],
    ]);
    expect(lock.slice(deps[0]!.offset, deps[0]!.offset + deps[0]!.length)).toBe('"1.11.0"');
    const v1 = parseDependencies("package-lock.json", JSON.stringify({ lockfileVersion: 1, dependencies: { "mcp-remote": { version: "0.1.0" } } }));
    expect(v1.map((d) => [d.name, d.spec])).toEqual([["mcp-remote", "0.1.0"]]);
  });

  it("reads Poetry dependencies and normalizes PyPI names", () => {
    const deps = parseDependencies("pyproject.toml", '[tool.poetry.dependencies]\npython = "^3.11"\nMCP = "1.9.0"\nMcp_Server_Git = { version = "^2025.7.1" }\n');
    expect(deps.map((d) => [d.name, d.spec, d.exact])).toEqual([
      ["python", "^3.11", false],
      ["mcp", "==1.9.0", true],
      ["mcp-server-git", "^2025.7.1", false],
    ]);
  });

  it.each([
    ["==1.9.4", "1.9.4"],
    [">=1.2,<1.20", ">=1.2.0 <1.20.0"],
    ["~=1.22", ">=1.22.0 <2.0.0"],
    ["~=1.22.1", ">=1.22.1 <1.23.0"],
    ["!=1.5.0,<1.23", "<1.23.0"],
    ["==1.2.*", "1.2.x"],
    ["", "*"],
  ])("translates the PEP 440 specifier %j to %j", (spec, range) => {
    expect(pep440ToSemver(spec)).toBe(range);
  });
});

describe("vulnerable-mcp-dependency in client configs", () => {
  it("asks for a new launch argument, not an install, where the version is pinned in args", () => {
    const config = JSON.stringify({ servers: { a: { command: "npx", args: ["-y", "mcp-remote@0.1.15", "https://example.com/sse"] }, g: { command: "uvx", args: ["mcp-server-git==2025.7.1"] } } }, null, 2);
    const { findings } = analyze([{ path: ".vscode/mcp.json", content: config }]);
    expect(findings.map((f) => f.ruleId)).toEqual(["vulnerable-mcp-dependency", "vulnerable-mcp-dependency"]);
    expect(findings[0]!.remediation).toMatch(/^Pin the fixed version in this server's launch arguments: change `mcp-remote@0\.1\.15` to `mcp-remote@0\.1\.16`/);
    expect(findings[1]!.remediation).toMatch(/change `mcp-server-git==2025\.7\.1` to `mcp-server-git==[\d.]+`/);
    for (const f of findings) expect(f.remediation).not.toMatch(/npm install|uv lock/);
  });
});

describe("vulnerable-mcp-dependency in lockfiles", () => {
  it("reports a locked vulnerable version at its line, naming the advisory and the version to move to", () => {
    const lock = `{
  "name": "app",
  "lockfileVersion": 3,
  "packages": {
    "node_modules/@modelcontextprotocol/sdk": {
      "version": "1.11.0"
    },
    "node_modules/@modelcontextprotocol/inspector": {
      "version": "0.16.6"
    }
  }
}
`;
    const { findings } = analyze([{ path: "package-lock.json", content: lock }]);
    expect(findings.map((f) => [f.ruleId, f.line, f.severity])).toEqual([["vulnerable-mcp-dependency", 6, "high"]]);
    expect(findings[0]!.message).toContain("GHSA-w48q-cv73-mx4w (CVE-2025-66414)");
    expect(findings[0]!.message).toContain("Fixed in 1.24.0.");
    expect(findings[0]!.remediation).toContain("`npm install @modelcontextprotocol/sdk@^1.24.0`");
  });

  it("names the highest fixed version when several advisories apply", () => {
    const { findings } = analyze([{ path: "requirements.txt", content: "mcp-server-git==2025.9.25\n" }]);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toMatch(/GHSA-j22h-9j4x-23w5 .*GHSA-9xwc-hfwc-8w59 .*GHSA-vjqx-cfc4-9h6v .*Fixed in 2026\.1\.14\./);
  });

  it("leaves a range that can resolve to the fixed version to the lockfile", () => {
    const { findings } = analyze([{ path: "package.json", content: '{ "dependencies": { "@modelcontextprotocol/sdk": "^1.10.0", "mcp-remote": "*" } }' }]);
    expect(findings).toEqual([]);
  });
});
