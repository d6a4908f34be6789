import { posix } from "node:path";
import { languageOf } from "../engine/language.js";

/**
 * Unchanged files a review reads beside the changed ones, so that taint crosses into them: a
 * handler that calls a changed helper, a helper that a changed handler calls. At most this many.
 */
export const MAX_NEIGHBOURS = 150;
/** And at most this many bytes of them in all. */
export const MAX_NEIGHBOUR_BYTES = 3 * 1024 * 1024;
/** Import steps followed from a changed file, either way (the engine follows calls three deep). */
export const NEIGHBOUR_DEPTH = 3;

/** One file of the head commit's tree, as `GET /git/trees/{sha}?recursive=1` lists it. */
export interface TreeFile {
  path: string;
  mode: string;
  size?: number;
}

/** Folders that hold what no one of the repository wrote: never read as neighbours. */
const VENDORED = /(?:^|\/)(?:node_modules|vendor|\.venv|venv|site-packages|dist|build|out|\.git|__pycache__|\.tox|\.mypy_cache)\//;
const TS_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g;
const TS_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];
const PY_FROM = /^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+\(?([^)#\n]*(?:\n[^)#]*)*?)\)?[ \t]*(?:#.*)?$/gm;
const PY_IMPORT = /^[ \t]*import[ \t]+([\w.]+(?:[ \t]*,[ \t]*[\w.]+)*)/gm;

/** True for a source file of the tree that may be read as a neighbour: TS/JS or Python, a regular file, hand-written. */
export function isNeighbourCandidate(file: TreeFile, maxBytes: number): boolean {
  const language = languageOf(file.path);
  if (language !== "typescript" && language !== "javascript" && language !== "python") return false;
  return file.mode !== "120000" && file.mode !== "160000" && (file.size ?? 0) <= maxBytes && !VENDORED.test(file.path) && !/\.min\.[cm]?js$/.test(file.path);
}

/**
 * The source paths of the tree that a file imports: relative imports of TS/JS, and Python's
 * relative imports and absolute imports of the repository's own packages (matched by path
 * suffix, as the engine does). Reads text only: nothing is parsed or run.
 */
export function importsOf(path: string, text: string, index: SourceIndex): string[] {
  const out = new Set<string>();
  const language = languageOf(path);
  if (language === "python") {
    for (const m of text.matchAll(PY_FROM)) {
      const [dots, dotted, names] = [m[1]!, m[2]!, m[3]!];
      const base = dots ? relativeBase(path, dots, dotted) : dotted.replace(/\./g, "/");
      if (base === undefined) continue;
      const module = dots ? index.pythonModule(base) : index.pythonBySuffix(base);
      if (module) out.add(module);
      // `from . import helpers` and `from pkg import tools` may name submodules.
      for (const name of names.split(",").map((n) => n.trim().split(/\s+as\s+/)[0]!.trim()).filter((n) => /^\w+$/.test(n))) {
        const sub = dots ? index.pythonModule(base ? `${base}/${name}` : name) : index.pythonBySuffix(base ? `${base}/${name}` : name);
        if (sub) out.add(sub);
      }
    }
    for (const m of text.matchAll(PY_IMPORT)) {
      for (const dotted of m[1]!.split(",").map((s) => s.trim())) {
        const module = index.pythonBySuffix(dotted.replace(/\./g, "/"));
        if (module) out.add(module);
      }
    }
  } else if (language === "typescript" || language === "javascript") {
    for (const m of text.matchAll(TS_IMPORT)) {
      const target = index.tsModule(path, m[1]!);
      if (target) out.add(target);
    }
  }
  out.delete(path);
  return [...out];
}

/** `from ..pkg.mod import x` in `a/b/c.py`: the module path `a/pkg/mod`, or undefined above the root. */
function relativeBase(from: string, dots: string, dotted: string): string | undefined {
  let dir = posix.dirname(from);
  for (let i = 1; i < dots.length; i++) {
    if (dir === "." || dir === "") return undefined;
    dir = posix.dirname(dir);
  }
  const rest = dotted.replace(/\./g, "/");
  const joined = dir === "." ? rest : rest ? `${dir}/${rest}` : dir;
  return joined;
}

/** The source paths of a tree, for resolving imports without reading files. */
export class SourceIndex {
  private readonly paths: Set<string>;
  private suffixes?: Map<string, string | null>;

  constructor(paths: Iterable<string>) {
    this.paths = new Set(paths);
  }

  tsModule(from: string, specifier: string): string | undefined {
    const base = posix.normalize(posix.join(posix.dirname(from), specifier));
    const stem = base.replace(/\.(?:[mc]?js|jsx)$/, "");
    const candidates = [base, ...TS_EXTENSIONS.map((e) => stem + e), ...TS_EXTENSIONS.map((e) => `${base}/index${e}`)];
    return candidates.find((c) => this.paths.has(c));
  }

  pythonModule(base: string): string | undefined {
    return [`${base}.py`, `${base}/__init__.py`].find((c) => this.paths.has(c));
  }

  /** The one Python module whose path ends with `suffix` (`pkg/helpers`), or undefined when none or several do. */
  pythonBySuffix(suffix: string): string | undefined {
    if (!suffix) return undefined;
    if (!this.suffixes) {
      this.suffixes = new Map();
      for (const path of this.paths) {
        if (!path.endsWith(".py")) continue;
        const segments = path.replace(/(?:\/__init__)?\.py$/, "").split("/");
        for (let i = 0; i < segments.length; i++) {
          const key = segments.slice(i).join("/");
          this.suffixes.set(key, this.suffixes.has(key) && this.suffixes.get(key) !== path ? null : path);
        }
      }
    }
    return this.suffixes.get(suffix) ?? undefined;
  }
}

export interface NeighbourPlan {
  /** Unchanged files to read, those the changed files import first, then the nearest by folder. */
  toRead: string[];
  /** Candidate source files left unread by the limits. */
  notRead: number;
}

/**
 * Which unchanged files to read: every source file the changed files import (up to the depth),
 * then the others nearest to a changed file by folder, where files that import it usually sit,
 * within MAX_NEIGHBOURS and MAX_NEIGHBOUR_BYTES. Which of them are kept is decided once they are
 * read (`joinedFiles`).
 */
export function planNeighbours(changed: ReadonlyMap<string, string>, tree: readonly TreeFile[], maxBytes: number): NeighbourPlan {
  const candidates = tree.filter((f) => !changed.has(f.path) && isNeighbourCandidate(f, maxBytes));
  if (candidates.length === 0) return { toRead: [], notRead: 0 };
  const index = new SourceIndex([...tree.map((f) => f.path)]);
  const size = new Map(candidates.map((f) => [f.path, f.size ?? 0]));
  // Imported modules are known from the changed files' text alone.
  const imported = new Set<string>();
  for (const [path, text] of changed) for (const target of importsOf(path, text, index)) if (size.has(target)) imported.add(target);
  // Then by the folder levels shared with a changed file, shallower files first (entry points sit high).
  const dirs = [...changed.keys()].map((p) => posix.dirname(p).split("/"));
  const depthOf = (path: string) => path.split("/").length;
  const closeness = (path: string) => Math.max(...dirs.map((d) => sharedPrefix(d, posix.dirname(path).split("/"))));
  const rest = candidates
    .map((f) => f.path)
    .filter((p) => !imported.has(p))
    .map((p) => [p, closeness(p)] as const)
    .sort((a, b) => b[1] - a[1] || depthOf(a[0]) - depthOf(b[0]) || a[0].localeCompare(b[0]))
    .map(([p]) => p);
  const toRead: string[] = [];
  let bytes = 0;
  for (const path of [...[...imported].sort(), ...rest]) {
    if (toRead.length >= MAX_NEIGHBOURS || bytes + size.get(path)! > MAX_NEIGHBOUR_BYTES) break;
    toRead.push(path);
    bytes += size.get(path)!;
  }
  return { toRead, notRead: candidates.length - toRead.length };
}

/**
 * Of the files read beside the changed ones, those joined to a changed file by imports within
 * NEIGHBOUR_DEPTH steps: modules it imports (and theirs), and modules that import it (and theirs).
 * Only these can carry input into, or out of, the changed code.
 */
export function joinedFiles(changed: ReadonlyMap<string, string>, read: ReadonlyMap<string, string>, tree: readonly TreeFile[]): string[] {
  const index = new SourceIndex(tree.map((f) => f.path));
  const all = new Map([...read, ...changed]);
  const forward = new Map<string, string[]>();
  const backward = new Map<string, string[]>();
  for (const [path, text] of all) {
    const targets = importsOf(path, text, index).filter((t) => all.has(t));
    forward.set(path, targets);
    for (const t of targets) backward.set(t, [...(backward.get(t) ?? []), path]);
  }
  const kept = new Set<string>();
  for (const edges of [forward, backward]) {
    let frontier = [...changed.keys()];
    const seen = new Set(frontier);
    for (let depth = 0; depth < NEIGHBOUR_DEPTH && frontier.length > 0; depth++) {
      const next: string[] = [];
      for (const path of frontier) {
        for (const other of edges.get(path) ?? []) {
          if (seen.has(other)) continue;
          seen.add(other);
          next.push(other);
          if (read.has(other)) kept.add(other);
        }
      }
      frontier = next;
    }
  }
  return [...kept].sort();
}

function sharedPrefix(a: readonly string[], b: readonly string[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n] && a[n] !== ".") n++;
  return n;
}
