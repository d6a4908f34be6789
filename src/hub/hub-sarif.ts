import { LEVEL, SECURITY_SEVERITY } from "../cli/format-sarif.js";
import { packageVersion, ruleReadme } from "../cli/package-info.js";
import type { FindingDetail, RepositoryRow } from "./hub-queries.js";

/**
 * A repository's open findings as SARIF 2.1.0, the way `mcp-review scan --format sarif` writes
 * them (levels, security-severity, the same partial fingerprint), for the commit last scanned:
 * code scanning or another tool can take it as it is. The web process loads no rule modules, so a
 * rule's entry is what the findings say of it, and its README as help.
 */
export function findingsSarif(repository: RepositoryRow, findings: readonly FindingDetail[], web: string): string {
  const ruleIds = [...new Set(findings.map((f) => f.ruleId))].sort();
  const index = new Map(ruleIds.map((id, i) => [id, i]));
  const version = packageVersion();
  const sarif = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "mcp-review",
            version,
            semanticVersion: version,
            informationUri: "https://github.com/apps/mcp-review",
            rules: ruleIds.map((id) => {
              const sample = findings.find((f) => f.ruleId === id)!;
              const help = ruleReadme(id);
              return {
                id,
                name: id.replace(/(^|-)([a-z0-9])/g, (_m, _dash, c: string) => c.toUpperCase()),
                shortDescription: { text: sample.title },
                ...(help ? { help: { text: sample.title, markdown: help } } : {}),
                defaultConfiguration: { level: LEVEL[sample.severity] },
                properties: { tags: ["security", ...(sample.cwe ? [`external/cwe/${sample.cwe.toLowerCase()}`] : [])], "security-severity": SECURITY_SEVERITY[sample.severity] },
              };
            }),
          },
        },
        ...(repository.lastScannedCommit
          ? { versionControlProvenance: [{ repositoryUri: `${web}/${repository.fullName}`, revisionId: repository.lastScannedCommit, ...(repository.defaultBranch ? { branch: `refs/heads/${repository.defaultBranch}` } : {}) }] }
          : {}),
        columnKind: "utf16CodeUnits",
        results: findings.map((f) => ({
          ruleId: f.ruleId,
          ruleIndex: index.get(f.ruleId) ?? -1,
          level: LEVEL[f.severity],
          message: { text: f.remediation ? `${f.message}\n\n${f.remediation}` : f.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: encodeURI(f.path), uriBaseId: "%SRCROOT%" },
                region: { startLine: f.line, ...(f.column ? { startColumn: f.column } : {}), ...(f.endLine ? { endLine: f.endLine } : {}) },
              },
            },
          ],
          partialFingerprints: { "mcpReview/v1": f.fingerprint },
          properties: { severity: f.severity, "security-severity": SECURITY_SEVERITY[f.severity], ...(f.cwe ? { cwe: f.cwe } : {}), ...(f.context && f.context !== "production" ? { tags: [f.context] } : {}) },
        })),
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
