import type { AnalysisResult, AnalyzeOptions, Finding, SourceInput } from "../engine/types.js";
import type { DiffLines } from "./diff-lines.js";
import type { ResultCache } from "../scan/result-cache.js";
import { scanFile, scanTree } from "../scan/tree-scan.js";
import { placeFindings } from "./render.js";

export interface BaselineSplit {
  /** Findings the pull request brings: these count against it. */
  fresh: Finding[];
  /** Findings the base version of their file already had (same fingerprint): listed, not counted. */
  onBase: Finding[];
}

/** What the base versions had: the fingerprints of their findings (suppressed ones included). */
export interface Baseline {
  fingerprints: string[];
  durationMs: number;
}

/**
 * Tell new findings from old ones: a finding whose fingerprint (rule, path, code — never a line
 * number) the base version of its file already had existed before this pull request.
 */
export function splitByBaseline(findings: readonly Finding[], baseline: Baseline | undefined): BaselineSplit {
  if (!baseline) return { fresh: [...findings], onBase: [] };
  const known = new Set(baseline.fingerprints);
  const fresh: Finding[] = [];
  const onBase: Finding[] = [];
  for (const finding of findings) (known.has(finding.fingerprint) ? onBase : fresh).push(finding);
  return { fresh, onBase };
}

/**
 * Analyze the base versions of modified files (under their head paths) where that can change the
 * answer. Only findings on changed lines count against a pull request, so only they need telling
 * old from new (a reindented line keeps its finding's fingerprint); findings elsewhere are listed
 * as they are. And a finding can only be old if its own file's base version has one of the same
 * rule. So only files with findings on changed lines are checked, only with the rules that found
 * them; the other base versions are context for cross-file taint. Undefined when no file needs it
 * (added files have no base).
 */
export function analyzeBaseline(
  files: readonly SourceInput[],
  head: AnalysisResult,
  options: AnalyzeOptions,
  analyze: (files: readonly SourceInput[], options: AnalyzeOptions) => AnalysisResult,
  diff: ReadonlyMap<string, DiffLines>,
): Baseline | undefined {
  const request = baselineRequest(files, head, diff);
  if (!request) return undefined;
  const before = analyze(request.files, { ...options, only: request.only, onlyRules: request.onlyRules });
  return {
    fingerprints: [...before.findings, ...before.suppressed.map((s) => s.finding)].map((f) => f.fingerprint),
    durationMs: before.stats.durationMs,
  };
}

/**
 * `analyzeBaseline` through the result cache: the base versions are analyzed unit by unit (see
 * `planUnits`), and a unit whose files, checked files and rules were analyzed before is read back.
 * A review of the same base again (a rescan, a push that leaves the same files with findings)
 * costs nearly nothing.
 */
export async function analyzeBaselineCached(files: readonly SourceInput[], head: AnalysisResult, options: AnalyzeOptions, diff: ReadonlyMap<string, DiffLines>, cache: ResultCache): Promise<Baseline | undefined> {
  const request = baselineRequest(files, head, diff);
  if (!request) return undefined;
  const started = performance.now();
  const before = await scanTree(request.files.map((f) => scanFile(f)), { ...options, only: request.only, onlyRules: request.onlyRules }, { jobs: 0, cache });
  return {
    fingerprints: [...before.findings, ...before.suppressed.map((s) => s.finding)].map((f) => f.fingerprint),
    durationMs: Math.round(performance.now() - started),
  };
}

/** What a baseline analyzes: every base version (as context), rules run only on `only`, with `onlyRules`. Undefined when no file needs it. */
function baselineRequest(files: readonly SourceInput[], head: AnalysisResult, diff: ReadonlyMap<string, DiffLines>): { files: SourceInput[]; only: string[]; onlyRules: string[] } | undefined {
  const baseFiles = files.filter((f) => f.base !== undefined).map((f) => ({ path: f.path, content: f.base! }));
  const counted = placeFindings(head.findings, diff)
    .filter((p) => p.changedLine !== undefined)
    .map((p) => p.finding);
  const withFindings = new Set(counted.map((f) => f.path));
  const only = baseFiles.map((f) => f.path).filter((path) => withFindings.has(path));
  if (only.length === 0) return undefined;
  const checked = new Set(only);
  const onlyRules = [...new Set(counted.filter((f) => checked.has(f.path)).map((f) => f.ruleId))];
  return { files: baseFiles, only, onlyRules };
}
