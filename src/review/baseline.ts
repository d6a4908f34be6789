import { analyze } from "../engine/index.js";
import type { AnalyzeOptions, Finding, SourceInput } from "../engine/types.js";

export interface BaselineSplit {
  /** Findings the pull request brings: these count against it. */
  fresh: Finding[];
  /** Findings the base version of their file already had (same fingerprint): listed, not counted. */
  onBase: Finding[];
}

/**
 * Tell new findings from old ones: the base version of each modified file is analyzed under
 * its head path, and a finding whose fingerprint (rule, path, code — never a line number) the
 * base already had existed before this pull request. Added files have no base: all new.
 */
export function splitByBaseline(findings: readonly Finding[], files: readonly SourceInput[], options: AnalyzeOptions): BaselineSplit {
  const baseFiles = files.filter((f) => f.base !== undefined).map((f) => ({ path: f.path, content: f.base! }));
  if (baseFiles.length === 0) return { fresh: [...findings], onBase: [] };
  const before = analyze(baseFiles, options);
  const known = new Set([...before.findings, ...before.suppressed.map((s) => s.finding)].map((f) => f.fingerprint));
  const fresh: Finding[] = [];
  const onBase: Finding[] = [];
  for (const finding of findings) (known.has(finding.fingerprint) ? onBase : fresh).push(finding);
  return { fresh, onBase };
}
