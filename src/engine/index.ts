import { RULES } from "../../rules/index.js";
import type { RuleMeta } from "./rule.js";

export { analyze } from "./analyze.js";
export { isAnalyzable } from "./language.js";
export { RULES };
export type { Problem, Rule, RuleContext, RuleMeta } from "./rule.js";
export * from "./types.js";

/** Metadata of every registered rule, sorted by id: titles and docs for SARIF, comments and check runs. */
export function listRules(): RuleMeta[] {
  return RULES.map((rule) => rule.meta);
}
