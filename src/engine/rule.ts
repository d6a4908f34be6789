import type { Node, SourceFile } from "ts-morph";
import type { Dependency, McpConfigFile } from "./config/index.js";
import type { McpFile } from "./mcp.js";
import type { PythonRuleContext } from "./python/context.js";
import type { TaintQueries } from "./taint.js";
import type { CodeContext } from "./context.js";
import type { Confidence, Language, Severity } from "./types.js";

/** What a rule states about itself; the engine copies title, severity and cwe into findings. */
export interface RuleMeta {
  /** Permanent id, equal to the rule's folder name under rules/. */
  id: string;
  title: string;
  severity: Severity;
  /** e.g. "CWE-78" */
  cwe: string;
  confidence: Confidence;
  languages: readonly Language[];
  references: readonly string[];
  /** One paragraph: what the rule finds and why it matters. */
  description: string;
  /**
   * A cheap test on the raw text: the rule can only fire on files it matches. Files that no
   * rule can fire on are not parsed at all, which is where most of the engine's speed comes from.
   */
  mentions?: RegExp;
  /** The same pre-filter for Python files: a Python file is parsed only if some rule's `mentionsPython` matches it. */
  mentionsPython?: RegExp;
}

/** A problem found by a rule. The engine adds location, severity, title, cwe and fingerprint. */
export interface Problem {
  /** The code the finding points at; its text also makes the fingerprint. */
  node: Node;
  /** What was found and why it is dangerous, about this code. */
  message: string;
  /** Markdown: how to fix this code. */
  remediation: string;
  /** Overrides the rule's own severity for this problem (e.g. critical when a shell runs it). */
  severity?: Severity;
  /** Counts in every context, tests included (a verifiable credential leaks from anywhere). */
  countsEverywhere?: boolean;
  /**
   * A local rewrite that removes the flaw: `node`'s text replaced by `replacement`. The engine
   * verifies it before anyone sees it (see `Finding.suggestion`).
   */
  fix?: { node: Node; replacement: string };
}

/** Everything a rule may know about the file under analysis. */
export interface RuleContext {
  readonly sourceFile: SourceFile;
  /** POSIX path relative to the scanned root. */
  readonly path: string;
  readonly language: Language;
  /** Where the file sits: production code, tests, examples, generated code. */
  readonly context: CodeContext;
  /** MCP facts about this file: tool handlers, description texts, imports. Computed once per file. */
  readonly mcp: McpFile;
  /** Taint queries: does tool input reach this expression? */
  readonly taint: TaintQueries;
  /** The file before the change under review, when the caller gave one (`SourceInput.base`); parsed on first use. */
  readonly base?: SourceFile;
  /** The text of `base`, without parsing it. */
  readonly baseText?: string;
  report(problem: Problem): void;
}

/** A problem located by character offsets in a file's text (configs, manifests, comments). */
export interface TextProblem {
  /** Offset of the first character the finding points at; its text also makes the fingerprint. */
  offset: number;
  length: number;
  message: string;
  remediation: string;
  severity?: Severity;
  /** A local rewrite: the text at `offset` (of `length`) replaced by `replacement`, verified by the engine. */
  fix?: { offset: number; length: number; replacement: string };
}

/** What a rule may know about a file it reads as text: MCP client configs, manifests, comments. */
export interface TextRuleContext {
  /** POSIX path relative to the scanned root. */
  readonly path: string;
  readonly language: Language;
  readonly text: string;
  /** The file's text before the change under review, when the caller gave one (`SourceInput.base`). */
  readonly base?: string;
  report(problem: TextProblem): void;
}

/** An MCP client config or a dependency manifest, parsed once and shared by all rules. */
export interface ConfigRuleContext extends TextRuleContext {
  /** The servers of an MCP client config (empty for manifests). */
  readonly config: McpConfigFile;
  /** The dependencies a manifest or lockfile declares (empty for client configs). */
  readonly dependencies: readonly Dependency[];
}

/**
 * A rule: one identity (meta) and one check per language family it covers. The same id runs
 * on every language where the flaw applies, so a finding reads the same whatever the language.
 */
export interface Rule {
  meta: RuleMeta;
  /** The TypeScript and JavaScript check (meta.languages names which of the two). */
  check?(ctx: RuleContext): void;
  /** The Python check: same id, same finding, read from a tree-sitter tree (see src/engine/python). */
  checkPython?(ctx: PythonRuleContext): void;
  /** The check of MCP client configs ("mcp-config") and dependency manifests ("manifest"). */
  checkConfig?(ctx: ConfigRuleContext): void;
  /** A check of the raw text of any file in meta.languages, e.g. its comments. */
  checkText?(ctx: TextRuleContext): void;
}
