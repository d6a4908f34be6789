import { launchedPackage, launchWords, parseMcpConfig, type McpServerEntry } from "../config/index.js";
import type { ConfiguredServer, InventoryConfig } from "./types.js";

/** Which client reads a config file, by where it sits: the layouts each client documents. */
const CLIENTS: readonly [RegExp, string][] = [
  [/(?:^|\/)\.vscode\/mcp\.json$/i, "VS Code"],
  [/(?:^|\/)Code(?: - Insiders)?\/User\/(?:mcp|settings)\.json$/i, "VS Code"],
  [/(?:^|\/)\.cursor\/mcp\.json$/i, "Cursor"],
  [/(?:^|\/)\.mcp\.json$/i, "Claude Code"],
  [/(?:^|\/)\.claude\.json$/i, "Claude Code"],
  [/(?:^|\/)claude_desktop_config\.json$/i, "Claude Desktop"],
  [/(?:^|\/)\.gemini\/settings\.json$/i, "Gemini CLI"],
  [/(?:^|\/)mcp_config\.json$/i, "Windsurf"],
  [/(?:^|\/)cline_mcp_settings\.json$/i, "Cline"],
  [/(?:^|\/)\.?zed\/settings\.json$/i, "Zed"],
  [/(?:^|\/)\.amazonq\/mcp\.json$/i, "Amazon Q"],
  [/(?:^|\/)\.roo\/mcp\.json$/i, "Roo Code"],
];

/** The client whose config format a path has; "MCP client (generic mcp.json)" for the others. */
export function clientOf(path: string): string {
  for (const [pattern, client] of CLIENTS) if (pattern.test(path)) return client;
  return "MCP client (generic mcp.json)";
}

/** The servers an MCP client config starts or connects to, with what each runs and whether it is pinned. */
export function clientConfigInventory(path: string, text: string): InventoryConfig {
  const parsed = parseMcpConfig(text);
  const config: InventoryConfig = { path, client: clientOf(path), servers: parsed.servers.map((s) => configuredServer(s, text)) };
  if (parsed.parseError) config.parseError = parsed.parseError;
  return config;
}

function configuredServer(entry: McpServerEntry, text: string): ConfiguredServer {
  const line = lineOf(text, entry.nameSpan.offset);
  const env = [...entry.env.map((e) => e.key), ...entry.headers.map((h) => h.key)];
  if (entry.url && !entry.command) {
    const type = entry.strings.find((s) => s.key === "type" || s.key === "transport")?.value.toLowerCase();
    const transport = type === "sse" || (!type && /\/sse\/?(?:\?|$)/.test(entry.url.value)) ? "sse" : "http";
    return { name: entry.name, line, transport, url: entry.url.value, ...(env.length > 0 ? { env } : {}) };
  }
  const words = launchWords(entry);
  const pkg = launchedPackage(words);
  const server: ConfiguredServer = {
    name: entry.name,
    line,
    transport: "stdio",
    ...(words[0] ? { command: words[0].value, args: words.slice(1).map((w) => w.value) } : {}),
    ...(env.length > 0 ? { env } : {}),
  };
  if (pkg && fromRegistry(pkg.name)) {
    server.package = { ecosystem: pkg.ecosystem, name: pkg.name, ...(pkg.version !== undefined ? { version: pkg.version } : {}) };
    server.pinned = isPinned(pkg.ecosystem, pkg.version);
  }
  return server;
}

/** One exact version or digest: not absent, not a tag that moves, not a range. */
export function isPinned(ecosystem: "npm" | "pypi" | "docker", version: string | undefined): boolean {
  if (version === undefined) return false;
  if (/^(?:latest|next|main|master|stable|edge|nightly|\*|x)$/i.test(version)) return false;
  if (ecosystem === "npm") return !/^[\^~><=*]|\s-\s|\|\||\.x$|^\d+(?:\.\d+)?$/.test(version);
  if (ecosystem === "pypi") return /^\d/.test(version) && !/[*<>~!]/.test(version);
  return true;
}

/** Local paths, URLs and variables are not fetched from a registry by name. */
function fromRegistry(name: string): boolean {
  return !/^(?:\.|\/|~|\$|[A-Za-z]:[\\/])|:\/\/|^(?:file|git\+\w+|github):|\.(?:[cm]?js|ts|py)$/.test(name);
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}
