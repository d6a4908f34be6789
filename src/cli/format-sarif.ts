import type { RuleMeta } from "../engine/rule.js";
import type { Severity, TraceStep } from "../engine/types.js";
import { ruleReadme } from "./package-info.js";
import type { ScanReport } from "./scan-report.js";

/** GitHub code scanning sorts and filters security alerts by this score. */
export const SECURITY_SEVERITY: Record<Severity, string> = { critical: "9.5", high: "8.0", medium: "5.5", low: "3.0", info: "1.0" };
export const LEVEL: Record<Severity, "error" | "warning" | "note"> = { critical: "error", high: "error", medium: "warning", low: "note", info: "note" };
const INFORMATION_URI = "https://github.com/apps/mcp-review";

/** What a SARIF result says of one finding, wherever the finding comes from (a scan or the hub's store). */
export interface SarifFinding {
  ruleId: string;
  severity: Severity;
  message: string;
  path: string;
  line: number;
  column?: number;
  endLine?: number;
  fingerprint: string;
  cwe?: string;
  context?: string;
}

/** A SARIF 2.1.0 log of one mcp-review run: the driver with its rule entries, and the rest of the run. */
export function sarifLog(version: string, rules: readonly object[], run: object): string {
  const sarif = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [{ tool: { driver: { name: "mcp-review", version, semanticVersion: version, informationUri: INFORMATION_URI, rules } }, columnKind: "utf16CodeUnits", ...run }],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

/** One finding as a SARIF result: level, location, the partial fingerprint, severity and context tags. */
export function sarifResult(f: SarifFinding, ruleIndex: number): Record<string, unknown> {
  return {
    ruleId: f.ruleId,
    ruleIndex,
    level: LEVEL[f.severity],
    message: { text: f.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: encodeURI(f.path), uriBaseId: "%SRCROOT%" },
          region: { startLine: f.line, ...(f.column ? { startColumn: f.column } : {}), ...(f.endLine ? { endLine: f.endLine } : {}) },
        },
      },
    ],
    partialFingerprints: { "mcpReview/v1": f.fingerprint },
    // Code scanning marks where code sits with tags, as CodeQL tags test code.
    properties: { severity: f.severity, "security-severity": SECURITY_SEVERITY[f.severity], ...(f.cwe ? { cwe: f.cwe } : {}), ...(f.context && f.context !== "production" ? { tags: [f.context] } : {}) },
  };
}

/** SARIF 2.1.0 as GitHub code scanning accepts it. */
export function formatSarif(report: ScanReport, rules: readonly RuleMeta[], version: string): string {
  const index = new Map(rules.map((rule, i) => [rule.id, i]));
  return sarifLog(
    version,
    rules.map((rule) => ({
      id: rule.id,
      name: pascalCase(rule.id),
      shortDescription: { text: rule.title },
      fullDescription: { text: rule.description },
      help: {
        text: `${rule.description}\n\nReferences:\n${rule.references.map((r) => `- ${r}`).join("\n")}`,
        markdown: ruleReadme(rule.id) ?? `${rule.description}\n\n${rule.references.map((r) => `- ${r}`).join("\n")}`,
      },
      defaultConfiguration: { level: LEVEL[rule.severity] },
      properties: {
        tags: ["security", `external/cwe/${rule.cwe.toLowerCase()}`],
        precision: rule.confidence,
        "security-severity": SECURITY_SEVERITY[rule.severity],
      },
    })),
    {
      // Suppressed findings are results too, marked as suppressed in the source with their reason.
      results: [...report.findings, ...report.stats.suppressed].map((f) => ({
        ...sarifResult({ ...f, message: `${f.message}\n\n${f.remediation}` }, index.get(f.ruleId) ?? -1),
        ...(f.trace && f.trace.length > 0 ? { codeFlows: [codeFlow(f.trace)] } : {}),
        ...("reason" in f ? { suppressions: [{ kind: "inSource", justification: f.reason }] } : {}),
      })),
    },
  );
}

/** A finding's trace as a SARIF code flow: one thread, source first, the sink last. */
function codeFlow(trace: readonly TraceStep[]): object {
  return {
    threadFlows: [
      {
        locations: trace.map((step) => ({
          location: {
            physicalLocation: { artifactLocation: { uri: encodeURI(step.path), uriBaseId: "%SRCROOT%" }, region: { startLine: step.line } },
            message: { text: step.note },
          },
        })),
      },
    ],
  };
}

export function pascalCase(id: string): string {
  return id.replace(/(^|-)([a-z0-9])/g, (_m, _dash, c: string) => c.toUpperCase());
}
