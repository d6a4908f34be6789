import type { AnalysisResult, Finding, SourceInput } from "../engine/types.js";

export interface BaselineSplit {
  /** Findings the pull request brings: these count against it. */
  fresh: Finding[];
  /** Findings the base version of their file already had (same fingerprint): listed, not counted. */
  onBase: Finding[];
}

/**
 * Tell new findings from old ones: the base version of each modified file is analyzed under
 * its head path (`before`), and a finding whose fingerprint (rule, path, code — never a line
 * number) the base already had existed before this pull request. Added files have no base.
 */
export function splitByBaseline(findings: readonly Finding[], before: AnalysisResult | undefined): BaselineSplit {
  if (!before) return { fresh: [...findings], onBase: [] };
  const known = new Set([...before.findings, ...before.suppressed.map((s) => s.finding)].map((f) => f.fingerprint));
  const fresh: Finding[] = [];
  const onBase: Finding[] = [];
  for (const finding of findings) (known.has(finding.fingerprint) ? onBase : fresh).push(finding);
  return { fresh, onBase };
}

/** The base version of each modified file, under its head path; added files have none. */
export function baseVersions(files: readonly SourceInput[]): SourceInput[] {
  return files.filter((f) => f.base !== undefined).map((f) => ({ path: f.path, content: f.base! }));
}
