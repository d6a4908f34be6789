import { RULES } from "../../rules/index.js";
import { analyzeWith as analyzeWithEngine } from "./analyze-core.js";
import { scriptEngine } from "./analyze-scripts.js";
import type { Rule } from "./rule.js";
import type { AnalysisResult, AnalyzeOptions, SourceInput } from "./types.js";

export { countLines } from "./file-facts.js";
export { createProject } from "./analyze-scripts.js";

/**
 * Analyzes files with every registered rule. Pure and synchronous: files in, findings out.
 *
 * - `options.rules[id] === "off"` disables a rule; a severity re-grades all its findings.
 * - Files the engine cannot read are skipped as "unsupported"; files with syntax errors are
 *   skipped as "parse-error" with the first error's line and message.
 * - Files that no rule can fire on (see `RuleMeta.mentions`) are counted but not parsed.
 * - MCP client configs and dependency manifests go to `checkConfig`, raw text to `checkText`.
 * - A finding silenced by an `mcp-review-ignore <rule-id> -- <reason>` comment moves to
 *   `suppressed` unless `options.allowSuppressions === false`.
 * - A rule that throws is reported in `errors`; other rules and files still run.
 * - Findings are sorted by path, line, column and rule id.
 */
export function analyze(files: readonly SourceInput[], options: AnalyzeOptions = {}): AnalysisResult {
  return analyzeWith(RULES, files, options);
}

/** `analyze` with an explicit rule list (tests, and callers that bring their own rules). */
export function analyzeWith(rules: readonly Rule[], files: readonly SourceInput[], options: AnalyzeOptions = {}): AnalysisResult {
  return analyzeWithEngine(rules, files, options, scriptEngine);
}
