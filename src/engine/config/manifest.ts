import { parseTree, visit, type Node as JsonNode } from "jsonc-parser";
import type { Span } from "./mcp-config.js";

/** A dependency as a manifest or lockfile writes it. */
export interface Dependency extends Span {
  ecosystem: "npm" | "pypi";
  name: string;
  /** The version or range as written: "^1.2.0", "==1.9.4", ">=1.0,<1.23". */
  spec: string;
  /** True when `spec` is one exact version (lockfiles, `==`, a bare npm version). */
  exact: boolean;
}

const NPM_SECTIONS = ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"];

/**
 * The dependencies a manifest or lockfile declares, by its file name, each with the place its
 * version is written. Lockfiles are read as a stream of tokens or lines, never as a tree, so a
 * 50 MB lockfile costs little more than its text. Never throws.
 */
export function parseDependencies(path: string, text: string): Dependency[] {
  const name = path.split("/").pop()!.toLowerCase();
  if (name === "package.json") return packageJson(text);
  if (name === "package-lock.json" || name === "npm-shrinkwrap.json") return packageLock(text);
  if (name === "pnpm-lock.yaml") return pnpmLock(text);
  if (name === "yarn.lock") return yarnLock(text);
  if (name === "uv.lock" || name === "poetry.lock") return tomlLock(text);
  if (name === "pipfile.lock") return pipfileLock(text);
  if (name === "pyproject.toml") return pyproject(text);
  if (/\.txt$/.test(name)) return requirements(text);
  return [];
}

function packageJson(text: string): Dependency[] {
  const root = parseTree(text, [], { allowTrailingComma: true });
  const out: Dependency[] = [];
  for (const section of NPM_SECTIONS) {
    for (const [key, value] of members(member(root, section))) {
      if (value.type !== "string") continue;
      const spec = String(value.value);
      out.push({ ecosystem: "npm", name: key, spec, exact: /^=?v?\d+\.\d+\.\d+(?:-[\w.]+)?$/.test(spec.trim()), offset: value.offset, length: value.length });
    }
  }
  return out;
}

/**
 * package-lock.json and npm-shrinkwrap.json: v2 and v3 list every installed package under
 * `packages["node_modules/…"]`; v1 nests `dependencies` by name. v2 has both: `packages` wins.
 */
function packageLock(text: string): Dependency[] {
  const fromPackages: Dependency[] = [];
  const fromDependencies: Dependency[] = [];
  visit(text, {
    onLiteralValue(value, offset, length, _line, _column, pathSupplier) {
      if (typeof value !== "string") return;
      const path = pathSupplier();
      if (path[path.length - 1] !== "version") return;
      if (path[0] === "packages" && path.length === 3) {
        const key = String(path[1]);
        const at = key.lastIndexOf("node_modules/");
        if (at >= 0) fromPackages.push({ ecosystem: "npm", name: key.slice(at + "node_modules/".length), spec: value, exact: true, offset, length });
      } else if (path[0] === "dependencies" && path.length >= 3 && path.length % 2 === 1 && path.every((p, i) => i % 2 === 1 || i === path.length - 1 || p === "dependencies")) {
        if (!/^(?:file|link|git|github|https?):/.test(value)) fromDependencies.push({ ecosystem: "npm", name: String(path[path.length - 2]), spec: value, exact: true, offset, length });
      }
    },
  }, { allowTrailingComma: true, disallowComments: false });
  return fromPackages.length > 0 ? fromPackages : fromDependencies;
}

/** Pipfile.lock: `{"default": {"mcp": {"version": "==1.9.0"}}, "develop": {...}}`. */
function pipfileLock(text: string): Dependency[] {
  const out: Dependency[] = [];
  visit(text, {
    onLiteralValue(value, offset, length, _line, _column, pathSupplier) {
      if (typeof value !== "string") return;
      const path = pathSupplier();
      if (path.length !== 3 || path[2] !== "version" || (path[0] !== "default" && path[0] !== "develop")) return;
      out.push({ ecosystem: "pypi", name: normalizePypi(String(path[1])), spec: value, exact: /^={2,3}[^,*]+$/.test(value), offset, length });
    },
  });
  return out;
}

/**
 * pnpm-lock.yaml, lockfile versions 5 to 9: the keys of `packages:` (and v9's `snapshots:`)
 * name each installed version — `/pkg/1.2.3:` (v5), `/pkg@1.2.3:` (v6), `pkg@1.2.3:` or
 * `pkg@1.2.3(peer@x):` (v9).
 */
function pnpmLock(text: string): Dependency[] {
  const out: Dependency[] = [];
  const seen = new Set<string>();
  let section = "";
  forEachLine(text, (line, offset) => {
    const top = /^([A-Za-z][\w-]*):\s*$/.exec(line);
    if (top) {
      section = top[1]!;
      return;
    }
    if (section !== "packages" && section !== "snapshots") return;
    const m = /^ {2}['"]?\/?((?:@[^/@\s'"]+\/)?[^/@\s'"(]+)[@/](\d[^:(_'"\s]*)/.exec(line);
    if (!m) return;
    const key = `${m[1]}@${m[2]}`;
    if (seen.has(key)) return;
    seen.add(key);
    const start = line.indexOf(m[2]!, m[0].length - m[2]!.length);
    out.push({ ecosystem: "npm", name: m[1]!, spec: m[2]!, exact: true, offset: offset + start, length: m[2]!.length });
  });
  return out;
}

/**
 * yarn.lock, classic (v1) and berry: a block per resolved version, headed by the specifiers it
 * satisfies (`"pkg@^1.0.0", pkg@^1.2.0:` or `"pkg@npm:^1.0.0":`), with `version "1.2.3"` or
 * `version: 1.2.3` under it.
 */
function yarnLock(text: string): Dependency[] {
  const out: Dependency[] = [];
  let name: string | undefined;
  forEachLine(text, (line, offset) => {
    if (/^[^\s#]/.test(line)) {
      const first = line.replace(/:\s*$/, "").split(",")[0]!.trim().replace(/^"|"$/g, "");
      const at = first.lastIndexOf("@");
      name = at > 0 ? first.slice(0, at) : undefined;
      if (name?.endsWith("@npm")) name = name.slice(0, -4);
      if (name === "__metadata") name = undefined;
      return;
    }
    const v = /^ {2}version:?\s+"?([^"\s]+)"?\s*$/.exec(line);
    if (!v || !name) return;
    const start = line.indexOf(v[1]!);
    out.push({ ecosystem: "npm", name, spec: v[1]!, exact: true, offset: offset + start, length: v[1]!.length });
    name = undefined;
  });
  return out;
}

/**
 * The packages a uv.lock or poetry.lock pins (`[[package]]` with `name` and `version`). uv's
 * workspace packages (`source = { editable = "." }` or
 * `{ virtual = ... }`) are the project itself, at whatever version its metadata says, not a
 * dependency of it.
 */
function tomlLock(text: string): Dependency[] {
  const out: Dependency[] = [];
  let name: string | undefined;
  let pinned: Dependency | undefined;
  forEachLine(text, (line, offset) => {
    if (/^\s*\[\[package\]\]/.test(line)) {
      name = undefined;
      pinned = undefined;
    }
    const n = /^name\s*=\s*"([^"]+)"/.exec(line);
    if (n) name = n[1];
    const v = /^version\s*=\s*"([^"]+)"/.exec(line);
    if (v && name) {
      const start = line.indexOf('"');
      pinned = { ecosystem: "pypi", name: normalizePypi(name), spec: v[1]!, exact: true, offset: offset + start, length: v[1]!.length + 2 };
      out.push(pinned);
      name = undefined;
    }
    if (pinned && /^source\s*=\s*\{\s*(?:editable|virtual)\s*=/.test(line)) {
      out.splice(out.indexOf(pinned), 1);
      pinned = undefined;
    }
  });
  return out;
}

const PEP508 = /^([A-Za-z0-9][A-Za-z0-9_.-]*)\s*(?:\[[^\]]*\])?\s*(\(?\s*(?:===|==|~=|!=|<=|>=|<|>)[^;]*?\)?)?\s*(?:;.*)?$/;

/**
 * The arrays of a pyproject.toml that hold PEP 508 requirements: `[project] dependencies`, the
 * `[project.optional-dependencies]` and `[dependency-groups]` lists, `[build-system] requires`,
 * and uv's and PDM's development lists. Other quoted strings (keywords, classifiers, authors) are
 * no dependencies, even when one reads "mcp".
 */
function isRequirementArray(table: string, key: string): boolean {
  if (table === "project") return key === "dependencies";
  if (table === "build-system") return key === "requires";
  if (table === "tool.uv") return /^(?:dev|constraint|override)-dependencies$/.test(key);
  return table === "project.optional-dependencies" || table === "dependency-groups" || table === "tool.pdm.dev-dependencies";
}

function pyproject(text: string): Dependency[] {
  const out: Dependency[] = [];
  let table = "";
  let inArray = false;
  const requirementsIn = (code: string, offset: number) => {
    for (const q of code.matchAll(/"([^"]+)"|'([^']+)'/g)) {
      const dep = pep508(q[1] ?? q[2]!);
      if (dep) out.push({ ...dep, offset: offset + q.index!, length: q[0].length });
    }
    // The array ends at a `]` outside the strings (`"pkg[extra]"` holds one inside).
    return !code.replace(/"[^"]*"|'[^']*'/g, "").includes("]");
  };
  forEachLine(text, (line, offset) => {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      table = header[1]!.trim().replace(/["']/g, "");
      inArray = false;
      return;
    }
    const code = line.replace(/(^|\s)#.*$/, "");
    if (/^tool\.poetry\.(?:[\w.-]+\.)?dependencies$/.test(table)) {
      const m = /^\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"([^"]*)"|\{[^}]*version\s*=\s*"([^"]*)")/.exec(code);
      if (m) {
        const spec = m[2] ?? m[3] ?? "";
        const at = code.indexOf(`"${spec}"`);
        out.push({ ecosystem: "pypi", name: normalizePypi(m[1]!), spec: poetrySpec(spec), exact: /^=?=?\d[\w.]*$/.test(spec.trim()), offset: offset + Math.max(0, at), length: spec.length + 2 });
      }
      return;
    }
    if (inArray) {
      inArray = requirementsIn(code, offset);
      return;
    }
    const array = /^\s*["']?([A-Za-z0-9_.-]+)["']?\s*=\s*\[/.exec(code);
    if (array && isRequirementArray(table, array[1]!)) inArray = requirementsIn(code.slice(array[0].length), offset + array[0].length);
  });
  return out;
}

/**
 * requirements files, as pip-compile writes them too: a requirement per line, options such as
 * `--hash=sha256:…` after it or on `\`-continued lines, and `-r`/`-c` lines naming other files
 * (read on their own when the analysis has them).
 */
function requirements(text: string): Dependency[] {
  const out: Dependency[] = [];
  forEachLine(text, (line, offset) => {
    const code = line.replace(/(^|\s)#.*$/, "").replace(/\s--?[a-z][\w-]*(?:[= ]\S+)?/g, "").replace(/\\\s*$/, "").trim();
    if (code === "" || code.startsWith("-")) return;
    const dep = pep508(code);
    if (dep) out.push({ ...dep, offset: offset + line.indexOf(code), length: code.length });
  });
  return out;
}

function pep508(text: string): Omit<Dependency, "offset" | "length"> | undefined {
  const m = PEP508.exec(text.trim());
  if (!m) return undefined;
  const spec = (m[2] ?? "").replace(/[()\s]/g, "");
  return { ecosystem: "pypi", name: normalizePypi(m[1]!), spec, exact: /^={2,3}[^,*]+$/.test(spec) };
}

/** Poetry's `^1.2` and `~1.2` mean what npm's do; a bare version is exact. */
function poetrySpec(spec: string): string {
  const s = spec.trim();
  return /^\d/.test(s) ? `==${s}` : s;
}

/** PyPI names compare case-insensitively with `-`, `_` and `.` alike (PEP 503). */
export function normalizePypi(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

function member(node: JsonNode | undefined, name: string): JsonNode | undefined {
  if (node?.type !== "object") return undefined;
  return node.children?.find((p) => p.children?.[0]?.value === name)?.children?.[1];
}

function members(node: JsonNode | undefined): [string, JsonNode][] {
  if (node?.type !== "object") return [];
  const out: [string, JsonNode][] = [];
  for (const prop of node.children ?? []) {
    const [key, value] = prop.children ?? [];
    if (key && value) out.push([String(key.value), value]);
  }
  return out;
}

function forEachLine(text: string, fn: (line: string, offset: number) => void): void {
  let offset = 0;
  for (const line of text.split("\n")) {
    fn(line.replace(/\r$/, ""), offset);
    offset += line.length + 1;
  }
}
