import { posix } from "node:path";

/**
 * The import graph of a repository, from text alone: no parser, so a worker's main thread can
 * build it from cached specifiers without loading the engine. It errs towards joining files (an
 * alias resolved by suffix, a Python name matched anywhere), which only makes a unit larger.
 */

/** Module specifiers of TypeScript/JavaScript imports, re-exports, `require` and dynamic `import()`. */
const TS_SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)["']([^"'\s]+)["']/g;
const PY_FROM = /^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+\(?([^)\n#]*)/gm;
const PY_IMPORT = /^[ \t]*import[ \t]+([\w., \t]+)/gm;
const TS_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];
const CONVENTIONAL_ALIAS = /^[~@#]\/(.+)$/;

/** The raw import specifiers of a source file: `./util.js`, `@/lib/x`, `.helpers` (Python, with its dots), `pkg.mod`. */
export function importSpecifiers(path: string, content: string): string[] {
  const out = new Set<string>();
  if (/\.py$/i.test(path)) {
    for (const m of content.matchAll(PY_FROM)) {
      const dots = m[1]!;
      const module = m[2]!;
      out.add(`${dots}${module}`);
      // `from . import a, b` and `from pkg import sub`: the names may be modules too.
      for (const name of m[3]!.split(",").map((n) => n.trim().split(/\s+as\s+/)[0]!.trim()).filter((n) => /^\w+$/.test(n))) out.add(`${dots}${module}${module || dots ? (module ? "." : "") : ""}${name}`);
    }
    for (const m of content.matchAll(PY_IMPORT)) for (const name of m[1]!.split(",").map((n) => n.trim().split(/\s+as\s+/)[0]!.trim()).filter(Boolean)) out.add(name);
  } else {
    for (const m of content.matchAll(TS_SPECIFIER)) out.add(m[1]!);
  }
  return [...out];
}

/** Paths of the repository, indexed for resolving specifiers. */
export class PathIndex {
  private readonly paths: ReadonlySet<string>;
  private suffixes?: Map<string, string[]>;

  constructor(paths: Iterable<string>) {
    this.paths = new Set(paths);
  }

  has(path: string): boolean {
    return this.paths.has(path);
  }

  /** The files a specifier of `from` names within the repository (none for packages outside it). */
  resolve(from: string, specifier: string): string[] {
    if (/\.py$/i.test(from)) return this.resolvePython(from, specifier);
    if (specifier.startsWith(".")) {
      const hit = this.fileAt(posix.normalize(posix.join(posix.dirname(from), specifier)));
      return hit ? [hit] : [];
    }
    const alias = CONVENTIONAL_ALIAS.exec(specifier);
    if (alias) return this.bySuffix(alias[1]!, TS_EXTENSIONS).slice(0, 3);
    return [];
  }

  private fileAt(base: string): string | undefined {
    if (this.paths.has(base)) return base;
    const stripped = base.replace(/\.[cm]?js$/, "");
    for (const ext of TS_EXTENSIONS) if (this.paths.has(stripped + ext)) return stripped + ext;
    for (const ext of TS_EXTENSIONS) if (this.paths.has(`${base}/index${ext}`)) return `${base}/index${ext}`;
    return undefined;
  }

  private resolvePython(from: string, specifier: string): string[] {
    const dots = /^\.*/.exec(specifier)![0].length;
    const parts = specifier.slice(dots).split(".").filter(Boolean);
    if (dots > 0) {
      let dir = posix.dirname(from);
      for (let i = 1; i < dots; i++) dir = posix.dirname(dir);
      const base = posix.join(dir, ...parts);
      return [`${base}.py`, `${base}/__init__.py`].filter((p) => this.paths.has(p));
    }
    if (parts.length === 0) return [];
    const rel = parts.join("/");
    return [...this.bySuffix(rel, [".py"]), ...this.bySuffix(`${rel}/__init__`, [".py"])].slice(0, 4);
  }

  /** Files whose path ends with `/rel` + one of the extensions (or is `rel` + extension). */
  private bySuffix(rel: string, extensions: readonly string[]): string[] {
    if (!this.suffixes) {
      this.suffixes = new Map();
      for (const path of this.paths) {
        const parts = path.split("/");
        for (let i = 0; i < parts.length; i++) {
          const suffix = parts.slice(i).join("/");
          const list = this.suffixes.get(suffix);
          if (list) list.push(path);
          else this.suffixes.set(suffix, [path]);
        }
      }
    }
    const out: string[] = [];
    const stripped = rel.replace(/\.[cm]?js$/, "");
    for (const ext of extensions) out.push(...(this.suffixes.get(stripped + ext) ?? []));
    if (extensions !== TS_EXTENSIONS) return out;
    for (const ext of extensions) out.push(...(this.suffixes.get(`${stripped}/index${ext}`) ?? []));
    return out;
  }
}

/**
 * Connected components of the graph whose edges are the resolved imports (either way): files no
 * import joins are their own component. Components are sorted by their first path, paths within them too.
 */
export function components(paths: readonly string[], edges: (path: string) => readonly string[]): string[][] {
  const parent = new Map<string, string>(paths.map((p) => [p, p]));
  const find = (p: string): string => {
    let root = p;
    while (parent.get(root) !== root) root = parent.get(root)!;
    for (let cur = p; cur !== root; ) {
      const next = parent.get(cur)!;
      parent.set(cur, root);
      cur = next;
    }
    return root;
  };
  for (const path of paths) {
    for (const target of edges(path)) {
      if (!parent.has(target)) continue;
      const a = find(path);
      const b = find(target);
      if (a !== b) parent.set(a < b ? b : a, a < b ? a : b);
    }
  }
  const groups = new Map<string, string[]>();
  for (const path of paths) {
    const root = find(path);
    const list = groups.get(root);
    if (list) list.push(path);
    else groups.set(root, [path]);
  }
  return [...groups.values()].map((g) => g.sort()).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}
