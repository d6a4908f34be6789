import { joinModule, resolveRelative } from "./module-paths.js";
import { parsePython, type PyNode, type PyTree } from "./parser.js";

/** What a local name was imported as: `subprocess`, `os.path`, `subprocess.run`, or a relative module. */
export interface ImportBinding {
  /** Dotted absolute name (`subprocess.run`), or `.helpers.run` style for relative imports. */
  qualified: string;
  /** For relative imports: the resolved module path (POSIX, like the file paths) and the imported name. */
  relative?: { path: string; name?: string };
  /** The importing file's path: an absolute import resolves against the roots it can be run from first. */
  importer?: string;
}

/**
 * One parsed Python file: its tree, its nodes by kind (collected once), its imports and its
 * top-level functions. Rules and the taint engine read it; they never walk the tree themselves
 * when a by-kind list will do.
 */
export class PythonModule {
  readonly root: PyNode;
  private byKind?: Map<string, PyNode[]>;
  private importMap?: Map<string, ImportBinding>;
  private functionMap?: Map<string, PyNode>;
  private classMap?: Map<string, PyNode>;
  private readonly qualified = new Map<number, string | undefined>();

  constructor(
    readonly path: string,
    readonly text: string,
    readonly tree: PyTree,
  ) {
    this.root = tree.rootNode;
    moduleOfTree.set(tree, this);
  }

  static parse(path: string, text: string): PythonModule {
    return new PythonModule(path, text, parsePython(text));
  }

  /** Every node of one of these kinds, in source order. */
  nodesOf(...kinds: string[]): PyNode[] {
    if (!this.byKind) this.byKind = collect(this.root);
    for (const kind of kinds) if (!this.byKind.has(kind)) this.byKind.set(kind, this.root.descendantsOfType(kind).filter((n): n is PyNode => !!n));
    if (kinds.length === 1) return this.byKind.get(kinds[0]!)!;
    return kinds.flatMap((k) => this.byKind!.get(k)!).sort((a, b) => a.startIndex - b.startIndex);
  }

  /** Local name → what it was imported as. */
  get imports(): ReadonlyMap<string, ImportBinding> {
    this.importMap ??= readImports(this);
    return this.importMap;
  }

  /** Functions and methods by name: a top-level definition first, else the first one. */
  get functions(): ReadonlyMap<string, PyNode> {
    if (!this.functionMap) {
      this.functionMap = new Map();
      const all = this.nodesOf("function_definition");
      const topLevel = all.filter((f) => f.parent?.type === "module" || (f.parent?.type === "decorated_definition" && f.parent.parent?.type === "module"));
      for (const fn of [...topLevel, ...all]) {
        const name = fn.childForFieldName("name")?.text;
        if (name && !this.functionMap.has(name)) this.functionMap.set(name, fn);
      }
    }
    return this.functionMap;
  }

  /** Class definitions by name, top-level ones first (the first definition of a name wins). */
  get classes(): ReadonlyMap<string, PyNode> {
    if (!this.classMap) {
      this.classMap = new Map();
      const all = this.nodesOf("class_definition");
      const topLevel = all.filter((c) => c.parent?.type === "module" || c.parent?.parent?.type === "module");
      for (const cls of [...topLevel, ...all]) {
        const name = cls.childForFieldName("name")?.text;
        if (name && !this.classMap.has(name)) this.classMap.set(name, cls);
      }
    }
    return this.classMap;
  }

  /** True when the module imports a module whose dotted name starts with one of these. */
  importsModule(...prefixes: string[]): boolean {
    for (const b of this.imports.values()) if (prefixes.some((p) => b.qualified === p || b.qualified.startsWith(`${p}.`))) return true;
    return false;
  }

  /**
   * The dotted name an expression refers to through the imports: `sp.run` → `subprocess.run`,
   * `run` (from subprocess import run) → `subprocess.run`, `os.path.join` → `os.path.join`.
   * Builtins and local names come back as written.
   */
  qualifiedName(expr: PyNode): string | undefined {
    // Asked for every callee by every rule: read once per node.
    const known = this.qualified.get(expr.id);
    if (known !== undefined || this.qualified.has(expr.id)) return known;
    const name = this.readQualifiedName(expr);
    this.qualified.set(expr.id, name);
    return name;
  }

  private readQualifiedName(expr: PyNode): string | undefined {
    const type = expr.type;
    if (type === "identifier") {
      const text = expr.text;
      return this.imports.get(text)?.qualified ?? text;
    }
    if (type === "attribute") {
      const base = expr.childForFieldName("object");
      const attr = expr.childForFieldName("attribute")?.text;
      if (!base || !attr) return undefined;
      const left = this.qualifiedName(base);
      return left ? `${left}.${attr}` : undefined;
    }
    return undefined;
  }
}

const moduleOfTree = new WeakMap<PyTree, PythonModule>();

/**
 * The nodes of these kinds inside `scope`, in source order: what `scope.descendantsOfType(kinds)`
 * finds. `scope` is a function definition, a lambda, a block or a module, which no node of these
 * kinds can start with and contain. Kinds the module collects in its one walk are read from its
 * lists: every walk of a subtree in WebAssembly costs as much per node as that one walk.
 */
export function nodesWithin(scope: PyNode, ...kinds: string[]): PyNode[] {
  const module = moduleOfTree.get(scope.tree);
  if (!module || !kinds.every((k) => COLLECTED.includes(k))) return scope.descendantsOfType(kinds).filter((n): n is PyNode => !!n);
  const start = scope.startIndex;
  const end = scope.endIndex;
  const out: PyNode[] = [];
  for (const kind of kinds) {
    const all = module.nodesOf(kind);
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (all[mid]!.startIndex < start) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < all.length && all[i]!.startIndex < end; i++) out.push(all[i]!);
  }
  // Nodes of different kinds never start together here unless the first kind's node holds the other (`f().x = v`), as the walk finds them.
  if (kinds.length > 1) out.sort((a, b) => a.startIndex - b.startIndex);
  return out;
}

/**
 * The kinds rules and the MCP model ask for, collected in one walk. Materializing a node crosses
 * from WebAssembly to JavaScript, so only these are; other kinds are searched on demand.
 */
const COLLECTED = [
  "call", "string", "assignment", "augmented_assignment", "decorated_definition", "function_definition", "class_definition", "import_statement", "import_from_statement",
  "as_pattern", "return_statement", "yield",
];

function collect(root: PyNode): Map<string, PyNode[]> {
  const out = new Map<string, PyNode[]>(COLLECTED.map((k) => [k, []]));
  // One query inside WebAssembly returns them all, in source order.
  for (const node of root.descendantsOfType(COLLECTED)) if (node) out.get(node.type)!.push(node);
  return out;
}

function readImports(module: PythonModule): Map<string, ImportBinding> {
  const out = new Map<string, ImportBinding>();
  for (const stmt of module.nodesOf("import_statement")) {
    for (const name of stmt.childrenForFieldName("name")) {
      if (name.type === "aliased_import") {
        const dotted = name.childForFieldName("name")!.text;
        out.set(name.childForFieldName("alias")!.text, { qualified: dotted, importer: module.path });
      } else {
        // `import os.path` binds `os`.
        const first = name.text.split(".")[0]!;
        out.set(first, { qualified: first, importer: module.path });
      }
    }
  }
  for (const stmt of module.nodesOf("import_from_statement")) {
    const from = stmt.childForFieldName("module_name");
    if (!from) continue;
    const relative = from.type === "relative_import" ? resolveRelative(module.path, from.text) : undefined;
    for (const name of stmt.childrenForFieldName("name")) {
      const imported = name.type === "aliased_import" ? name.childForFieldName("name")!.text : name.text;
      const local = name.type === "aliased_import" ? name.childForFieldName("alias")!.text : imported;
      if (relative) {
        // `from . import helpers` names a module; `from .helpers import run` names a function.
        const asModule = from.text.replace(/^\.+/, "") === "" ? joinModule(relative, imported) : undefined;
        out.set(local, {
          qualified: `${from.text}${from.text.endsWith(".") ? "" : "."}${imported}`,
          relative: asModule ? { path: asModule } : { path: relative, name: imported },
        });
      } else {
        out.set(local, { qualified: `${from.text}.${imported}`, importer: module.path });
      }
    }
  }
  return out;
}
