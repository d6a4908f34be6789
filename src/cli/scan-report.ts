import { SEVERITIES, type AnalysisResult, type Finding, type RuleError, type Severity, type SkippedFile } from "../engine/types.js";

export interface ScanStats {
  filesScanned: number;
  filesSkipped: number;
  /** Count of skipped files by reason. */
  skipped: Record<string, number>;
  findingsBySeverity: Record<Severity, number>;
  linesScanned: number;
  durationMs: number;
  skippedFiles: SkippedFile[];
  ruleErrors: RuleError[];
  /** Findings silenced by `mcp-review-ignore` comments, with their reasons; not in `findings`. */
  suppressed: (Finding & { reason: string })[];
  /** A whole-tree scan: units of files analyzed together (`cached`: read from the result cache), on `jobs` threads. */
  units?: { total: number; cached: number };
  jobs?: number;
}

/** What `mcp-review scan --format json` prints. */
export interface ScanReport {
  findings: Finding[];
  stats: ScanStats;
}

export function scanReport(result: AnalysisResult, collectionSkipped: SkippedFile[], durationMs: number, scan: Pick<ScanStats, "units" | "jobs"> = {}): ScanReport {
  const skippedFiles = [...collectionSkipped, ...result.skipped].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const skipped: Record<string, number> = {};
  for (const file of skippedFiles) skipped[file.reason] = (skipped[file.reason] ?? 0) + 1;
  const findingsBySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const finding of result.findings) findingsBySeverity[finding.severity]++;
  return {
    findings: result.findings,
    stats: {
      filesScanned: result.stats.filesAnalyzed,
      filesSkipped: skippedFiles.length,
      skipped,
      findingsBySeverity,
      linesScanned: result.stats.linesAnalyzed,
      durationMs,
      skippedFiles,
      ruleErrors: result.errors,
      suppressed: result.suppressed.map(({ finding, reason }) => ({ ...finding, reason })),
      ...scan,
    },
  };
}
