import { analyze, listRules } from "../engine/index.js";
import type { AnalyzeOptions, Finding, SourceInput } from "../engine/types.js";
import type { ReviewAnalysis } from "./analysis-pool.js";
import { MemoryResultCache, type ResultCache } from "../scan/result-cache.js";
import { analyzeBaselineCached } from "./baseline.js";
import type { DiffLines } from "./diff-lines.js";
import { placeFindings, type RuleDoc } from "./render.js";

/** Fixes verified per review: each costs an analysis of its file, and comments are few. */
const MAX_SUGGESTIONS = 25;

let docs: Map<string, RuleDoc> | undefined;
/** The baselines' cache when the caller brings none: in this process's memory. */
let local: ResultCache | undefined;

/**
 * The engine's analysis as a review needs it: the result; what the base versions already had
 * (one request to the thread, files sent once; read back from `cache` when the same base was
 * analyzed before); and the description of each rule that found something, for the review comments. This module loads the engine (TypeScript, ts-morph,
 * tree-sitter: about 100 MB); only analysis threads and the inline analyzer import it.
 */
export async function analyzeForReview(files: readonly SourceInput[], options: AnalyzeOptions, diff: ReadonlyMap<string, DiffLines> = new Map(), cache?: ResultCache): Promise<ReviewAnalysis> {
  // Fixes are verified only where they can become suggested changes: findings on changed lines.
  const onChanges = (f: Finding) => placeFindings([f], diff)[0]!.changedLine !== undefined;
  const result = analyze(files, { ...options, verifyFixes: onChanges, maxVerified: MAX_SUGGESTIONS });
  const baseline = await analyzeBaselineCached(files, result, options, diff, cache ?? (local ??= new MemoryResultCache()));
  docs ??= new Map(listRules().map((rule) => [rule.id, { description: rule.description }]));
  const ruleDocs: Record<string, RuleDoc> = {};
  for (const finding of [...result.findings, ...result.suppressed.map((s) => s.finding)]) ruleDocs[finding.ruleId] ??= docs.get(finding.ruleId) ?? {};
  return { ...result, ruleDocs, ...(baseline ? { baseline } : {}) };
}
