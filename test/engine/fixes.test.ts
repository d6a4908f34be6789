import { SyntaxKind } from "ts-morph";
import { analyzeWith } from "../../src/engine/analyze.js";
import type { Rule } from "../../src/engine/rule.js";

/** A rule that flags the literal "0.0.0.0" and proposes `replacement` for it. */
function bindRule(replacement: string): Rule {
  return {
    meta: { id: "probe-bind", title: "probe", severity: "high", cwe: "CWE-1327", confidence: "high", languages: ["typescript"], references: [], description: "probe" },
    check(ctx) {
      for (const literal of ctx.sourceFile.getDescendantsOfKind(SyntaxKind.StringLiteral)) {
        if (literal.getLiteralValue() === "0.0.0.0") ctx.report({ node: literal, message: "all interfaces", remediation: "loopback", fix: { node: literal, replacement } });
      }
    },
  };
}

/** A second rule that flags the literal "evil", to see a fix that brings a new finding refused. */
const evilRule: Rule = {
  meta: { id: "probe-evil", title: "probe", severity: "high", cwe: "CWE-1", confidence: "high", languages: ["typescript"], references: [], description: "probe" },
  check(ctx) {
    for (const literal of ctx.sourceFile.getDescendantsOfKind(SyntaxKind.StringLiteral)) if (literal.getLiteralValue() === "evil") ctx.report({ node: literal, message: "evil", remediation: "no" });
  },
};

const SERVER = `const app = makeApp();\napp.listen(3000,\n  "0.0.0.0");\nexport {};\n`;

describe("fixes the engine verifies before anyone sees them", () => {
  it("offers a fix that removes the finding and adds none, as the whole lines it changes", () => {
    const [finding] = analyzeWith([bindRule('"127.0.0.1"')], [{ path: "s.ts", content: SERVER }], { verifyFixes: true }).findings;
    expect(finding!.suggestion).toEqual({ line: 3, endLine: 3, text: '  "127.0.0.1");' });
  });

  it("offers nothing unless asked, and keeps the finding either way", () => {
    const [finding] = analyzeWith([bindRule('"127.0.0.1"')], [{ path: "s.ts", content: SERVER }]).findings;
    expect(finding!.suggestion).toBeUndefined();
  });

  it.each([
    ["breaks the file", '"127.0.0.1"))) ;{'],
    ["keeps the flaw", '"0.0.0.0"'],
    ["brings another finding", '"evil"'],
  ])("refuses a fix that %s", (_why, replacement) => {
    const [finding] = analyzeWith([bindRule(replacement), evilRule], [{ path: "s.ts", content: SERVER }], { verifyFixes: true }).findings;
    expect(finding!.ruleId).toBe("probe-bind");
    expect(finding!.suggestion).toBeUndefined();
  });

  it("verifies at most as many fixes as it is told", () => {
    const twice = `${SERVER}app.listen(3001, "0.0.0.0");\n`;
    const findings = analyzeWith([bindRule('"127.0.0.1"')], [{ path: "s.ts", content: twice }], { verifyFixes: 1 }).findings;
    expect(findings.map((f) => f.suggestion !== undefined)).toEqual([true, false]);
  });
});
