import type { Rule } from "../../src/engine/rule.js";
import { findSuppressions } from "../../src/engine/suppressions.js";

export const suppressionWithoutReason: Rule = {
  meta: {
    id: "suppression-without-reason",
    title: "mcp-review-ignore comment without a reason",
    severity: "low",
    cwe: "CWE-710",
    confidence: "high",
    languages: ["typescript", "javascript", "python", "mcp-config", "manifest"],
    references: ["https://cwe.mitre.org/data/definitions/710.html", "https://semgrep.dev/docs/ignoring-files-folders-code#reference-summary"],
    description:
      "An `mcp-review-ignore` comment must say why the finding is acceptable (`mcp-review-ignore <rule-id> -- <reason>`), so that reviewers can judge it and it can be revisited; one without a reason, or without a rule id, silences nothing.",
  },
  checkText(ctx) {
    if (!ctx.text.includes("mcp-review-ignore")) return;
    for (const s of findSuppressions(ctx.text)) {
      if (s.reason !== "" && s.ruleIds.length > 0) continue;
      const missing = s.ruleIds.length === 0 ? "no rule id" : "no reason";
      ctx.report({
        offset: s.offset,
        length: s.length,
        message: `This \`mcp-review-ignore\` comment has ${missing}, so it silences nothing: a suppression must name the rule and say why the finding is acceptable here.`,
        remediation: "Write it as `mcp-review-ignore <rule-id> -- <why this is safe here>`, e.g. `// mcp-review-ignore command-injection -- cmd is one of the constants in ALLOWED`; or fix the finding and delete the comment.",
      });
    }
  },
};
