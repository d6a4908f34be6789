import { analyzeScriptless } from "./analyze-scriptless.js";
import type { Analyzer } from "./analyze-unit.js";
import { countLines } from "./file-facts.js";
import { isProjectConfig, languageOf } from "./language.js";
import { clientConfigInventory } from "./inventory/client-configs.js";
import { mcpDependencies } from "./inventory/dependencies.js";
import { pyFileInventory } from "./inventory/py-inventory.js";
import type { FileFacts } from "./inventory/types.js";
import { PythonClasses } from "./python/classes.js";
import { createPythonMcpFile } from "./python/mcp.js";
import { firstPythonSyntaxError } from "./python/parser.js";
import { PythonProject } from "./python/project.js";
import type { AnalyzeOptions, SourceInput } from "./types.js";

/** Python modules that import the SDK or FastMCP, or run or serve a server built elsewhere. */
const PY_MCP_TEXT = /^[ \t]*(?:from|import)[ \t]+(?:mcp|fastmcp)\b|\.run(?:_async)?\(\s*transport\s*=|\b(?:sse_app|streamable_http_app|http_app)\s*\(|MCPServer|FastMCP/m;

/**
 * What the TypeScript and JavaScript files of a set add to their facts (servers, tools,
 * transports): `inventory.ts` has it, with the TypeScript compiler.
 */
export type ScriptFacts = (files: readonly SourceInput[], isChecked: (path: string) => boolean, of: (path: string) => FileFacts | undefined) => void;

/**
 * What each file of `options.only` (every file, without it) contributes to an inventory. The other
 * files are context, as for `analyze`: a unit of a repository scan checks its own files and reads
 * the manifests and project configs around them. `analyzer` finds the findings (`analyze`, or
 * `analyzeScriptless` for files none of which is TypeScript or JavaScript) and `scripts` reads the
 * TypeScript and JavaScript files' servers and tools (see `inventoryFacts`).
 */
export function inventoryFactsWith(analyzer: Analyzer, scripts: ScriptFacts | undefined, files: readonly SourceInput[], options: AnalyzeOptions = {}): FileFacts[] {
  const result = analyzer(files, options);
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

  scripts?.(files, isChecked, of);
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

/**
 * `inventoryFacts` for files none of which is TypeScript or JavaScript (a Python repository's
 * units, configs, manifests): the same facts without loading the TypeScript compiler.
 */
export function inventoryFactsScriptless(files: readonly SourceInput[], options: AnalyzeOptions = {}): FileFacts[] {
  return inventoryFactsWith(analyzeScriptless, undefined, files, options);
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
