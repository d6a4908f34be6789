import semver from "semver";
import { launchedPackage, launchWords, normalizePypi, type Span } from "../../src/engine/config/index.js";
import type { Rule } from "../../src/engine/rule.js";
import data from "./advisories.json" with { type: "json" };

/** One published advisory, as kept in advisories.json. */
export interface Advisory {
  id: string;
  cve?: string;
  ecosystem: "npm" | "pypi";
  package: string;
  /** node-semver range of affected versions. */
  affected: string;
  /** First version without the flaw. */
  fixed: string;
  summary: string;
  url: string;
}

export const ADVISORIES: readonly Advisory[] = (data as { advisories: Advisory[] }).advisories;

export const vulnerableMcpDependency: Rule = {
  meta: {
    id: "vulnerable-mcp-dependency",
    title: "MCP package pinned to a version with a published advisory",
    severity: "high",
    cwe: "CWE-1395",
    confidence: "high",
    languages: ["manifest", "mcp-config"],
    references: [
      "https://cwe.mitre.org/data/definitions/1395.html",
      "https://github.com/modelcontextprotocol/typescript-sdk/security/advisories/GHSA-w48q-cv73-mx4w",
      "https://github.com/advisories/GHSA-9h52-p55h-vw2f",
      "https://nvd.nist.gov/vuln/detail/CVE-2025-6514",
      "https://github.com/modelcontextprotocol/inspector/security/advisories/GHSA-7f8r-222p-6f5g",
      "https://github.com/modelcontextprotocol/servers/security/advisories/GHSA-j22h-9j4x-23w5",
    ],
    description:
      "A manifest, lockfile or MCP client config that pins an MCP SDK, server or tool to a version with a published advisory (DNS rebinding in the SDKs, command injection in mcp-remote, the Inspector's unauthenticated proxy, path checks in the reference filesystem and git servers) ships a known, documented hole.",
  },
  checkConfig(ctx) {
    // A lockfile is rewritten by its tool (with hashes and integrity), never by hand: no fix there.
    const pinnedByHand = !/(?:^|\/)(?:package-lock\.json|npm-shrinkwrap\.json|pnpm-lock\.yaml|yarn\.lock|uv\.lock|poetry\.lock|Pipfile\.lock)$/i.test(ctx.path);
    const text = pinnedByHand ? ctx.text : undefined;
    if (ctx.language === "manifest") {
      for (const dep of ctx.dependencies) check(dep.ecosystem, dep.name, dep.spec, dep.exact, dep, ctx.report, undefined, text);
      return;
    }
    for (const server of ctx.config.servers) {
      const pkg = launchedPackage(launchWords(server));
      if (!pkg || pkg.ecosystem === "docker" || pkg.version === undefined) continue;
      const exact = /^\d+\.\d+\.\d+/.test(pkg.version);
      const launch = { written: pkg.word.value, version: pkg.version };
      check(pkg.ecosystem, pkg.name, pkg.ecosystem === "pypi" && exact ? `==${pkg.version}` : pkg.version, exact, pkg.word, ctx.report, launch, ctx.text);
    }
  },
};

type Report = Parameters<NonNullable<Rule["checkConfig"]>>[0]["report"];

/**
 * `launch`: the package is pinned in an MCP client config's launch arguments (`npx -y
 * pkg@1.2.3`, `uvx pkg==1.2.3`), where the fix is a new argument, not an install.
 */
function check(ecosystem: "npm" | "pypi", name: string, spec: string, exact: boolean, at: Span, report: Report, launch?: { written: string; version: string }, text?: string): void {
  const key = ecosystem === "pypi" ? normalizePypi(name) : name;
  const candidates = ADVISORIES.filter((a) => a.ecosystem === ecosystem && (ecosystem === "pypi" ? normalizePypi(a.package) : a.package) === key);
  if (candidates.length === 0) return;
  const range = ecosystem === "pypi" ? pep440ToSemver(spec) : spec.trim();
  if (range === undefined) return;
  const version = exact ? semver.coerce(range.replace(/^=+/, ""), { includePrerelease: false })?.version : undefined;
  const hits = candidates.filter((a) => {
    if (version) return semver.satisfies(version, a.affected);
    const valid = semver.validRange(range);
    // A range is only reported when every version it allows is affected: it cannot reach the fix.
    return valid !== null && valid !== "*" && semver.subset(valid, a.affected);
  });
  if (hits.length === 0) return;
  const fixed = hits.map((a) => a.fixed).sort(semver.compare).at(-1)!;
  const ids = hits.map((a) => (a.cve ? `${a.id} (${a.cve})` : a.id));
  const written = version ?? spec;
  report({
    offset: at.offset,
    length: at.length,
    message: `\`${name}\` ${written} is affected by ${ids.join(", ")}: ${hits.map((a) => a.summary).join("; ")}. Fixed in ${fixed}.`,
    remediation:
      (launch ? launchFix(launch, fixed) : `Move \`${name}\` to ${fixed} or later: ${ecosystem === "npm" ? `\`npm install ${name}@^${fixed}\`` : `\`${name}>=${fixed}\` in the manifest, then refresh the lockfile (\`uv lock --upgrade-package ${name}\`)`}.`) +
      `\n\n${hits.map((a) => `- [${a.id}](${a.url})`).join("\n")}`,
    ...(exact && text !== undefined ? pinFix(text, at, spec.replace(/^=+/, "").trim(), fixed) : {}),
  });
}

/** The exact version written at `at` replaced by the fixed one, where it is written there as such. */
function pinFix(text: string, at: Span, pinned: string, fixed: string): { fix?: { offset: number; length: number; replacement: string } } {
  const written = text.slice(at.offset, at.offset + at.length);
  const i = written.lastIndexOf(pinned);
  if (i < 0 || written.indexOf(pinned) !== i) return {};
  return { fix: { offset: at.offset, length: at.length, replacement: `${written.slice(0, i)}${fixed}${written.slice(i + pinned.length)}` } };
}

/** The launch argument with the fixed version in place of the pinned one. */
function launchFix(launch: { written: string; version: string }, fixed: string): string {
  const at = launch.written.lastIndexOf(launch.version);
  const replaced = `${launch.written.slice(0, at)}${fixed}${launch.written.slice(at + launch.version.length)}`;
  return `Pin the fixed version in this server's launch arguments: change \`${launch.written}\` to \`${replaced}\` (or a later version), so the client starts the patched package the next time it launches the server.`;
}

/** A PEP 440 specifier as a node-semver range, for the forms manifests use; undefined when unknown. */
export function pep440ToSemver(spec: string): string | undefined {
  const clauses = spec.split(",").map((c) => c.trim()).filter(Boolean);
  if (clauses.length === 0) return "*";
  const out: string[] = [];
  for (const clause of clauses) {
    const m = /^(===|==|~=|!=|<=|>=|<|>|\^|~)?\s*([0-9][0-9A-Za-z.*+!-]*)$/.exec(clause);
    if (!m) return undefined;
    const op = m[1] ?? "==";
    const raw = m[2]!;
    if (op === "!=") continue;
    if (raw.includes("*")) {
      out.push(raw.replace(/\.\*$/, ".x"));
      continue;
    }
    const v = semver.coerce(raw)?.version;
    if (!v) return undefined;
    if (op === "==" || op === "===") out.push(v);
    else if (op === "~=") {
      const parts = raw.split(".").length;
      const [major, minor] = v.split(".").map(Number) as [number, number];
      out.push(parts <= 2 ? `>=${v} <${major + 1}.0.0` : `>=${v} <${major}.${minor + 1}.0`);
    } else out.push(`${op}${v}`);
  }
  return out.join(" ") || "*";
}
