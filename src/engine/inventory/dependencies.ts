import semver from "semver";
import { ADVISORIES, pep440ToSemver, type Advisory } from "../../../rules/vulnerable-mcp-dependency/index.js";
import { normalizePypi, parseDependencies } from "../config/index.js";
import type { DependencyAdvisory, InventoryDependency } from "./types.js";

/** Package names that are about MCP: the SDKs, FastMCP, servers and clients named for MCP. */
const MCP_NAME = /modelcontextprotocol|fastmcp|(?:^|[-_@/.])mcp(?:$|[-_/.])/i;
const LOCKFILE = /(?:^|\/)(?:package-lock\.json|npm-shrinkwrap\.json|pnpm-lock\.yaml|yarn\.lock|uv\.lock|poetry\.lock|Pipfile\.lock)$/i;
const ADVISED = new Set(ADVISORIES.map((a) => key(a.ecosystem, a.package)));

function key(ecosystem: string, name: string): string {
  return `${ecosystem}:${ecosystem === "pypi" ? normalizePypi(name) : name}`;
}

/** The MCP-related packages a manifest or lockfile declares, each with the published advisories its version falls under. */
export function mcpDependencies(path: string, text: string): InventoryDependency[] {
  const locked = LOCKFILE.test(path);
  // pyproject.toml names the project itself in quotes too: that is no dependency of it.
  const own = /(?:^|\/)pyproject\.toml$/i.test(path) ? /^\s*name\s*=\s*["']([^"']+)["']/m.exec(text)?.[1] : undefined;
  const out: InventoryDependency[] = [];
  const seen = new Set<string>();
  for (const dep of parseDependencies(path, text)) {
    if (!MCP_NAME.test(dep.name) && !ADVISED.has(key(dep.ecosystem, dep.name))) continue;
    if (own !== undefined && dep.ecosystem === "pypi" && dep.name === normalizePypi(own) && dep.spec === "") continue;
    const id = `${dep.ecosystem}:${dep.name}@${dep.spec}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ path, line: lineOf(text, dep.offset), ecosystem: dep.ecosystem, name: dep.name, spec: dep.spec, exact: dep.exact, locked, advisories: advisoriesFor(dep.ecosystem, dep.name, dep.spec, dep.exact) });
  }
  return out;
}

/**
 * Advisories whose affected range holds the version: an exact version inside it, or a range every
 * version of which is affected (as the vulnerable-mcp-dependency rule judges).
 */
export function advisoriesFor(ecosystem: "npm" | "pypi", name: string, spec: string, exact: boolean): DependencyAdvisory[] {
  const candidates = ADVISORIES.filter((a) => key(a.ecosystem, a.package) === key(ecosystem, name));
  if (candidates.length === 0) return [];
  const range = ecosystem === "pypi" ? pep440ToSemver(spec) : spec.trim();
  if (range === undefined) return [];
  const version = exact ? semver.coerce(range.replace(/^=+/, ""), { includePrerelease: false })?.version : undefined;
  return candidates
    .filter((a) => {
      if (version) return semver.satisfies(version, a.affected);
      const valid = semver.validRange(range);
      return valid !== null && valid !== "*" && semver.subset(valid, a.affected);
    })
    .map(toAdvisory);
}

function toAdvisory(a: Advisory): DependencyAdvisory {
  return { id: a.id, ...(a.cve ? { cve: a.cve } : {}), summary: a.summary, fixed: a.fixed, url: a.url };
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}
