import { readdirSync, readFileSync, statSync } from "node:fs";
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

const cases = RULES.flatMap((rule) => {
  const dir = join(RULES_DIR, rule.meta.id, "fixtures");
  return readdirSync(dir)
    .sort()
    .map((file) => ({ ruleId: rule.meta.id, rule, file: `${rule.meta.id}/fixtures/${file}`, text: readFileSync(join(dir, file), "utf8") }));
});

describe("rule fixtures", () => {
  it.each(cases.map((c) => [c.file, c] as const))("%s", (_name, { rule, ruleId, file, text }) => {
    const marks = annotations(text).filter((a) => a.ruleId === ruleId);
    expect(marks.length).toBeGreaterThan(0);
    const result = analyzeWith([rule], [{ path: file, content: text }]);
    expect(result.skipped).toEqual([]);
    expect(result.errors).toEqual([]);
    const firing = new Set(result.findings.map((f) => f.line));
    const problems: string[] = [];
    for (const { mark, line } of marks) {
      const fired = firing.has(line);
      if (mark === "ruleid" && !fired) problems.push(`line ${line}: expected ${ruleId} to fire`);
      if (mark === "ok" && fired) problems.push(`line ${line}: ${ruleId} fired on an ok: line`);
      if (mark === "todoruleid" && fired) problems.push(`line ${line}: a known miss now fires — change todoruleid: to ruleid:`);
      if (mark === "todook" && !fired) problems.push(`line ${line}: a known false positive is gone — change todook: to ok:`);
    }
    const expected = new Set(marks.filter((m) => m.mark === "ruleid" || m.mark === "todook").map((m) => m.line));
    for (const finding of result.findings) {
      if (!expected.has(finding.line)) problems.push(`line ${finding.line}: unannotated finding: ${finding.message}`);
    }
    expect(problems).toEqual([]);
  });

  it("has at least one firing and one ok fixture line per rule", () => {
    for (const rule of RULES) {
      const marks = cases.filter((c) => c.ruleId === rule.meta.id).flatMap((c) => annotations(c.text));
      expect({ id: rule.meta.id, ruleid: marks.some((m) => m.mark === "ruleid"), ok: marks.some((m) => m.mark === "ok") }).toEqual({ id: rule.meta.id, ruleid: true, ok: true });
    }
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
