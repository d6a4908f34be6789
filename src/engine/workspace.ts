import type { SourceFile } from "ts-morph";
import { exportedDeclaration, linkModule } from "./imports.js";
import { isProjectConfig, languageOf } from "./language.js";
import { createMcpFile, type McpFile } from "./mcp.js";
import { ModuleResolution } from "./module-resolution.js";
import { Resolver } from "./resolve.js";
import type { SourceInput } from "./types.js";

/** How far along relative imports the engine parses files around the ones rules run on. */
export const MAX_IMPORT_DEPTH = 5;

/** Module specifiers of imports, re-exports, `require` and dynamic `import()`. */
const IMPORT_SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)["']([^"'\s]+)["']/g;
/** Text that marks a file as an MCP server: handlers, and so taint sources, live there. */
const MCP_SERVER_TEXT = /@modelcontextprotocol\/sdk|\b(?:McpServer|StreamableHTTPServerTransport|SSEServerTransport|CallToolRequestSchema)\b/;

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

  /** How specifiers name files of the analysis: relative paths, and tsconfig `paths` and `baseUrl` aliases. */
  private readonly modules: ModuleResolution;

  constructor(files: readonly SourceInput[]) {
    const configs: SourceInput[] = [];
    for (const file of files) {
      if (isProjectConfig(file.path)) configs.push(file);
      else if (languageOf(file.path)) this.entries.set(file.path, { path: file.path, content: file.content });
    }
    this.modules = new ModuleResolution((path) => this.entries.has(path), configs);
  }

  /** The path of a parsed file of this analysis. */
  pathFor(sourceFile: SourceFile): string | undefined {
    return this.pathOf.get(sourceFile);
  }

  /** Records a file parsed by the caller. */
  register(path: string, sourceFile: SourceFile): void {
    const entry = this.entries.get(path);
    if (!entry) return;
    entry.sourceFile = sourceFile;
    this.pathOf.set(sourceFile, path);
    linkModule(sourceFile, this);
  }

  private shared?: Resolver;

  /** The analysis-wide answers to "which functions does this call invoke, and who calls this function". */
  resolver(): Resolver {
    this.shared ??= new Resolver(() => this.parsedFiles(), (file) => this.mcpOf(file));
    return this.shared;
  }

  /** Every parsed file of the analysis. */
  parsedFiles(): SourceFile[] {
    return [...this.pathOf.keys()];
  }

  /** The path of a parsed file, relative to the scanned root. */
  pathOfFile(file: SourceFile): string | undefined {
    return this.pathOf.get(file);
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

  /** MCP facts of a file, computed once and shared by rules and by cross-file taint. */
  mcpOf(sourceFile: SourceFile): McpFile {
    const path = this.pathOf.get(sourceFile);
    const entry = path ? this.entries.get(path) : undefined;
    if (!entry) return createMcpFile(sourceFile);
    entry.mcp ??= createMcpFile(sourceFile);
    return entry.mcp;
  }

  /**
   * The parsed file a specifier of `from` names, if it is part of this analysis: a relative path,
   * or a tsconfig `paths`/`baseUrl` alias (`~/utils/x.js`, `@/lib/x`).
   */
  resolve(from: SourceFile, specifier: string): SourceFile | undefined {
    const path = this.pathOf.get(from);
    if (!path) return undefined;
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
      for (const match of entry.content.matchAll(IMPORT_SPECIFIER)) {
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
    return this.modules.resolve(from, specifier);
  }
}
