import { posix } from "node:path";
import { Node, SyntaxKind, type SourceFile } from "ts-morph";
import { languageOf } from "./language.js";
import { createMcpFile, functionOf, type FunctionLike, type McpFile } from "./mcp.js";
import type { SourceInput } from "./types.js";
import { declarationOf, descendantsOfKind, unwrap } from "./values.js";

/** How far along relative imports the engine parses files around the ones rules run on. */
export const MAX_IMPORT_DEPTH = 3;

const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g;
/** Text that marks a file as an MCP server: handlers, and so taint sources, live there. */
const MCP_SERVER_TEXT = /@modelcontextprotocol\/sdk|\b(?:McpServer|StreamableHTTPServerTransport|SSEServerTransport|CallToolRequestSchema)\b/;
const EXTENSIONS = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];

interface Entry {
  path: string;
  content: string;
  sourceFile?: SourceFile;
  mcp?: McpFile;
  imports?: string[];
}

/**
 * The files of one analysis, linked by their relative imports. The GitHub review only has the
 * pull request's changed files: an import whose module is absent resolves to nothing, and taint
 * simply stops there.
 */
export class Workspace {
  private readonly entries = new Map<string, Entry>();
  private readonly pathOf = new Map<SourceFile, string>();
  private importers?: Map<string, string[]>;
  /** MCP server files and the modules they reach by relative imports: where cross-file taint can start. */
  private readonly mcpReach = new Set<string>();

  constructor(files: readonly SourceInput[]) {
    for (const file of files) if (languageOf(file.path)) this.entries.set(file.path, { path: file.path, content: file.content });
  }

  /** Records a file parsed by the caller. */
  register(path: string, sourceFile: SourceFile): void {
    const entry = this.entries.get(path);
    if (!entry) return;
    entry.sourceFile = sourceFile;
    this.pathOf.set(sourceFile, path);
  }

  /**
   * Parses, with `parse`, the MCP server files whose relative imports (up to MAX_IMPORT_DEPTH
   * deep) reach a file that rules run on, and the modules on the way, so that taint can follow
   * calls from handlers into those modules; and the modules that an MCP server file rules run on
   * imports, so that rules can follow its values into helpers. Parsing happens before any rule runs: adding files to
   * the project later would rebuild its type checker.
   */
  link(parse: (path: string, content: string) => SourceFile | undefined): void {
    const analyzed = new Set([...this.entries.values()].filter((e) => e.sourceFile).map((e) => e.path));
    if (analyzed.size === 0) return;
    for (const entry of this.entries.values()) {
      if (!MCP_SERVER_TEXT.test(entry.content)) continue;
      this.mcpReach.add(entry.path);
      const reached = new Set<string>();
      let frontier = [entry.path];
      for (let depth = 0; depth < MAX_IMPORT_DEPTH && frontier.length > 0; depth++) {
        const next: string[] = [];
        for (const path of frontier) for (const target of this.importsOf(path)) if (!reached.has(target)) reached.add(target), next.push(target);
        frontier = next;
      }
      for (const path of reached) this.mcpReach.add(path);
      // Also the modules an analyzed server file imports: rules that follow values (a listen
      // host from a helper, an Origin check in a utility module) read them.
      if (!analyzed.has(entry.path) && ![...reached].some((p) => analyzed.has(p))) continue;
      for (const path of [entry.path, ...reached]) {
        const e = this.entries.get(path)!;
        if (e.sourceFile) continue;
        const sourceFile = parse(path, e.content);
        if (sourceFile) this.register(path, sourceFile);
      }
    }
  }

  /**
   * The files joined to `paths` by relative imports, either way and at any depth, `paths`
   * included: the only files whose parsing can change what rules find in `paths`.
   */
  connectedTo(paths: Iterable<string>): Set<string> {
    const seen = new Set<string>();
    const stack = [...paths].filter((p) => this.entries.has(p));
    while (stack.length > 0) {
      const path = stack.pop()!;
      if (seen.has(path)) continue;
      seen.add(path);
      stack.push(...this.importsOf(path), ...(this.importersIndex().get(path) ?? []));
    }
    return seen;
  }

  /** The path, relative to the scanned root, of a file of this analysis. */
  relativePath(sourceFile: SourceFile): string | undefined {
    return this.pathOf.get(sourceFile);
  }

  /** MCP facts of a file, computed once and shared by rules and by cross-file taint. */
  mcpOf(sourceFile: SourceFile): McpFile {
    const path = this.pathOf.get(sourceFile);
    const entry = path ? this.entries.get(path) : undefined;
    if (!entry) return createMcpFile(sourceFile);
    entry.mcp ??= createMcpFile(sourceFile);
    return entry.mcp;
  }

  /** The parsed file a relative specifier of `from` names, if it is part of this analysis. */
  resolve(from: SourceFile, specifier: string): SourceFile | undefined {
    const path = this.pathOf.get(from);
    if (!path || !specifier.startsWith(".")) return undefined;
    const target = this.resolvePath(path, specifier);
    return target ? this.entries.get(target)?.sourceFile : undefined;
  }

  /** Parsed files that import `file` by a relative path. */
  importersOf(file: SourceFile): SourceFile[] {
    const path = this.pathOf.get(file);
    if (!path) return [];
    return (this.importersIndex().get(path) ?? []).map((p) => this.entries.get(p)?.sourceFile).filter((s): s is SourceFile => !!s);
  }

  /** True when an MCP server file imports `file`, directly or through other modules: only then can input reach it from elsewhere. */
  hasImporters(file: SourceFile): boolean {
    const path = this.pathOf.get(file);
    return !!path && this.mcpReach.has(path) && this.importersOf(file).length > 0;
  }

  private importsOf(path: string): string[] {
    const entry = this.entries.get(path);
    if (!entry) return [];
    if (!entry.imports) {
      const out = new Set<string>();
      for (const match of entry.content.matchAll(RELATIVE_IMPORT)) {
        const target = this.resolvePath(path, match[1]!);
        if (target && target !== path) out.add(target);
      }
      entry.imports = [...out];
    }
    return entry.imports;
  }

  private importersIndex(): Map<string, string[]> {
    if (!this.importers) {
      this.importers = new Map();
      for (const path of this.entries.keys()) {
        for (const target of this.importsOf(path)) this.importers.set(target, [...(this.importers.get(target) ?? []), path]);
      }
    }
    return this.importers;
  }

  private resolvePath(from: string, specifier: string): string | undefined {
    const base = posix.normalize(posix.join(posix.dirname(from), specifier));
    const stem = base.replace(/\.(?:[mc]?js|jsx)$/, "");
    const candidates = [base, ...EXTENSIONS.map((e) => stem + e), ...EXTENSIONS.map((e) => `${base}/index${e}`)];
    return candidates.find((c) => this.entries.has(c));
  }
}

/** A module-level function: a function declaration, or a `const` bound to an arrow or function expression. */
function topLevelFunction(sourceFile: SourceFile, name: string): FunctionLike | undefined {
  const fn = sourceFile.getFunction(name);
  if (fn?.getBody()) return fn;
  const decl = sourceFile.getVariableDeclaration(name);
  const init = decl?.getInitializer();
  const inner = init ? unwrap(init) : undefined;
  if (inner && (Node.isArrowFunction(inner) || Node.isFunctionExpression(inner))) return inner;
  return undefined;
}

/**
 * The function `name` that a module exports: `export function`, `export const`, `export { local as
 * name }`, `export default function`, `exports.name = ...` and `module.exports = { name }`.
 */
export function exportedFunction(sourceFile: SourceFile, name: string): FunctionLike | undefined {
  if (name === "default") {
    const def = sourceFile.getDefaultExportSymbol()?.getDeclarations()[0];
    if (def && Node.isFunctionDeclaration(def)) return def;
    if (def && Node.isExportAssignment(def)) return functionOf(def.getExpression());
  }
  for (const decl of sourceFile.getExportDeclarations()) {
    if (decl.getModuleSpecifier()) continue;
    for (const spec of decl.getNamedExports()) {
      if ((spec.getAliasNode()?.getText() ?? spec.getName()) === name) return topLevelFunction(sourceFile, spec.getName());
    }
  }
  const local = topLevelFunction(sourceFile, name);
  if (local && isExported(local)) return local;
  for (const assignment of descendantsOfKind(sourceFile, SyntaxKind.BinaryExpression)) {
    if (assignment.getOperatorToken().getKind() !== SyntaxKind.EqualsToken) continue;
    const left = assignment.getLeft().getText().replace(/\s+/g, "");
    if (left === `exports.${name}` || left === `module.exports.${name}`) return functionOf(assignment.getRight());
    if (left === "module.exports") {
      const right = unwrap(assignment.getRight());
      if (Node.isObjectLiteralExpression(right)) {
        const prop = right.getProperty(name);
        if (prop && Node.isShorthandPropertyAssignment(prop)) return topLevelFunction(sourceFile, name);
        if (prop && Node.isPropertyAssignment(prop)) return functionOf(prop.getInitializerOrThrow());
        if (prop && Node.isMethodDeclaration(prop)) return prop;
      }
    }
  }
  return undefined;
}

function isExported(fn: FunctionLike): boolean {
  if (Node.isFunctionDeclaration(fn)) return fn.isExported();
  const statement = fn.getFirstAncestorByKind(SyntaxKind.VariableStatement);
  return !!statement?.isExported();
}

/** The names under which a module exports a function (for finding its callers in importers). */
export function exportNamesOf(fn: FunctionLike): string[] {
  const sourceFile = fn.getSourceFile();
  const names: string[] = [];
  const local = Node.isFunctionDeclaration(fn) ? fn.getName() : Node.isVariableDeclaration(fn.getParent()) ? (fn.getParent() as import("ts-morph").VariableDeclaration).getName() : undefined;
  if (Node.isFunctionDeclaration(fn) && fn.isDefaultExport()) names.push("default");
  if (local && exportedFunction(sourceFile, local) === fn) names.push(local);
  for (const decl of sourceFile.getExportDeclarations()) {
    for (const spec of decl.getNamedExports()) {
      const alias = spec.getAliasNode()?.getText();
      if (alias && spec.getName() === local) names.push(alias);
    }
  }
  // exports.name = function (...) {...} / module.exports = { name(...) {...} }
  const parent = fn.getParent();
  if (parent && Node.isBinaryExpression(parent)) {
    const m = /^(?:module\.)?exports\.([\w$]+)$/.exec(parent.getLeft().getText().replace(/\s+/g, ""));
    if (m) names.push(m[1]!);
  }
  if (parent && (Node.isPropertyAssignment(parent) || Node.isObjectLiteralExpression(parent))) {
    const name = Node.isPropertyAssignment(parent) ? parent.getName() : undefined;
    if (name && exportedFunction(sourceFile, name) === fn) names.push(name);
  }
  if (Node.isMethodDeclaration(fn) && exportedFunction(sourceFile, fn.getName()) === fn) names.push(fn.getName());
  return [...new Set(names)];
}
