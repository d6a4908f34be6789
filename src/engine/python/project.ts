import { PythonModule, type ImportBinding } from "./module.js";
import { isPythonMcpServer } from "./server-text.js";
import type { PyNode } from "./parser.js";

/** Files whose imports are indexed for callers: relative imports, MCP servers, and absolute imports of the project's own packages. */
const INDEXED = /^[ \t]*from[ \t]+\.|^[ \t]*(?:from|import)[ \t]+(?:mcp|fastmcp)\b/m;

/** A function definition and the module it lives in. */
export interface PyFunction {
  module: PythonModule;
  fn: PyNode;
}

/** What a name refers to: a function or class definition, or a whole module. */
export interface PyDefinition {
  kind: "function" | "class" | "module";
  module: PythonModule;
  node: PyNode;
}

/**
 * The Python files of one analysis, parsed on first use, so that relative imports can be
 * followed into modules no rule needed on their own. Trees live in WebAssembly memory:
 * `dispose()` frees them.
 */
export class PythonProject {
  private readonly modules = new Map<string, PythonModule | null>();
  private mcp?: boolean;
  private importIndex?: Map<string, PythonModule[]>;
  private suffixes?: Map<string, string | null>;
  private modulesLayout?: ModuleLayout;
  private names?: Set<string>;

  /** `tree`: when the analysis is one unit of a larger tree, what the whole tree says (see `PythonTreeFacts`). */
  constructor(
    private readonly sources: ReadonlyMap<string, string>,
    private readonly tree?: PythonTreeFacts,
  ) {}

  /** True when some file of the analysis imports the MCP SDK or fastmcp: without one there is no tool input to follow. */
  get hasMcpServer(): boolean {
    this.mcp ??= this.tree?.hasMcpServer ?? [...this.sources.values()].some(isPythonMcpServer);
    return this.mcp;
  }

  /** Names defined by a `def` or `class` anywhere in the analysis: a call to any other name runs no code of the project. */
  definedNames(): ReadonlySet<string> {
    if (!this.names) {
      this.names = new Set();
      for (const text of this.sources.values()) for (const m of text.matchAll(/^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)/gm)) this.names.add(m[1]!);
    }
    return this.names;
  }

  /** The modules that import the MCP SDK or fastmcp: where tools are registered. */
  mcpModules(): PythonModule[] {
    const out: PythonModule[] = [];
    for (const [path, text] of this.sources) {
      if (!/^\s*(?:from|import)\s+(?:mcp|fastmcp)\b/m.test(text)) continue;
      const module = this.linkable(path);
      if (module) out.push(module);
    }
    return out;
  }

  /** The parsed module at a POSIX path, or undefined when it is not part of the analysis. */
  module(path: string): PythonModule | undefined {
    const cached = this.modules.get(path);
    if (cached !== undefined) return cached ?? undefined;
    const text = this.sources.get(path);
    this.modules.set(path, null);
    const module = text === undefined ? null : PythonModule.parse(path, text);
    this.modules.set(path, module);
    return module ?? undefined;
  }

  /** A module by its dotted-path form without extension (`pkg/helpers`): `pkg/helpers.py` or `pkg/helpers/__init__.py`. */
  moduleAt(base: string): PythonModule | undefined {
    for (const candidate of [`${base}.py`, `${base}/__init__.py`]) {
      if (this.sources.has(candidate)) return this.linkable(candidate);
    }
    return undefined;
  }

  /**
   * Where an import points inside this analysis, as a module path without extension and the
   * imported name. Relative imports as written. An absolute import (`from mypkg.helpers import run`)
   * resolves as Python would from the importer: against the folders it can be run from (its own
   * folder, each folder above it that is not inside a package, and their `src/`), nearest first;
   * else against the one package of the tree that ends with the dotted name and sits at such a root
   * (a sibling project of a monorepo). A lone module elsewhere (`copy.py` inside another package)
   * is not what `import copy` loads. `planUnits` splits trees with this method too: resolve imports
   * nowhere else.
   */
  target(binding: ImportBinding): { path: string; name?: string } | undefined {
    if (binding.relative) return binding.relative;
    const parts = binding.qualified.split(".");
    const dotted = parts.join("/");
    const parent = parts.length > 1 ? parts.slice(0, -1).join("/") : undefined;
    const layout = this.layout();
    if (binding.importer !== undefined) {
      for (const root of layout.rootsOf(binding.importer)) {
        const prefix = root ? `${root}/` : "";
        if (layout.bases.has(prefix + dotted)) return { path: prefix + dotted };
        if (parent !== undefined && layout.bases.has(prefix + parent)) return { path: prefix + parent, name: parts[parts.length - 1] };
      }
    }
    const whole = this.bySuffix(dotted);
    if (whole && layout.isPackagePath(whole, parts.length)) return { path: whole };
    const outer = parent !== undefined ? this.bySuffix(parent) : undefined;
    return outer && layout.isPackagePath(outer, parts.length - 1) ? { path: outer, name: parts[parts.length - 1] } : undefined;
  }

  /**
   * What a name of a module refers to in this analysis: a function, a class or a module,
   * following imports and the re-exports of package `__init__` files (three hops).
   */
  definitionOf(module: PythonModule, name: string, depth = 0): PyDefinition | undefined {
    const fn = module.functions.get(name);
    if (fn && !isMethod(fn)) return { kind: "function", module, node: fn };
    const cls = module.classes.get(name);
    if (cls) return { kind: "class", module, node: cls };
    const binding = module.imports.get(name);
    const target = binding && depth < 3 ? this.target(binding) : undefined;
    if (!target) return undefined;
    if (!target.name) {
      const whole = this.moduleAt(target.path);
      return whole ? { kind: "module", module: whole, node: whole.root } : undefined;
    }
    const from = this.moduleAt(target.path);
    const inner = from && from !== module ? this.definitionOf(from, target.name, depth + 1) : undefined;
    if (inner) return inner;
    const sub = this.moduleAt(`${target.path}/${target.name}`);
    return sub ? { kind: "module", module: sub, node: sub.root } : undefined;
  }

  /** Resolves a called name or `module.function` attribute to its definition, in this module or an imported module of the analysis. */
  resolveFunction(module: PythonModule, callee: PyNode): PyFunction | undefined {
    if (callee.type === "identifier") {
      const def = this.definitionOf(module, callee.text);
      return def?.kind === "function" ? { module: def.module, fn: def.node } : undefined;
    }
    if (callee.type === "attribute") {
      const base = callee.childForFieldName("object");
      const name = callee.childForFieldName("attribute")?.text;
      if (base?.type !== "identifier" || !name) return undefined;
      const owner = this.definitionOf(module, base.text);
      if (owner?.kind !== "module") return undefined;
      const def = this.definitionOf(owner.module, name);
      return def?.kind === "function" ? { module: def.module, fn: def.node } : undefined;
    }
    return undefined;
  }

  private layout(): ModuleLayout {
    this.modulesLayout ??= this.tree ? treeLayoutOf(this.tree.modules) : new ModuleLayout([...this.sources.keys()].filter((p) => p.endsWith(".py")));
    return this.modulesLayout;
  }

  /** The one module path (without extension) that ends with `suffix`, or undefined when none or several do. */
  private bySuffix(suffix: string): string | undefined {
    this.suffixes ??= this.tree ? treeSuffixesOf(this.tree.modules) : moduleSuffixes(this.sources.keys());
    return this.suffixes.get(suffix) ?? undefined;
  }

  /** Modules of the analysis that import `path` relatively: where callers of its functions may live. */
  importersOf(path: string): PythonModule[] {
    if (!this.importIndex) {
      // Built once: only files with a relative import, or MCP servers, are parsed for it.
      this.importIndex = new Map();
      const own = this.ownPackages();
      for (const [candidate, text] of this.sources) {
        if (!INDEXED.test(text) && !(own && own.test(text))) continue;
        const module = this.linkable(candidate);
        if (!module) continue;
        for (const b of module.imports.values()) {
          const t = this.target(b);
          if (!t) continue;
          for (const target of [t.path, `${t.path}/${t.name}`]) {
            const list = this.importIndex.get(target) ?? [];
            if (!list.includes(module)) list.push(module);
            this.importIndex.set(target, list);
          }
        }
      }
    }
    const base = path.replace(/(?:\/__init__)?\.py$/, "");
    return (this.importIndex.get(base) ?? []).filter((m) => m.path !== path);
  }

  /** `from mypkg.x import y` / `import mypkg.x` for the packages of this analysis (folders with an `__init__.py`). */
  private ownPackages(): RegExp | undefined {
    // A unit of a larger tree knows the packages of the whole tree: a package's `__init__.py` may
    // sit in another unit while a module of the package is in this one.
    const names = ownPackageNames(this.tree?.modules ?? this.sources.keys());
    return names.size > 0 ? new RegExp(`^[ \\t]*(?:from|import)[ \\t]+(?:${[...names].join("|")})\\b`, "m") : undefined;
  }

  /** A module other files may be linked to: one that parses without errors (it is skipped otherwise). */
  private linkable(path: string): PythonModule | undefined {
    const module = this.module(path);
    return module && !module.root.hasError ? module : undefined;
  }

  dispose(): void {
    for (const module of this.modules.values()) module?.tree.delete();
    this.modules.clear();
  }
}

/**
 * What a unit of a larger tree needs to know of the whole tree to answer as an analysis of the
 * whole tree would: its Python modules (an absolute import names the one module whose path ends
 * with its dotted name), and whether any of them is an MCP server.
 */
export interface PythonTreeFacts {
  modules: readonly string[];
  hasMcpServer: boolean;
}

/** The names of the packages among these module paths: folders with an `__init__.py`. */
export function ownPackageNames(paths: Iterable<string>): Set<string> {
  const names = new Set<string>();
  for (const path of paths) {
    const m = /(?:^|\/)([A-Za-z_][\w]*)\/__init__\.py$/.exec(path);
    if (m) names.add(m[1]!);
  }
  return names;
}

/** Each path suffix of the modules (without extension) → the one module that ends with it, or null when several do. */
function moduleSuffixes(paths: Iterable<string>): Map<string, string | null> {
  const suffixes = new Map<string, string | null>();
  for (const path of paths) {
    const base = path.replace(/(?:\/__init__)?\.py$/, "");
    const segments = base.split("/");
    for (let i = 0; i < segments.length; i++) {
      const key = segments.slice(i).join("/");
      suffixes.set(key, suffixes.has(key) && suffixes.get(key) !== base ? null : base);
    }
  }
  return suffixes;
}

/**
 * Where the modules of an analysis sit: which module paths exist (without extension, `__init__`
 * dropped), which folders are packages (hold an `__init__.py`), and from which folders an importer
 * can be run.
 */
class ModuleLayout {
  readonly bases = new Set<string>();
  private readonly packages = new Set<string>();
  private readonly folders = new Set<string>();
  private readonly roots = new Map<string, string[]>();

  constructor(paths: Iterable<string>) {
    for (const path of paths) {
      this.bases.add(path.replace(/(?:\/__init__)?\.py$/, ""));
      if (/(?:^|\/)__init__\.py$/.test(path)) this.packages.add(folderOf(path));
      for (let dir = folderOf(path); !this.folders.has(dir); dir = folderOf(dir)) {
        this.folders.add(dir);
        if (dir === "") break;
      }
    }
  }

  /**
   * The folders an import in `importer` is looked up in, nearest first: the importer's own folder
   * (a script's folder is the first entry of `sys.path`), then each folder above it that is not
   * inside a package, each followed by its `src/` (the src layout), when that is not a package.
   */
  rootsOf(importer: string): readonly string[] {
    const own = folderOf(importer);
    let roots = this.roots.get(own);
    if (roots) return roots;
    roots = [own];
    for (let dir = own; ; dir = folderOf(dir)) {
      if (!this.packages.has(dir) && !roots.includes(dir)) roots.push(dir);
      const src = dir ? `${dir}/src` : "src";
      if (this.folders.has(src) && !this.packages.has(src) && !roots.includes(src)) roots.push(src);
      if (dir === "") break;
    }
    this.roots.set(own, roots);
    return roots;
  }

  /**
   * True when `base` (a module path without extension) is the dotted name of `depth` parts in a
   * package that sits at a root: the folder above the top package is not itself a package, and
   * the top name is a folder (a package), not a lone module.
   */
  isPackagePath(base: string, depth: number): boolean {
    const segments = base.split("/");
    const top = segments.length - depth;
    if (top < 0) return false;
    const above = segments.slice(0, top).join("/");
    if (this.packages.has(above)) return false;
    return depth > 1 || this.packages.has(base) || this.folders.has(base);
  }
}

/** The layout of a tree's modules, built once and shared by its units. */
const treeLayouts = new WeakMap<readonly string[], ModuleLayout>();

function treeLayoutOf(modules: readonly string[]): ModuleLayout {
  let layout = treeLayouts.get(modules);
  if (!layout) treeLayouts.set(modules, (layout = new ModuleLayout(modules)));
  return layout;
}

function folderOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

/** The suffix index of a tree, built once and shared by its units. */
const treeSuffixes = new WeakMap<readonly string[], Map<string, string | null>>();

function treeSuffixesOf(modules: readonly string[]): Map<string, string | null> {
  let suffixes = treeSuffixes.get(modules);
  if (!suffixes) treeSuffixes.set(modules, (suffixes = moduleSuffixes(modules)));
  return suffixes;
}

function isMethod(fn: PyNode): boolean {
  return fn.parent?.parent?.type === "class_definition" || fn.parent?.parent?.parent?.type === "class_definition";
}
