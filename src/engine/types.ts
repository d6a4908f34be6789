import type { CodeContext, ContextPaths } from "./context.js";
import type { PythonTreeFacts } from "./python/project.js";

/** Severities from most to least serious. */
export const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

export type Confidence = "high" | "medium" | "low";

/** Languages the engine can read. */
export type Language = "typescript" | "javascript" | "python" | "mcp-config" | "manifest";

/** One file handed to the engine: a POSIX path relative to the scanned root, and its text. */
export interface SourceInput {
  path: string;
  content: string;
  /**
   * The file as it was before the change under review (a pull request's base), when the caller
   * has it. Rules that judge a change, such as a tool whose definition changed, compare the two.
   */
  base?: string;
}

/** One step of the way input travels to a finding: where it enters, each call it passes, the sink. */
export interface TraceStep {
  /** POSIX, relative to the scanned root. */
  path: string;
  /** 1-based. */
  line: number;
  note: string;
}

/**
 * A security finding. JSON output, SARIF, check annotations and review comments are all
 * rendered from this shape.
 */
export interface Finding {
  ruleId: string;
  title: string;
  severity: Severity;
  confidence: Confidence;
  /** e.g. "CWE-78" */
  cwe: string;
  /** POSIX, relative to the scanned root. */
  path: string;
  /** 1-based. */
  line: number;
  endLine: number;
  /** 1-based. */
  column: number;
  /** What was found and why it is dangerous, about this code. */
  message: string;
  /** Markdown: how to fix this code. */
  remediation: string;
  /** Stable across unrelated edits: rule + path + normalized code, never line numbers. */
  fingerprint: string;
  /**
   * Source → calls → sink, when the finding is about input that flows: the handler whose input
   * it is, each call that carries it into another function, and the sink (the finding itself).
   */
  trace?: TraceStep[];
  /** Where the code sits: production code, tests, examples or generated code (see `contextClassifier`). */
  context: CodeContext;
  /**
   * Counts as production code's would in every context: a credential in a provider's verifiable
   * format leaks from a test file as well.
   */
  countsEverywhere?: true;
  /**
   * A fix as whole lines, verified by the engine: the file with lines `line`..`endLine` replaced
   * by `text` still parses, no longer has this finding, and has no new one. Only present when
   * the analysis was asked to verify fixes (`AnalyzeOptions.verifyFixes`).
   */
  suggestion?: Suggestion;
}

/** Replace lines `line`..`endLine` (1-based, inclusive) of a file with `text` (no final newline). */
export interface Suggestion {
  line: number;
  endLine: number;
  text: string;
}

/** Why a file was not analyzed. */
export type SkipReason =
  | "removed"
  | "binary"
  | "too-large"
  | "ignored"
  | "unsupported"
  | "parse-error"
  | "fetch-failed"
  | "symlink"
  | "limit"
  /** In a folder of code no one of the repository wrote: `node_modules`, `vendor`, a virtualenv, build output beside its sources. */
  | "vendored"
  /** A minified bundle. */
  | "minified"
  /** Code that says it was generated (`// @generated`, `# Code generated ... DO NOT EDIT`). */
  | "generated";

export interface SkippedFile {
  path: string;
  reason: SkipReason;
  detail?: string;
}

/** A rule that threw on a file: reported, never fatal to the review. */
export interface RuleError {
  ruleId: string;
  path: string;
  message: string;
}

/** Per-rule settings from the repository config: "off" or a new severity. */
export type RuleSettings = Record<string, "off" | Severity>;

export interface AnalyzeOptions {
  rules?: RuleSettings;
  /** Honor `mcp-review-ignore <rule-id> -- <reason>` comments (default true). */
  allowSuppressions?: boolean;
  /**
   * Run rules on these paths only. The other files are still read as they would be otherwise,
   * so taint follows calls into them, but nothing is reported in them. A pull request's baseline
   * needs only the files that have findings.
   */
  only?: readonly string[];
  /** Run only these rules (ids), as if the others were off. */
  onlyRules?: readonly string[];
  /** Globs that place paths in a context, over the well-known layouts (`test/`, `examples/`, ...). */
  paths?: ContextPaths;
  /**
   * Verify the fixes rules propose, at most this many (true: all), by analyzing each file again
   * with the fix applied; a finding gets a `suggestion` only when its fix holds.
   */
  verifyFixes?: boolean | number | ((finding: Finding) => boolean);
  /** With `verifyFixes`, verify at most this many (each costs an analysis of its file). */
  maxVerified?: number;
  /**
   * Set by `analyzeUnits` when these files are one unit of a larger tree: what an analysis of the
   * whole tree would know beyond them. Callers that hand over a whole tree leave it unset.
   */
  tree?: TreeFacts;
}

/** What a unit of a tree needs to know of the rest of the tree (see `planUnits`). */
export interface TreeFacts {
  python?: PythonTreeFacts;
}

/** A finding that an inline `mcp-review-ignore` comment silenced, with the reason it gives. */
export interface SuppressedFinding {
  finding: Finding;
  reason: string;
}

export interface AnalysisStats {
  filesAnalyzed: number;
  linesAnalyzed: number;
  durationMs: number;
  /** Milliseconds spent in each rule that ran, by rule id. */
  ruleMs?: Record<string, number>;
}

export interface AnalysisResult {
  findings: Finding[];
  /** Findings silenced by an inline suppression with a reason; not in `findings`. */
  suppressed: SuppressedFinding[];
  skipped: SkippedFile[];
  errors: RuleError[];
  stats: AnalysisStats;
}

/** Ordinal of a severity: 0 is the most serious. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** True when `severity` is at least as serious as `threshold`. */
export function atOrAbove(severity: Severity, threshold: Severity): boolean {
  return severityRank(severity) <= severityRank(threshold);
}
