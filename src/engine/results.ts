import type { AnalysisResult, Finding } from "./types.js";

/** The engine's order of findings: by path, line, column and rule id. */
export function compareFindings(a: Finding, b: Finding): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line || a.column - b.column || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0);
}

/** One result from the results of units: findings in the engine's order, counts added up. */
export function mergeResults(results: readonly AnalysisResult[], durationMs: number): AnalysisResult {
  const ruleMs: Record<string, number> = {};
  for (const r of results) for (const [id, ms] of Object.entries(r.stats.ruleMs ?? {})) ruleMs[id] = Math.round(((ruleMs[id] ?? 0) + ms) * 10) / 10;
  const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return {
    findings: results.flatMap((r) => r.findings).sort(compareFindings),
    suppressed: results.flatMap((r) => r.suppressed).sort((a, b) => compareFindings(a.finding, b.finding)),
    skipped: results.flatMap((r) => r.skipped).sort(byPath),
    errors: results.flatMap((r) => r.errors).sort((a, b) => byPath(a, b) || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0)),
    stats: {
      filesAnalyzed: results.reduce((n, r) => n + r.stats.filesAnalyzed, 0),
      linesAnalyzed: results.reduce((n, r) => n + r.stats.linesAnalyzed, 0),
      durationMs: Math.round(durationMs),
      ruleMs,
    },
  };
}

/** The result of analyzing nothing. */
export function emptyResult(): AnalysisResult {
  return { findings: [], suppressed: [], skipped: [], errors: [], stats: { filesAnalyzed: 0, linesAnalyzed: 0, durationMs: 0 } };
}
