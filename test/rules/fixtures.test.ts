import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { analyzeWith } from "../../src/engine/analyze.js";
import { SEVERITIES } from "../../src/engine/types.js";
import { RULES } from "../../rules/index.js";

const RULES_DIR = join(dirname(fileURLToPath(import.meta.url)), "../../rules");
const ANNOTATION = /(?:\/\/|#)\s*(ruleid|ok|todoruleid|todook):\s*([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)/;

type Mark = "ruleid" | "ok" | "todoruleid" | "todook";

/** Annotations of a fixture: for each rule id, the 1-based target line of each mark. */
function annotations(text: string): { mark: Mark; ruleId: string; line: number }[] {
  const lines = text.split("\n");
  const out: { mark: Mark; ruleId: string; line: number }[] = [];
  lines.forEach((line, i) => {
    const match = ANNOTATION.exec(line);
    if (!match || !/^\s*(\/\/|#)/.test(line)) return;
    let target = i + 1;
    while (target < lines.length && ANNOTATION.test(lines[target]!) && /^\s*(\/\/|#)/.test(lines[target]!)) target++;
    for (const ruleId of match[2]!.split(",").map((s) => s.trim())) out.push({ mark: match[1] as Mark, ruleId, line: target + 1 });
  });
  return out;
}

const ruleFolders = readdirSync(RULES_DIR).filter((name) => statSync(join(RULES_DIR, name)).isDirectory());

/** Files under `dir/sub`, recursively, as paths relative to `dir`. */
function filesUnder(dir: string, sub: string): string[] {
  return readdirSync(join(dir, sub))
    .sort()
    .flatMap((name) => (statSync(join(dir, sub, name)).isDirectory() ? filesUnder(dir, `${sub}/${name}`) : [`${sub}/${name}`]));
}

/** Fixtures stand for a server's own code: read as production, though they sit in `fixtures/`. */
const AS_PRODUCTION = { paths: { production: ["**"] } };

/** `x.before.ts` is the base version of `x.ts` (for rules that judge a change), not a case of its own. */
const BASE_VERSION = /\.before(\.[^./]+)$/;

function withBase(dir: string, name: string, content: string): { content: string; base?: string } {
  const basePath = join(dir, name.replace(/(\.[^./]+)$/, ".before$1"));
  return existsSync(basePath) ? { content, base: readFileSync(basePath, "utf8") } : { content };
}

/**
 * One case per fixture file; a folder under fixtures/ is one case whose files are analyzed
 * together (cross-file flow), each file checked against its own annotations.
 */
const cases = RULES.flatMap((rule) => {
  const dir = join(RULES_DIR, rule.meta.id, "fixtures");
  return readdirSync(dir)
    .filter((name) => !BASE_VERSION.test(name))
    .sort()
    .map((name) => {
      const full = join(dir, name);
      const names = statSync(full).isDirectory() ? filesUnder(dir, name) : [name];
      const files = names.map((n) => ({ path: `${rule.meta.id}/fixtures/${n}`, ...withBase(dir, n, readFileSync(join(dir, n), "utf8")) }));
      return { ruleId: rule.meta.id, rule, file: `${rule.meta.id}/fixtures/${name}`, files, text: files.map((f) => f.content).join("\n") };
    });
});

describe("rule fixtures", () => {
  it.each(cases.map((c) => [c.file, c] as const))("%s", (_name, { rule, ruleId, files }) => {
    const result = analyzeWith([rule], files, AS_PRODUCTION);
    expect(result.skipped).toEqual([]);
    expect(result.errors).toEqual([]);
    const problems: string[] = [];
    let marked = 0;
    for (const { path, content } of files) {
      const marks = annotations(content).filter((a) => a.ruleId === ruleId);
      marked += marks.length;
      const findings = result.findings.filter((f) => f.path === path);
      const firing = new Set(findings.map((f) => f.line));
      const where = files.length > 1 ? `${path.split("/").pop()} ` : "";
      for (const { mark, line } of marks) {
        const fired = firing.has(line);
        if (mark === "ruleid" && !fired) problems.push(`${where}line ${line}: expected ${ruleId} to fire`);
        if (mark === "ok" && fired) problems.push(`${where}line ${line}: ${ruleId} fired on an ok: line`);
        if (mark === "todoruleid" && fired) problems.push(`${where}line ${line}: a known miss now fires — change todoruleid: to ruleid:`);
        if (mark === "todook" && !fired) problems.push(`${where}line ${line}: a known false positive is gone — change todook: to ok:`);
      }
      const expected = new Set(marks.filter((m) => m.mark === "ruleid" || m.mark === "todook").map((m) => m.line));
      for (const finding of findings) {
        if (!expected.has(finding.line)) problems.push(`${where}line ${finding.line}: unannotated finding: ${finding.message}`);
      }
    }
    expect(marked).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  it("has at least one firing and one ok fixture line per rule", () => {
    for (const rule of RULES) {
      const marks = cases.filter((c) => c.ruleId === rule.meta.id).flatMap((c) => annotations(c.text));
      expect({ id: rule.meta.id, ruleid: marks.some((m) => m.mark === "ruleid"), ok: marks.some((m) => m.mark === "ok") }).toEqual({ id: rule.meta.id, ruleid: true, ok: true });
    }
  });
});

describe("rules on some files only, the rest as context", () => {
  const strip = (findings: readonly { path: string }[], keep: (path: string) => boolean) => findings.filter((f) => keep(f.path));

  it.each(cases.filter((c) => c.files.length > 1).map((c) => [c.file, c] as const))("%s: each file alone finds what the whole folder finds in it", (_name, { rule, files }) => {
    const whole = analyzeWith([rule], files, AS_PRODUCTION);
    for (const { path } of files) {
      const alone = analyzeWith([rule], files, { ...AS_PRODUCTION, only: [path] });
      expect(alone.findings).toEqual(strip(whole.findings, (p) => p === path));
      expect(alone.stats.filesAnalyzed).toBe(1);
    }
  });

  it("gives every fixture file, with all rules, the same findings as the full analysis", () => {
    const all = cases.flatMap((c) => c.files);
    const only = all.filter((_, i) => i % 2 === 0).map((f) => f.path);
    const kept = new Set(only);
    const whole = analyzeWith(RULES, all, AS_PRODUCTION);
    const some = analyzeWith(RULES, all, { ...AS_PRODUCTION, only });
    expect(strip(whole.findings, (p) => kept.has(p)).length).toBeGreaterThan(50);
    expect(some.findings).toEqual(strip(whole.findings, (p) => kept.has(p)));
    expect(some.suppressed).toEqual(whole.suppressed.filter((s) => kept.has(s.finding.path)));
    expect(some.skipped).toEqual([]);
  });

  it("runs only the rules named in onlyRules, finding with them what the full analysis finds", () => {
    const all = cases.flatMap((c) => c.files);
    const onlyRules = ["command-injection", "tool-poisoning"];
    const whole = analyzeWith(RULES, all, AS_PRODUCTION);
    const some = analyzeWith(RULES, all, { ...AS_PRODUCTION, onlyRules });
    expect(new Set(some.findings.map((f) => f.ruleId))).toEqual(new Set(onlyRules));
    expect(some.findings).toEqual(whole.findings.filter((f) => onlyRules.includes(f.ruleId)));
  });
});

describe("rule registry", () => {
  it("lists every rule folder, sorted by id, under the folder's name", () => {
    const ids = RULES.map((r) => r.meta.id);
    expect(ids).toEqual([...ids].sort());
    expect(ids).toEqual([...ruleFolders].sort());
  });

  it.each(RULES.map((r) => [r.meta.id, r] as const))("%s states its security metadata", (_id, rule) => {
    const { meta } = rule;
    expect(meta.cwe).toMatch(/^CWE-\d+$/);
    expect(SEVERITIES).toContain(meta.severity);
    expect(["high", "medium", "low"]).toContain(meta.confidence);
    expect(meta.references.length).toBeGreaterThan(0);
    for (const ref of meta.references) expect(ref).toMatch(/^https:\/\//);
    expect(meta.title.length).toBeGreaterThan(10);
    expect(meta.description.length).toBeGreaterThan(40);
    expect(meta.languages.length).toBeGreaterThan(0);
  });

  it.each(ruleFolders.map((id) => [id] as const))("%s has a README with the required sections", (id) => {
    const readme = readFileSync(join(RULES_DIR, id, "README.md"), "utf8");
    expect(readme.split("\n")[0]).toBe(`# ${id}`);
    const sections = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1]!.trim());
    for (const required of ["Why it matters", "Examples", "Remediation", "References"]) expect(sections).toContain(required);
    const rule = RULES.find((r) => r.meta.id === id)!;
    for (const ref of rule.meta.references) expect(readme).toContain(ref);
    if (cases.some((c) => c.ruleId === id && /todo(ruleid|ok):/.test(c.text))) expect(sections).toContain("Known limitations");
  });
});
