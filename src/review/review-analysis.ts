import { analyze, listRules } from "../engine/index.js";
import type { AnalyzeOptions, SourceInput } from "../engine/types.js";
import type { ReviewAnalysis } from "./analysis-pool.js";
import { analyzeBaseline } from "./baseline.js";
import type { DiffLines } from "./diff-lines.js";
import type { RuleDoc } from "./render.js";

let docs: Map<string, RuleDoc> | undefined;

/**
 * The engine's analysis as a review needs it: the result; what the base versions already had
 * (one request to the thread, files sent once); and the description of each rule that found
 * something, for the review comments. This module loads the engine (TypeScript, ts-morph,
 * tree-sitter: about 100 MB); only analysis threads and the inline analyzer import it.
 */
export function analyzeForReview(files: readonly SourceInput[], options: AnalyzeOptions, diff: ReadonlyMap<string, DiffLines> = new Map()): ReviewAnalysis {
  const result = analyze(files, options);
  const baseline = analyzeBaseline(files, result, options, analyze, diff);
  docs ??= new Map(listRules().map((rule) => [rule.id, { description: rule.description }]));
  const ruleDocs: Record<string, RuleDoc> = {};
  for (const finding of [...result.findings, ...result.suppressed.map((s) => s.finding)]) ruleDocs[finding.ruleId] ??= docs.get(finding.ruleId) ?? {};
  return { ...result, ruleDocs, ...(baseline ? { baseline } : {}) };
}
