import { parseTree, type Node as JsonNode } from "jsonc-parser";
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

/** The dependencies a manifest or lockfile declares, by its file name. Never throws. */
export function parseDependencies(path: string, text: string): Dependency[] {
  const name = path.split("/").pop()!.toLowerCase();
  if (name === "package.json") return packageJson(text);
  if (name === "package-lock.json") return packageLock(text);
  if (name === "uv.lock") return uvLock(text);
  if (name === "pyproject.toml") return pyproject(text);
  if (/^requirements.*\.txt$/.test(name)) return requirements(text);
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

function packageLock(text: string): Dependency[] {
  const root = parseTree(text, [], { allowTrailingComma: true });
  const out: Dependency[] = [];
  for (const [key, entry] of members(member(root, "packages"))) {
    const at = key.lastIndexOf("node_modules/");
    if (at < 0) continue;
    const version = member(entry, "version");
    if (version?.type === "string") out.push({ ecosystem: "npm", name: key.slice(at + "node_modules/".length), spec: String(version.value), exact: true, offset: version.offset, length: version.length });
  }
  // lockfileVersion 1 lists dependencies by name instead.
  if (out.length === 0) {
    for (const [key, entry] of members(member(root, "dependencies"))) {
      const version = member(entry, "version");
      if (version?.type === "string") out.push({ ecosystem: "npm", name: key, spec: String(version.value), exact: true, offset: version.offset, length: version.length });
    }
  }
  return out;
}

/**
 * The packages a uv.lock pins. The workspace's own packages (`source = { editable = "." }` or
 * `{ virtual = ... }`) are the project itself, at whatever version its metadata says, not a
 * dependency of it.
 */
function uvLock(text: string): Dependency[] {
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

function pyproject(text: string): Dependency[] {
  const out: Dependency[] = [];
  let table = "";
  forEachLine(text, (line, offset) => {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      table = header[1]!.trim();
      return;
    }
    const code = line.replace(/\s#.*$/, "");
    if (/^tool\.poetry\.(?:[\w.-]+\.)?dependencies$/.test(table)) {
      const m = /^\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"([^"]*)"|\{[^}]*version\s*=\s*"([^"]*)")/.exec(code);
      if (m) {
        const spec = m[2] ?? m[3] ?? "";
        const at = code.indexOf(`"${spec}"`);
        out.push({ ecosystem: "pypi", name: normalizePypi(m[1]!), spec: poetrySpec(spec), exact: /^=?=?\d[\w.]*$/.test(spec.trim()), offset: offset + Math.max(0, at), length: spec.length + 2 });
      }
      return;
    }
    for (const q of code.matchAll(/"([^"]+)"|'([^']+)'/g)) {
      const dep = pep508(q[1] ?? q[2]!);
      if (dep) out.push({ ...dep, offset: offset + q.index!, length: q[0].length });
    }
  });
  return out;
}

function requirements(text: string): Dependency[] {
  const out: Dependency[] = [];
  forEachLine(text, (line, offset) => {
    const code = line.replace(/(^|\s)#.*$/, "").trim();
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
