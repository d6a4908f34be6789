import { analyze, countLines, createProject } from "./analyze.js";
import { isProjectConfig, languageOf } from "./language.js";
import { clientConfigInventory } from "./inventory/client-configs.js";
import { mcpDependencies } from "./inventory/dependencies.js";
import { importSpecifiers, PathIndex } from "./inventory/import-graph.js";
import { pyFileInventory } from "./inventory/py-inventory.js";
import { tsFileInventory } from "./inventory/ts-inventory.js";
import { assembleInventory } from "./inventory/assemble.js";
import type { Coverage, FileFacts, Inventory } from "./inventory/types.js";
import { PythonClasses } from "./python/classes.js";
import { createPythonMcpFile } from "./python/mcp.js";
import { firstPythonSyntaxError } from "./python/parser.js";
import { PythonProject } from "./python/project.js";
import type { AnalyzeOptions, SourceInput } from "./types.js";
import { Workspace } from "./workspace.js";

export * from "./inventory/types.js";
export { assembleInventory } from "./inventory/assemble.js";
export type { JsonSchema, JsonValue } from "./inventory/json-schema.js";

/** TypeScript and JavaScript files that can hold an MCP server, its tools or its transports. */
const TS_MCP_TEXT = /@modelcontextprotocol\/sdk|\bMcpServer\b|["']fastmcp["']|\b(?:StreamableHTTPServerTransport|SSEServerTransport|StdioServerTransport)\b/;
/** Python modules that import the SDK or FastMCP, or run or serve a server built elsewhere. */
const PY_MCP_TEXT = /^[ \t]*(?:from|import)[ \t]+(?:mcp|fastmcp)\b|\.run(?:_async)?\(\s*transport\s*=|\b(?:sse_app|streamable_http_app|http_app)\s*\(|MCPServer|FastMCP/m;

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
