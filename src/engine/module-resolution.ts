import { posix } from "node:path";
import type { SourceInput } from "./types.js";

/** Specifiers that tsconfig `paths` commonly map into the project, used when no tsconfig says otherwise. */
const CONVENTIONAL_ALIAS = /^[~@#]\/(.+)$/;
const EXTENSIONS = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];

/**
 * How the files of an analysis name each other: relative specifiers, and the `paths` and
 * `baseUrl` of the nearest tsconfig or jsconfig (following relative `extends`), or the usual
 * `~/` and `@/` aliases into `src/` when there is none. The Workspace links parsed files with it;
 * `planUnits` splits trees with it, without parsing anything.
 */
export class ModuleResolution {
  /** tsconfig/jsconfig files by directory: their `paths` and `baseUrl` map non-relative specifiers into the project. */
  private readonly configs = new Map<string, ModulePaths>();

  /** `has`: whether a path is a file of the analysis; `configs`: its tsconfig and jsconfig files. */
  constructor(
    private readonly has: (path: string) => boolean,
    configs: readonly SourceInput[],
  ) {
    const byPath = new Map(configs.map((c) => [c.path, c.content]));
    for (const config of configs) {
      if (!/(?:^|\/)[tj]sconfig\.json$/.test(config.path)) continue;
      const paths = modulePaths(config.path, byPath);
      if (paths) this.configs.set(posix.dirname(config.path), paths);
    }
  }

  /** The path of the file a module specifier of the file at `from` names, if it is one of the files. */
  resolve(from: string, specifier: string): string | undefined {
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
    return candidates.find((c) => this.has(c));
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
