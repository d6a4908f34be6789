import { analyze, createProject } from "./analyze.js";
import { inventoryFactsWith } from "./inventory-core.js";
import { languageOf } from "./language.js";
import { importSpecifiers, PathIndex } from "./inventory/import-graph.js";
import { tsFileInventory } from "./inventory/ts-inventory.js";
import { assembleInventory } from "./inventory/assemble.js";
import type { Coverage, FileFacts, Inventory } from "./inventory/types.js";
import type { AnalyzeOptions, SourceInput } from "./types.js";
import { Workspace } from "./workspace.js";

export * from "./inventory/types.js";
export { inventoryFactsScriptless } from "./inventory-core.js";
export { assembleInventory } from "./inventory/assemble.js";
export type { JsonSchema, JsonValue } from "./inventory/json-schema.js";

/** TypeScript and JavaScript files that can hold an MCP server, its tools or its transports. */
const TS_MCP_TEXT = /@modelcontextprotocol\/sdk|\bMcpServer\b|["']fastmcp["']|\b(?:StreamableHTTPServerTransport|SSEServerTransport|StdioServerTransport)\b/;

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
 * What each file of `options.only` (every file, without it) contributes to an inventory (see
 * `inventoryFactsWith`), TypeScript and JavaScript included.
 */
export function inventoryFacts(files: readonly SourceInput[], options: AnalyzeOptions = {}): FileFacts[] {
  return inventoryFactsWith(analyze, tsFacts, files, options);
}

/** The `ScriptFacts` of the TypeScript inventory: servers, tools and transports of files that mention MCP. */
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
