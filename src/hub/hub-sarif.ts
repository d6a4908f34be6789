import { LEVEL, pascalCase, SECURITY_SEVERITY, sarifLog, sarifResult } from "../cli/format-sarif.js";
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
  const rules = ruleIds.map((id) => {
    const sample = findings.find((f) => f.ruleId === id)!;
    const help = ruleReadme(id);
    return {
      id,
      name: pascalCase(id),
      shortDescription: { text: sample.title },
      ...(help ? { help: { text: sample.title, markdown: help } } : {}),
      defaultConfiguration: { level: LEVEL[sample.severity] },
      properties: { tags: ["security", ...(sample.cwe ? [`external/cwe/${sample.cwe.toLowerCase()}`] : [])], "security-severity": SECURITY_SEVERITY[sample.severity] },
    };
  });
  const provenance = repository.lastScannedCommit
    ? { versionControlProvenance: [{ repositoryUri: `${web}/${repository.fullName}`, revisionId: repository.lastScannedCommit, ...(repository.defaultBranch ? { branch: `refs/heads/${repository.defaultBranch}` } : {}) }] }
    : {};
  const results = findings.map((f) =>
    sarifResult(
      {
        ruleId: f.ruleId,
        severity: f.severity,
        message: f.remediation ? `${f.message}\n\n${f.remediation}` : f.message,
        path: f.path,
        line: f.line,
        column: f.column ?? undefined,
        endLine: f.endLine ?? undefined,
        fingerprint: f.fingerprint,
        cwe: f.cwe ?? undefined,
        context: f.context ?? undefined,
      },
      index.get(f.ruleId) ?? -1,
    ),
  );
  return sarifLog(packageVersion(), rules, { ...provenance, results });
}
