import { PythonModule } from "./module.js";
import type { PyNode } from "./parser.js";

const RELATIVE_IMPORT = /^[ \t]*from[ \t]+\./m;

/** A function definition and the module it lives in. */
export interface PyFunction {
  module: PythonModule;
  fn: PyNode;
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

  constructor(private readonly sources: ReadonlyMap<string, string>) {}

  /** True when some file of the analysis imports the MCP SDK or fastmcp: without one there is no tool input to follow. */
  get hasMcpServer(): boolean {
    this.mcp ??= [...this.sources.values()].some((text) => /^\s*(?:from|import)\s+(?:mcp|fastmcp)\b/m.test(text));
    return this.mcp;
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

  /** Resolves a called name or `module.function` attribute to its definition, in this module or a relatively imported one. */
  resolveFunction(module: PythonModule, callee: PyNode): PyFunction | undefined {
    if (callee.type === "identifier") {
      const name = callee.text;
      const local = module.functions.get(name);
      if (local && !isMethod(local)) return { module, fn: local };
      const binding = module.imports.get(name);
      if (binding?.relative?.name) {
        const target = this.moduleAt(binding.relative.path);
        const fn = target?.functions.get(binding.relative.name);
        if (target && fn) return { module: target, fn };
      }
      return undefined;
    }
    if (callee.type === "attribute") {
      const base = callee.childForFieldName("object");
      const name = callee.childForFieldName("attribute")?.text;
      if (base?.type !== "identifier" || !name) return undefined;
      const binding = module.imports.get(base.text);
      if (!binding?.relative) return undefined;
      const target = this.moduleAt(binding.relative.name ? `${binding.relative.path}/${binding.relative.name}` : binding.relative.path);
      const fn = target?.functions.get(name);
      return target && fn ? { module: target, fn } : undefined;
    }
    return undefined;
  }

  /** Modules of the analysis that import `path` relatively: where callers of its functions may live. */
  importersOf(path: string): PythonModule[] {
    if (!this.importIndex) {
      // Built once: only files with a relative import are parsed for it.
      this.importIndex = new Map();
      for (const [candidate, text] of this.sources) {
        if (!RELATIVE_IMPORT.test(text)) continue;
        const module = this.linkable(candidate);
        if (!module) continue;
        for (const b of module.imports.values()) {
          if (!b.relative) continue;
          for (const target of [b.relative.path, `${b.relative.path}/${b.relative.name}`]) {
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

function isMethod(fn: PyNode): boolean {
  return fn.parent?.parent?.type === "class_definition" || fn.parent?.parent?.parent?.type === "class_definition";
}
