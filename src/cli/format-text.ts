import { showsPath } from "../engine/trace.js";
import type { Finding } from "../engine/types.js";
import type { ScanReport } from "./scan-report.js";

/** Human-readable report: one block per finding, then a summary line. */
export function formatText(report: ScanReport): string {
  const blocks = report.findings.map(block);
  const { stats } = report;
  const skipped = Object.entries(stats.skipped)
    .map(([reason, n]) => `${n} ${reason}`)
    .join(", ");
  const suppressedNote = stats.suppressed.length > 0 ? `; ${stats.suppressed.length} suppressed by mcp-review-ignore` : "";
  const skippedNote = (stats.filesSkipped > 0 ? `; ${stats.filesSkipped} skipped (${skipped})` : "") + suppressedNote;
  const files = `${stats.filesScanned} file${stats.filesScanned === 1 ? "" : "s"} scanned`;
  let summary: string;
  if (report.findings.length === 0) {
    summary = `No findings: ${files}${skippedNote}.`;
  } else {
    const bySeverity = Object.entries(stats.findingsBySeverity)
      .filter(([, n]) => n > 0)
      .map(([severity, n]) => `${n} ${severity}`)
      .join(", ");
    summary = `${report.findings.length} finding${report.findings.length === 1 ? "" : "s"} (${bySeverity}) in ${files}${skippedNote}.`;
  }
  return [...blocks, summary].join("\n\n") + "\n";
}

function block(f: Finding): string {
  return [
    `${f.path}:${f.line}:${f.column}  ${f.severity.toUpperCase()}  ${f.ruleId}  (${f.cwe})${f.context === "production" ? "" : `  [${f.context}]`}`,
    indent(f.message),
    ...(showsPath(f) ? [indent(["Path:", ...f.trace!.map((step) => `  ${step.path}:${step.line}  ${step.note}`)].join("\n"))] : []),
    indent(`Fix: ${f.remediation}`),
  ].join("\n");
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => (line ? `    ${line}` : line))
    .join("\n");
}
