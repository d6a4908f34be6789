import { posix } from "node:path";
import type { SourceFile } from "ts-morph";
import { exportedDeclaration, linkModule } from "./imports.js";
import { isProjectConfig, languageOf } from "./language.js";
import { createMcpFile, type McpFile } from "./mcp.js";
import { Resolver } from "./resolve.js";
import type { SourceInput } from "./types.js";

/** How far along relative imports the engine parses files around the ones rules run on. */
export const MAX_IMPORT_DEPTH = 5;

/** Module specifiers of imports, re-exports, `require` and dynamic `import()`. */
const IMPORT_SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)["']([^"'\s]+)["']/g;
/** Specifiers that tsconfig `paths` commonly map into the project, used when no tsconfig says otherwise. */
const CONVENTIONAL_ALIAS = /^[~@#]\/(.+)$/;
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

  /** tsconfig/jsconfig files by directory: their `paths` and `baseUrl` map non-relative specifiers into the project. */
  private readonly configs = new Map<string, ModulePaths>();

  constructor(files: readonly SourceInput[]) {
    const configs: SourceInput[] = [];
    for (const file of files) {
      if (isProjectConfig(file.path)) configs.push(file);
      else if (languageOf(file.path)) this.entries.set(file.path, { path: file.path, content: file.content });
    }
    const byPath = new Map(configs.map((c) => [c.path, c.content]));
    for (const config of configs) {
      if (!/(?:^|\/)[tj]sconfig\.json$/.test(config.path)) continue;
      const paths = modulePaths(config.path, byPath);
      if (paths) this.configs.set(posix.dirname(config.path), paths);
    }
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

  /**
   * The path of the file of the analysis a module specifier of the file at `from` names: a relative
   * path, or a tsconfig `paths`/`baseUrl` alias. Files need not be parsed (nor their text given).
   */
  resolveSpecifier(from: string, specifier: string): string | undefined {
    return this.resolvePath(from, specifier);
  }

  private resolvePath(from: string, specifier: string): string | undefined {
    if (specifier.startsWith(".")) return this.fileAt(posix.normalize(posix.join(posix.dirname(from), specifier)));
    if (specifier.startsWith("/") || specifier.startsWith("node:")) return undefined;
    const config = this.configFor(from);
    if (config) {
      for (const base of config.candidates(specifier)) {
        const found = this.fileAt(base);
        if (found) return found;
      }
      return undefined;
    }
    // No tsconfig among the files (a pull request's changed files): the usual `~/` and `@/` into src/.
    const alias = CONVENTIONAL_ALIAS.exec(specifier);
    return alias ? (this.fileAt(`src/${alias[1]}`) ?? this.fileAt(alias[1]!)) : undefined;
  }

  private fileAt(base: string): string | undefined {
    const stem = base.replace(/\.(?:[mc]?js|jsx)$/, "");
    const candidates = [base, ...EXTENSIONS.map((e) => stem + e), ...EXTENSIONS.map((e) => `${base}/index${e}`)];
    return candidates.find((c) => this.entries.has(c));
  }

  /** The tsconfig of the nearest folder above `path` that has one. */
  private configFor(path: string): ModulePaths | undefined {
    if (this.configs.size === 0) return undefined;
    for (let dir = posix.dirname(path); ; dir = posix.dirname(dir)) {
      const config = this.configs.get(dir);
      if (config) return config;
      if (dir === "." || dir === "/" || dir === "") return undefined;
    }
  }
}

/** How a tsconfig maps non-relative specifiers to folders of the project. */
interface ModulePaths {
  candidates(specifier: string): string[];
}

/** `compilerOptions.paths` and `baseUrl` of a tsconfig, following a relative `extends` among the files. */
function modulePaths(configPath: string, files: ReadonlyMap<string, string>, depth = 0): ModulePaths | undefined {
  const options = readCompilerOptions(configPath, files, depth);
  if (!options) return undefined;
  const { baseUrl, paths } = options;
  if (baseUrl === undefined && paths === undefined) return undefined;
  const pathsBase = options.pathsBase ?? baseUrl ?? posix.dirname(configPath);
  return {
    candidates(specifier) {
      const out: string[] = [];
      for (const [pattern, targets] of Object.entries(paths ?? {})) {
        const star = pattern.indexOf("*");
        let rest: string | undefined;
        if (star < 0) rest = pattern === specifier ? "" : undefined;
        else if (specifier.startsWith(pattern.slice(0, star)) && specifier.endsWith(pattern.slice(star + 1)) && specifier.length >= pattern.length - 1) {
          rest = specifier.slice(star, specifier.length - (pattern.length - star - 1));
        }
        if (rest === undefined || !Array.isArray(targets)) continue;
        for (const target of targets) if (typeof target === "string") out.push(posix.normalize(posix.join(pathsBase, target.replace("*", rest))));
      }
      if (baseUrl !== undefined) out.push(posix.normalize(posix.join(baseUrl, specifier)));
      return out.map((p) => p.replace(/^\.\//, ""));
    },
  };
}

interface CompilerPaths {
  /** Relative to the scanned root. */
  baseUrl?: string;
  paths?: Record<string, unknown>;
  /** Where `paths` targets start: baseUrl, or the folder of the tsconfig that declares them. */
  pathsBase?: string;
}

function readCompilerOptions(configPath: string, files: ReadonlyMap<string, string>, depth: number): CompilerPaths | undefined {
  const text = files.get(configPath);
  if (text === undefined || depth > 4) return undefined;
  let json: { extends?: unknown; compilerOptions?: { baseUrl?: unknown; paths?: unknown } };
  try {
    json = JSON.parse(withoutJsonComments(text)) as typeof json;
  } catch {
    return undefined;
  }
  const dir = posix.dirname(configPath);
  const inherited = typeof json.extends === "string" && json.extends.startsWith(".")
    ? readCompilerOptions(posix.normalize(posix.join(dir, json.extends.endsWith(".json") ? json.extends : `${json.extends}.json`)), files, depth + 1)
    : undefined;
  const options = json.compilerOptions ?? {};
  const out: CompilerPaths = { ...inherited };
  if (typeof options.baseUrl === "string") out.baseUrl = posix.normalize(posix.join(dir, options.baseUrl));
  if (options.paths && typeof options.paths === "object") {
    out.paths = options.paths as Record<string, unknown>;
    out.pathsBase = out.baseUrl ?? dir;
  }
  return out;
}

/** tsconfig files are JSON with comments and trailing commas. */
function withoutJsonComments(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      const end = stringEnd(text, i);
      out += text.slice(i, end);
      i = end - 1;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 1;
    } else {
      out += c;
    }
  }
  return out.replace(/,(\s*[}\]])/g, "$1");
}

function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i + 1;
  }
  return text.length;
}
