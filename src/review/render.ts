import { treatmentOf, type RepoConfig } from "../config/repo-config.js";
import { atOrAbove, SEVERITIES, type Finding, type RuleError, type Severity, type SkippedFile, type SuppressedFinding } from "../engine/types.js";
import type { DiffLines } from "./diff-lines.js";
import { showsPath } from "../engine/trace.js";
import { MAX_NEIGHBOURS } from "./neighbours.js";

/** The checks API takes at most this many annotations per request. */
export const MAX_ANNOTATIONS_PER_REQUEST = 50;
/** Annotations beyond this are counted in the summary, not sent. */
export const MAX_ANNOTATIONS = 1000;
/** The checks API rejects an output summary longer than this. */
export const MAX_SUMMARY_CHARS = 65535;

const MARKER = /<!-- mcp-review:fingerprint=([A-Za-z0-9_-]+) -->/;
const FIXED_MARKER = "<!-- mcp-review:fixed -->";

export type Conclusion = "success" | "neutral" | "failure";

export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: "failure" | "warning" | "notice";
  title: string;
  message: string;
  raw_details?: string;
}

export interface InlineComment {
  fingerprint: string;
  path: string;
  /** The last line the comment covers (the only one, without `startLine`). */
  line: number;
  /** The first line of a comment that covers several: a suggested change replaces `startLine`..`line`. */
  startLine?: number;
  body: string;
  /** The body carries a suggested change. */
  suggests?: boolean;
}

/** A finding placed against the diff. */
export interface PlacedFinding {
  finding: Finding;
  /** The changed line it sits on, if any: only these count against the pull request. */
  changedLine?: number;
  /**
   * The file of `changedLine` when it is not the finding's own: the pull request changed a step
   * of the finding's trace (a call that now carries tool input into an old helper, say).
   */
  changedPath?: string;
}

export interface RuleDoc {
  description?: string;
}

/**
 * Where each finding falls relative to the pull request's changes: on a changed line of its own,
 * else on the changed line of a step of its trace nearest the sink (the pull request made that
 * step, so it brought the finding), else nowhere that counts.
 */
export function placeFindings(findings: readonly Finding[], diff: ReadonlyMap<string, DiffLines>): PlacedFinding[] {
  return findings.map((finding) => {
    const lines = diff.get(finding.path);
    if (lines) {
      for (let line = finding.line; line <= Math.max(finding.line, finding.endLine); line++) {
        if (lines.added.has(line)) return { finding, changedLine: line };
      }
    }
    for (const step of [...(finding.trace ?? [])].reverse()) {
      if (diff.get(step.path)?.added.has(step.line)) return step.path === finding.path ? { finding, changedLine: step.line } : { finding, changedLine: step.line, changedPath: step.path };
    }
    return { finding };
  });
}

/** The file a placed finding is commented and annotated in. */
export function placedPath(placed: PlacedFinding): string {
  return placed.changedPath ?? placed.finding.path;
}

/**
 * Failure when a finding that counts (see `treatmentOf`: production code's, by default) is on a
 * changed line at or above `fail_on`; neutral when findings are on changed lines but none fails.
 */
export function conclusionFor(placed: PlacedFinding[], config: Pick<RepoConfig, "fail_on" | "contexts">): Conclusion {
  const onChanges = placed.filter((p) => p.changedLine !== undefined);
  const counted = onChanges.filter((p) => treatmentOf(p.finding, config) === "production");
  const failOn = config.fail_on;
  if (failOn !== "none" && counted.some((p) => atOrAbove(p.finding.severity, failOn))) return "failure";
  return onChanges.length > 0 ? "neutral" : "success";
}

export function annotationsFor(placed: PlacedFinding[]): Annotation[] {
  return placed.slice(0, MAX_ANNOTATIONS).map(({ finding, changedLine, changedPath }) => ({
    path: changedPath ?? finding.path,
    start_line: changedPath ? changedLine! : finding.line,
    end_line: changedPath ? changedLine! : Math.max(finding.line, finding.endLine),
    annotation_level: annotationLevel(finding.severity),
    title: `${finding.title} (${finding.cwe}, ${finding.severity})`,
    message: changedPath ? `This line carries input to \`${finding.path}:${finding.line}\`. ${finding.message}` : finding.message,
    raw_details: stripMarkdown(finding.remediation).slice(0, 64000),
  }));
}

/** The inline comment for a finding: what, why, how to fix this code, and a hidden fingerprint. */
export function commentBody(finding: Finding, doc: RuleDoc | undefined, suggest = false): string {
  const parts = [
    `**${SEVERITY_ICON[finding.severity]} ${finding.title}** · ${finding.severity} · ${cweLink(finding.cwe)} · \`${finding.ruleId}\``,
    finding.message,
  ];
  if (showsPath(finding)) {
    parts.push(`**How input gets here:**\n${finding.trace!.map((step, i) => `${i + 1}. \`${step.path}:${step.line}\` ${step.note}`).join("\n")}`);
  }
  if (doc?.description) parts.push(`**Why it matters:** ${doc.description}`);
  if (suggest && finding.suggestion) {
    const runs = finding.suggestion.text.match(/`{3,}/g) ?? [];
    const fence = "`".repeat(Math.max(3, ...runs.map((r) => r.length + 1)));
    parts.push(
      `**Suggested fix**, one click away (mcp-review checked it: the file still parses, this finding is gone and none is new):\n\n${fence}suggestion\n${finding.suggestion.text}\n${fence}`,
    );
  }
  parts.push(`**How to fix:**\n\n${finding.remediation}`);
  parts.push(`<sub>A false positive? Add \`mcp-review-ignore ${finding.ruleId} -- <reason>\` in a comment on or above the line (where the repository allows suppressions); \`/mcp-review rescan\` reviews again.</sub>`);
  parts.push(`<!-- mcp-review:fingerprint=${finding.fingerprint} -->`);
  return parts.join("\n\n");
}

/** The fingerprint in a comment the app wrote, or undefined. */
export function fingerprintOf(body: string): string | undefined {
  return MARKER.exec(body)?.[1];
}

export function isMarkedFixed(body: string): boolean {
  return body.includes(FIXED_MARKER);
}

/** A comment's body once its finding is no longer reported. */
export function fixedBody(body: string, headSha: string): string {
  return `${FIXED_MARKER}\n✅ **Fixed** in ${headSha.slice(0, 7)}: mcp-review no longer reports this.\n\n<details><summary>Original comment</summary>\n\n${body}\n\n</details>`;
}

export interface SummaryInput {
  placed: PlacedFinding[];
  config: RepoConfig;
  configErrors: string[];
  skipped: SkippedFile[];
  ruleErrors: RuleError[];
  /** Findings silenced by `mcp-review-ignore` comments, with their reasons. */
  suppressed?: SuppressedFinding[];
  /** Findings on changed lines that the base branch already had: listed, never counted or commented. */
  onBase?: Finding[];
  filesAnalyzed: number;
  /** Unchanged files read for cross-file flow (counted in `filesAnalyzed`). */
  neighbours?: { paths: readonly string[]; notRead: number; note?: string };
  headSha: string;
  comments: { posted: number; alreadyPosted: number; markedFixed: number; overLimit: number; rejected: number; suggestions?: number };
  annotationsDropped: number;
}

export function titleFor(placed: PlacedFinding[], conclusion: Conclusion, config: Pick<RepoConfig, "contexts">): string {
  const all = placed.filter((p) => p.changedLine !== undefined).map((p) => p.finding);
  const onChanges = all.filter((f) => treatmentOf(f, config) === "production");
  const others = all.length - onChanges.length;
  if (onChanges.length === 0) return others > 0 ? `No findings in production code on changed lines (${others} in test, example or generated code)` : "No MCP security findings on changed lines";
  const worst = SEVERITIES.find((s) => onChanges.some((f) => f.severity === s))!;
  const n = onChanges.length;
  return `${n} finding${n === 1 ? "" : "s"} on changed lines (worst: ${worst})${conclusion === "failure" ? "" : ", below the fail level"}`;
}

export function summaryFor(input: SummaryInput): string {
  const { placed, config } = input;
  const changed = placed.filter((p) => p.changedLine !== undefined);
  const onChanges = changed.filter((p) => treatmentOf(p.finding, config) === "production");
  const notCounted = changed.filter((p) => treatmentOf(p.finding, config) !== "production");
  const elsewhere = placed.filter((p) => p.changedLine === undefined);
  const out: string[] = [];

  out.push(
    `Reviewed ${input.filesAnalyzed} file${input.filesAnalyzed === 1 ? "" : "s"} at ${input.headSha.slice(0, 7)}. ` +
      (config.fail_on === "none" ? "This repository's config never fails the check." : `Findings at or above **${config.fail_on}** on changed lines fail the check.`),
  );

  const nb = input.neighbours;
  if (nb && (nb.paths.length > 0 || nb.notRead > 0 || nb.note)) {
    const lines: string[] = [];
    if (nb.paths.length > 0) {
      lines.push(
        `Tool input was followed through ${nb.paths.length} unchanged file${nb.paths.length === 1 ? "" : "s"} that import${nb.paths.length === 1 ? "s" : ""} or ${nb.paths.length === 1 ? "is" : "are"} imported by the changed ones (counted above); ` +
          "their findings count only where this pull request changed a step of the flow.",
      );
    }
    if (nb.notRead > 0) lines.push(`${nb.notRead} other source file${nb.notRead === 1 ? " was" : "s were"} not read (at most ${MAX_NEIGHBOURS} unchanged files are read), so a flow through them is not seen.`);
    if (nb.note) lines.push(`${nb.note.charAt(0).toUpperCase()}${nb.note.slice(1)}.`);
    out.push(`### Cross-file flow\n${lines.map((l) => `- ${l}`).join("\n")}`);
  }

  if (input.configErrors.length > 0) {
    out.push(`### ⚠️ Configuration problems\nThe review ran with defaults for these keys of \`.github/mcp-review.yml\` (read from the base branch):\n${input.configErrors.map((e) => `- ${e}`).join("\n")}`);
  }

  if (placed.length > 0) {
    out.push(`### Findings\n| severity | on changed lines | in test, example or generated code | elsewhere in changed files |\n|---|---|---|---|\n${SEVERITIES.map((s) => [s, count(onChanges, s), count(notCounted, s), count(elsewhere, s)] as const)
      .filter(([, a, b, c]) => a + b + c > 0)
      .map(([s, a, b, c]) => `| ${SEVERITY_ICON[s]} ${s} | ${a} | ${b} | ${c} |`)
      .join("\n")}`);
    const byRule = new Map<string, { title: string; cwe: string; n: number }>();
    for (const { finding } of placed) {
      const entry = byRule.get(finding.ruleId) ?? { title: finding.title, cwe: finding.cwe, n: 0 };
      entry.n++;
      byRule.set(finding.ruleId, entry);
    }
    out.push(`| rule | | count |\n|---|---|---|\n${[...byRule].sort(([a], [b]) => a.localeCompare(b)).map(([id, r]) => `| \`${id}\` | ${r.title} (${r.cwe}) | ${r.n} |`).join("\n")}`);
    out.push(findingList("On changed lines", onChanges));
    if (notCounted.length > 0) {
      const modes = [...new Set(notCounted.map((p) => `${p.finding.context} code is ${treatmentOf(p.finding, config)}`))].join(", ");
      out.push(findingList(`In test, example and generated code, on changed lines (not counted against this pull request: ${modes}; see \`contexts\` in the config)`, notCounted));
    }
    if (elsewhere.length > 0) out.push(findingList("Elsewhere in changed files (not counted against this pull request)", elsewhere));
  }

  const onBase = input.onBase ?? [];
  if (onBase.length > 0) {
    const rows = onBase.slice(0, 50).map((f) => `- ${SEVERITY_ICON[f.severity]} \`${f.path}:${f.line}\` ${f.title} (${f.cwe}, \`${f.ruleId}\`)`);
    if (onBase.length > 50) rows.push(`- …and ${onBase.length - 50} more`);
    out.push(`### Already on the base branch\n${onBase.length} finding${onBase.length === 1 ? "" : "s"} on changed lines existed before this pull request (the same code is on the base branch), so ${onBase.length === 1 ? "it neither fails" : "they neither fail"} the check nor get${onBase.length === 1 ? "s" : ""} an inline comment:\n${rows.join("\n")}`);
  }

  const suppressed = input.suppressed ?? [];
  if (suppressed.length > 0) {
    const rows = suppressed.slice(0, 50).map(({ finding: f, reason }) => `- \`${f.path}:${f.line}\` \`${f.ruleId}\` (${f.severity}): ${firstSentence(reason)}`);
    if (suppressed.length > 50) rows.push(`- …and ${suppressed.length - 50} more`);
    out.push(`### Suppressed\n${suppressed.length} finding${suppressed.length === 1 ? " is" : "s are"} silenced by \`mcp-review-ignore\` comments, with these reasons:\n${rows.join("\n")}`);
  }
  if (!config.allow_suppressions) {
    out.push("Inline `mcp-review-ignore` comments are not honored in this repository (`allow_suppressions: false`).");
  }

  const c = input.comments;
  const commentLines: string[] = [];
  if (c.posted) commentLines.push(`${c.posted} new inline comment${c.posted === 1 ? "" : "s"}`);
  if (c.suggestions) commentLines.push(`${c.suggestions} fix${c.suggestions === 1 ? " offered as a suggested change" : "es offered as suggested changes"} (verified before posting)`);
  if (c.alreadyPosted) commentLines.push(`${c.alreadyPosted} already commented earlier`);
  if (c.markedFixed) commentLines.push(`${c.markedFixed} earlier comment${c.markedFixed === 1 ? "" : "s"} marked fixed`);
  if (c.overLimit) commentLines.push(`${c.overLimit} not commented inline: over max_comments (${config.max_comments})`);
  if (c.rejected) commentLines.push(`${c.rejected} not commented inline: GitHub refused the line`);
  if (input.annotationsDropped) commentLines.push(`${input.annotationsDropped} annotations left out (over ${MAX_ANNOTATIONS})`);
  if (commentLines.length > 0) out.push(`### Comments\n${commentLines.map((l) => `- ${l}`).join("\n")}`);

  if (input.skipped.length > 0) {
    const reasons = new Map<string, number>();
    for (const s of input.skipped) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
    // Name the first files, those a reader can act on first; count the rest (a 3,000-file pull request has 2,000 over the limit).
    const ordered = [...input.skipped].sort((a, b) => Number(!LISTED_SKIPS.has(a.reason)) - Number(!LISTED_SKIPS.has(b.reason)));
    const listed = ordered.slice(0, MAX_SKIPS_NAMED).map((s) => `- \`${s.path}\`: ${SKIP_LABEL[s.reason] ?? s.reason}${s.detail ? ` (${s.detail})` : ""}`);
    if (ordered.length > MAX_SKIPS_NAMED) listed.push(`- …and ${ordered.length - MAX_SKIPS_NAMED} more`);
    out.push(`### Skipped files\n${[...reasons].map(([reason, n]) => `- ${SKIP_LABEL[reason] ?? reason}: ${n}`).join("\n")}\n\n${listed.join("\n")}`);
  }

  if (input.ruleErrors.length > 0) {
    out.push(`### Rule errors\nThese rules failed on a file; the other rules still ran:\n${input.ruleErrors.slice(0, 20).map((e) => `- \`${e.ruleId}\` on \`${e.path}\`: ${e.message}`).join("\n")}`);
  }

  let summary = out.join("\n\n");
  if (summary.length > MAX_SUMMARY_CHARS) summary = summary.slice(0, MAX_SUMMARY_CHARS - 40) + "\n\n…(summary truncated)";
  return summary;
}

const SEVERITY_ICON: Record<Severity, string> = { critical: "🔴", high: "🟠", medium: "🟡", low: "🔵", info: "⚪" };

/** Skipped files named in the summary; the others are counted. */
const MAX_SKIPS_NAMED = 20;
/** Reasons a reader can act on, named before the others. */
const LISTED_SKIPS = new Set(["parse-error", "too-large", "binary", "fetch-failed", "ignored", "symlink"]);

const SKIP_LABEL: Record<string, string> = {
  removed: "removed by the pull request",
  binary: "binary or not UTF-8",
  "too-large": "too large",
  ignored: "ignored by config",
  unsupported: "no rules for this file type",
  "parse-error": "could not be parsed",
  "fetch-failed": "could not be read",
  symlink: "a symbolic link, not followed",
  limit: "over the file limit",
  vendored: "vendored code or build output, not written in the repository",
  minified: "a minified bundle",
  generated: "generated code",
};

function annotationLevel(severity: Severity): Annotation["annotation_level"] {
  if (severity === "critical" || severity === "high") return "failure";
  return severity === "medium" ? "warning" : "notice";
}

function count(placed: PlacedFinding[], severity: Severity): number {
  return placed.filter((p) => p.finding.severity === severity).length;
}

function findingList(heading: string, placed: PlacedFinding[]): string {
  const shown = placed.slice(0, 50);
  const rows = shown.map(({ finding: f, changedPath, changedLine }) => {
    const via = changedPath ? ` (brought by \`${changedPath}:${changedLine}\`)` : "";
    const where = f.context === "production" ? "" : ` [${f.context}]`;
    return `- ${SEVERITY_ICON[f.severity]} \`${f.path}:${f.line}\`${where}${via} ${f.title} (${f.cwe}): ${firstSentence(f.message)}`;
  });
  if (placed.length > shown.length) rows.push(`- …and ${placed.length - shown.length} more`);
  return `**${heading}**\n${rows.join("\n")}`;
}

function firstSentence(text: string): string {
  const line = text.split("\n")[0]!;
  return line.length > 200 ? `${line.slice(0, 197)}…` : line;
}

function cweLink(cwe: string): string {
  const id = /^CWE-(\d+)$/.exec(cwe)?.[1];
  return id ? `[${cwe}](https://cwe.mitre.org/data/definitions/${id}.html)` : cwe;
}

function stripMarkdown(text: string): string {
  return text.replace(/`/g, "");
}
