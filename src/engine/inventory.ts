import { Project, ts } from "ts-morph";
import { analyze } from "./analyze.js";
import { isProjectConfig, languageOf } from "./language.js";
import { clientConfigInventory } from "./inventory/client-configs.js";
import { mcpDependencies } from "./inventory/dependencies.js";
import { importSpecifiers, PathIndex } from "./inventory/import-graph.js";
import { pyFileInventory } from "./inventory/py-inventory.js";
import { tsFileInventory } from "./inventory/ts-inventory.js";
import { INVENTORY_FORMAT, type Coverage, type FileFacts, type HttpProtections, type Inventory, type InventoryServer, type InventoryTool, type McpTransport } from "./inventory/types.js";
import { PythonClasses } from "./python/classes.js";
import { createPythonMcpFile } from "./python/mcp.js";
import { firstPythonSyntaxError } from "./python/parser.js";
import { PythonProject } from "./python/project.js";
import type { AnalyzeOptions, Finding, SkippedFile, SourceInput } from "./types.js";
import { Workspace } from "./workspace.js";

export * from "./inventory/types.js";
export type { JsonSchema, JsonValue } from "./inventory/json-schema.js";

/** TypeScript and JavaScript files that can hold an MCP server, its tools or its transports. */
const TS_MCP_TEXT = /@modelcontextprotocol\/sdk|\bMcpServer\b|["']fastmcp["']|\b(?:StreamableHTTPServerTransport|SSEServerTransport|StdioServerTransport)\b/;
/** Python modules that import the SDK or FastMCP, or run or serve a server built elsewhere. */
const PY_MCP_TEXT = /^[ \t]*(?:from|import)[ \t]+(?:mcp|fastmcp)\b|\.run(?:_async)?\(\s*transport\s*=|\b(?:sse_app|streamable_http_app|http_app)\s*\(|MCPServer|FastMCP/m;
/** How far (in imports) a server looks for the transports and the HTTP app of another module. */
const LINK_DEPTH = 4;

/**
 * The inventory of a set of files (a checkout, or a repository's default branch): the MCP servers
 * implemented in them with their transports, listen addresses and HTTP protections; their tools,
 * resources and prompts with input schemas and definition hashes; MCP client configs and what
 * they start; MCP-related dependencies with advisories; the same findings as `analyze`; and what
 * was not read. Pure and synchronous, like `analyze`.
 */
export function buildInventory(files: readonly SourceInput[], options: AnalyzeOptions = {}, coverage: Partial<Pick<Coverage, "notRead" | "notes" | "filesRead">> = {}): Inventory {
  const facts = inventoryFacts(files, options);
  const index = new PathIndex(files.map((f) => f.path));
  const links = new Map(files.map((f) => [f.path, importSpecifiers(f.path, f.content).flatMap((s) => index.resolve(f.path, s))]));
  return assembleInventory(facts, { filesRead: files.length, ...coverage }, (path) => links.get(path) ?? []);
}

/**
 * What each file of `options.only` (every file, without it) contributes to an inventory. The other
 * files are context, as for `analyze`: a unit of a repository scan checks its own files and reads
 * the manifests and project configs around them.
 */
export function inventoryFacts(files: readonly SourceInput[], options: AnalyzeOptions = {}): FileFacts[] {
  const result = analyze(files, options);
  const checked = options.only ? new Set(options.only) : undefined;
  const isChecked = (path: string) => !checked || checked.has(path);
  const facts = new Map<string, FileFacts>();
  for (const file of files) {
    if (!isChecked(file.path) || (!languageOf(file.path) && !isProjectConfig(file.path))) continue;
    facts.set(file.path, { path: file.path, servers: [], tools: [], configs: [], dependencies: [], findings: [], ruleErrors: [], lines: countLines(file.content), analyzed: true, transports: [] });
  }
  const of = (path: string) => facts.get(path);
  for (const finding of [...result.findings]) of(finding.path)?.findings.push(finding);
  for (const skipped of result.skipped) {
    const f = of(skipped.path);
    if (f) {
      f.skipped = skipped;
      f.analyzed = false;
    }
  }
  for (const error of result.errors) of(error.path)?.ruleErrors.push(error);

  tsFacts(files, isChecked, of);
  pythonFacts(files, isChecked, of);
  for (const file of files) {
    const f = of(file.path);
    const language = languageOf(file.path);
    // A config that does not parse is still listed, with its parse error.
    if (!f || (f.skipped && !(language === "mcp-config" && f.skipped.reason === "parse-error"))) continue;
    try {
      if (language === "mcp-config") f.configs.push(clientConfigInventory(file.path, file.content));
      else if (language === "manifest") f.dependencies.push(...mcpDependencies(file.path, file.content));
    } catch (error) {
      f.ruleErrors.push({ ruleId: "inventory", path: file.path, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return [...facts.values()];
}

function tsFacts(files: readonly SourceInput[], isChecked: (path: string) => boolean, of: (path: string) => FileFacts | undefined): void {
  const wanted = files.filter((f) => isChecked(f.path) && (languageOf(f.path) === "typescript" || languageOf(f.path) === "javascript") && TS_MCP_TEXT.test(f.content) && !of(f.path)?.skipped);
  if (wanted.length === 0) return;
  const project = createProject();
  const workspace = new Workspace(files);
  const parsed = [];
  for (const file of wanted) {
    try {
      const sourceFile = project.createSourceFile(`/inventory/${file.path}`, file.content, { overwrite: true });
      workspace.register(file.path, sourceFile);
      parsed.push({ file, sourceFile });
    } catch (error) {
      of(file.path)?.ruleErrors.push({ ruleId: "inventory", path: file.path, message: `could not be parsed: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
  workspace.link((path, content) => project.createSourceFile(`/inventory-linked/${path}`, content, { overwrite: true }));
  for (const { file, sourceFile } of parsed) {
    const f = of(file.path)!;
    try {
      const found = tsFileInventory(sourceFile, file.path, languageOf(file.path) as "typescript" | "javascript", workspace);
      f.servers.push(...found.servers);
      f.tools.push(...found.tools);
      f.transports = found.transports;
      if (found.http) f.http = found.http;
    } catch (error) {
      f.ruleErrors.push({ ruleId: "inventory", path: file.path, message: error instanceof RangeError ? "nested too deeply to read its MCP servers" : error instanceof Error ? error.message.slice(0, 200) : String(error) });
    }
  }
}

function pythonFacts(files: readonly SourceInput[], isChecked: (path: string) => boolean, of: (path: string) => FileFacts | undefined): void {
  const wanted = files.filter((f) => isChecked(f.path) && languageOf(f.path) === "python" && PY_MCP_TEXT.test(f.content) && !of(f.path)?.skipped);
  if (wanted.length === 0) return;
  const project = new PythonProject(new Map(files.filter((f) => languageOf(f.path) === "python").map((f) => [f.path, f.content])));
  try {
    const classes = new PythonClasses(project);
    for (const file of wanted) {
      const f = of(file.path)!;
      try {
        const module = project.module(file.path);
        if (!module || firstPythonSyntaxError(module.tree)) continue;
        const found = pyFileInventory(module, createPythonMcpFile(module, { project, classes }), project);
        f.servers.push(...found.servers);
        f.tools.push(...found.tools);
        f.transports = found.transports;
        if (found.http) f.http = found.http;
      } catch (error) {
        f.ruleErrors.push({ ruleId: "inventory", path: file.path, message: error instanceof Error ? error.message.slice(0, 200) : String(error) });
      }
    }
  } finally {
    project.dispose();
  }
}

/**
 * Puts file facts together: servers get the transports and HTTP facts of their own module, or of
 * the modules imports join them to (a server built in one file and served in another); tools
 * registered away from their server are given the nearest one, or the only one.
 */
export function assembleInventory(facts: readonly FileFacts[], coverage: Partial<Pick<Coverage, "notRead" | "notes" | "filesRead">>, links: (path: string) => readonly string[] = () => []): Inventory {
  const byPath = new Map(facts.map((f) => [f.path, f]));
  const neighbours = undirected(facts.map((f) => f.path), links);
  const servers: InventoryServer[] = [];
  for (const f of facts) {
    for (const s of f.servers) {
      let transports = new Set<McpTransport>(f.transports);
      let http: HttpProtections | undefined = f.http;
      if (transports.size === 0) {
        for (const near of nearest(f.path, neighbours, (p) => (byPath.get(p)?.transports.length ?? 0) > 0)) {
          const other = byPath.get(near)!;
          for (const t of other.transports) transports.add(t);
          http ??= other.http;
        }
      }
      if (transports.size === 0) transports = new Set();
      const server: InventoryServer = { ...s, transports: [...transports].sort() };
      if (transports.has("sse") || transports.has("streamable-http")) server.http = http ?? { listen: [], auth: "unknown", hostValidation: false, cors: "none", endpoints: [] };
      servers.push(server);
    }
  }
  const ids = new Set(servers.map((s) => s.id));
  const tools: InventoryTool[] = [];
  for (const f of facts) {
    for (const t of f.tools) {
      if (t.server && ids.has(t.server)) {
        tools.push(t);
        continue;
      }
      const own = servers.filter((s) => s.path === f.path);
      const near = own.length === 1 ? own : nearest(f.path, neighbours, (p) => servers.some((s) => s.path === p)).flatMap((p) => servers.filter((s) => s.path === p));
      const server = near.length === 1 ? near[0] : servers.length === 1 ? servers[0] : undefined;
      const { server: _unknown, ...rest } = t;
      tools.push(server ? { ...rest, server: server.id } : rest);
    }
  }
  const analyzed = facts.filter((f) => f.analyzed);
  const notRead: SkippedFile[] = [...(coverage.notRead ?? []), ...facts.flatMap((f) => (f.skipped ? [f.skipped] : []))].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    format: INVENTORY_FORMAT,
    servers: servers.sort(byLocation),
    tools: tools.sort((a, b) => byLocation(a, b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    configs: facts.flatMap((f) => f.configs).sort((a, b) => (a.path < b.path ? -1 : 1)),
    dependencies: facts.flatMap((f) => f.dependencies).sort((a, b) => byLocation(a, b) || (a.name < b.name ? -1 : 1)),
    findings: facts.flatMap((f) => f.findings).sort(compareFindings),
    coverage: {
      filesRead: coverage.filesRead ?? facts.length,
      filesAnalyzed: analyzed.length,
      linesAnalyzed: analyzed.reduce((n, f) => n + f.lines, 0),
      notRead,
      ruleErrors: facts.flatMap((f) => f.ruleErrors),
      notes: coverage.notes ?? [],
    },
  };
}

function undirected(paths: readonly string[], links: (path: string) => readonly string[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>(paths.map((p) => [p, new Set()]));
  for (const path of paths) {
    for (const target of links(path)) {
      if (!out.has(target) || target === path) continue;
      out.get(path)!.add(target);
      out.get(target)!.add(path);
    }
  }
  return out;
}

/** The files nearest to `from` (by imports, either way, within LINK_DEPTH) that satisfy `wanted`; `from` itself excluded. */
function nearest(from: string, graph: ReadonlyMap<string, ReadonlySet<string>>, wanted: (path: string) => boolean): string[] {
  const seen = new Set([from]);
  let frontier = [from];
  for (let depth = 0; depth < LINK_DEPTH && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const path of frontier) for (const n of graph.get(path) ?? []) if (!seen.has(n)) seen.add(n), next.push(n);
    const hits = next.filter(wanted);
    if (hits.length > 0) return hits.sort();
    frontier = next;
  }
  return [];
}

function byLocation(a: { path: string; line: number }, b: { path: string; line: number }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line;
}

function compareFindings(a: Finding, b: Finding): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line || a.column - b.column || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0);
}

function countLines(text: string): number {
  if (text.length === 0) return 0;
  let n = 1;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

function createProject(): Project {
  return new Project({
    useInMemoryFileSystem: true,
    skipLoadingLibFiles: true,
    skipFileDependencyResolution: true,
    skipAddingFilesFromTsConfig: true,
    compilerOptions: { allowJs: true, noLib: true, noResolve: true, types: [], target: ts.ScriptTarget.ES2022, jsx: ts.JsxEmit.Preserve },
  });
}
