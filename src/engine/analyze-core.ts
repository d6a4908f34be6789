import { parseDependencies, parseMcpConfig, type McpConfigFile } from "./config/index.js";
import { contextClassifier, type CodeContext } from "./context.js";
import { countLines } from "./file-facts.js";
import { fingerprintFindings } from "./fingerprint.js";
import { isProjectConfig, languageOf } from "./language.js";
import { PythonAnalysis } from "./python/run.js";
import { compareFindings } from "./results.js";
import type { ConfigRuleContext, Rule, TextProblem, TextRuleContext } from "./rule.js";
import { findSuppressions, suppressionFor, type Suppression } from "./suppressions.js";
import type { AnalysisResult, AnalyzeOptions, Finding, Language, RuleError, SkippedFile, SourceInput, Suggestion, SuppressedFinding } from "./types.js";

/**
 * The TypeScript and JavaScript side of one analysis (`analyze-scripts.ts`): kept apart so that
 * an analysis without such files never loads the TypeScript compiler (a scan thread that only
 * analyzes Python holds ~60 MB less).
 */
export interface ScriptAnalysis {
  /** Whether a TypeScript or JavaScript file outside `only` is read, as context of those in it. */
  reads(path: string): boolean;
  /** Parses a file, to run `rules` on (none: context only); why it cannot be analyzed, if it cannot. */
  add(file: SourceInput, index: number, language: Language, rules: readonly Rule[]): string | undefined;
  /** Runs the rules on the files added; findings go to `pending`, in the order rules report them. */
  run(run: ScriptRun): void;
}

/** What `ScriptAnalysis.run` reports into, and what it knows of the analysis around it. */
export interface ScriptRun {
  settings: AnalyzeOptions["rules"] & object;
  contextOf: (path: string) => CodeContext;
  pending: Pending[];
  errors: RuleError[];
  skipped: SkippedFile[];
}

/** Starts the script side of an analysis of `files`, rules running on those in `only` (all when undefined). */
export type ScriptEngine = (files: readonly SourceInput[], only: ReadonlySet<string> | undefined) => ScriptAnalysis;

/** A finding before its fingerprint and context are set, with the code that makes the fingerprint. */
export interface Pending extends Omit<Finding, "fingerprint" | "context"> {
  code: string;
  fingerprint?: string;
  /** The fix a rule proposed, as character offsets in the file's text; verified before it is shown. */
  edit?: Edit;
}

interface Edit {
  start: number;
  end: number;
  replacement: string;
}

/**
 * Analyzes files with the given rules (see `analyze` in `analyze.ts`, which brings every rule and
 * the TypeScript side). Without `scripts`, a TypeScript or JavaScript file some rule would parse
 * is an error: the caller chose rules that have no such checks.
 */
export function analyzeWith(rules: readonly Rule[], files: readonly SourceInput[], options: AnalyzeOptions = {}, scripts?: ScriptEngine): AnalysisResult {
  const started = performance.now();
  const clock = new Map<string, number>();
  ruleClock = clock;
  const settings = options.rules ?? {};
  const chosen = options.onlyRules ? new Set(options.onlyRules) : undefined;
  const active = rules.filter((rule) => settings[rule.meta.id] !== "off" && (!chosen || chosen.has(rule.meta.id)));
  const skipped: SkippedFile[] = [];
  const errors: RuleError[] = [];
  const pending: Pending[] = [];
  const suppressions = new Map<string, Suppression[]>();
  let filesAnalyzed = 0;
  let linesAnalyzed = 0;
  let python: PythonAnalysis | undefined;
  const pythonFiles: { path: string; rules: Rule[] }[] = [];
  const only = options.only ? new Set(options.only) : undefined;
  const script = scripts?.(files, only);
  const classify = contextClassifier(options.paths);
  const contexts = new Map<string, CodeContext>();
  const contentOf = new Map(files.map((f) => [f.path, f.content]));
  const contextOf = (path: string): CodeContext => {
    let context = contexts.get(path);
    if (!context) contexts.set(path, (context = classify(path, contentOf.get(path))));
    return context;
  };

  files.forEach((file, index) => {
    const language = languageOf(file.path);
    const checked = !only || only.has(file.path);
    // Outside `only`, a file is context: a TypeScript or JavaScript file that imports join to those
    // in `only`, parsed as usual for cross-file taint and never checked (Python reads its imports
    // from `files` itself). Any other file cannot change their findings and is not read.
    if (!checked && !((language === "typescript" || language === "javascript") && script?.reads(file.path))) return;
    if (!language && isProjectConfig(file.path)) {
      // Read by the TypeScript side for import aliases; no rule runs on it.
      if (checked) filesAnalyzed++;
      return;
    }
    if (!language) {
      skipped.push({ path: file.path, reason: "unsupported" });
      return;
    }
    if (checked && file.content.includes("mcp-review-ignore")) suppressions.set(file.path, findSuppressions(file.content));
    if (language === "mcp-config" || language === "manifest") {
      const problem = runConfigRules(active, file, language, settings, pending, errors);
      if (problem) {
        skipped.push({ path: file.path, reason: "parse-error", detail: problem });
        return;
      }
      filesAnalyzed++;
      linesAnalyzed += countLines(file.content);
      return;
    }
    if (checked) runTextRules(active, file, language, settings, pending, errors);
    if (language === "python") {
      const forFile = active.filter((r) => r.checkPython && r.meta.languages.includes("python") && (!r.meta.mentionsPython || r.meta.mentionsPython.test(file.content)));
      if (forFile.length > 0) {
        python ??= new PythonAnalysis(
          new Map(files.filter((f) => languageOf(f.path) === "python").map((f) => [f.path, f.content])),
          new Map(files.filter((f) => languageOf(f.path) === "manifest").map((f) => [f.path, f.content])),
          options.tree?.python,
        );
        const problem = python.syntaxError(file.path);
        if (problem) {
          skipped.push({ path: file.path, reason: "parse-error", detail: problem });
          return;
        }
        pythonFiles.push({ path: file.path, rules: forFile });
      }
      filesAnalyzed++;
      linesAnalyzed += countLines(file.content);
      return;
    }
    const applicable = active.filter((r) => r.check && r.meta.languages.includes(language) && (!r.meta.mentions || r.meta.mentions.test(file.content)));
    if (applicable.length > 0) {
      if (!script) throw new Error(`${file.path}: TypeScript and JavaScript checks need the script engine (analyze.ts)`);
      const problem = script.add(file, index, language, checked ? applicable : []);
      if (problem) {
        if (checked) skipped.push({ path: file.path, reason: "parse-error", detail: problem });
        return;
      }
    }
    if (!checked) return;
    filesAnalyzed++;
    linesAnalyzed += countLines(file.content);
  });

  script?.run({ settings, contextOf, pending, errors, skipped });
  if (python) pending.push(...runPythonRules(python, pythonFiles, settings, errors, contextOf));

  const byPath = new Map<string, Pending[]>();
  for (const p of pending) byPath.set(p.path, [...(byPath.get(p.path) ?? []), p]);
  for (const list of byPath.values()) {
    // Occurrence indexes follow source order so they do not depend on rule order.
    list.sort((a, b) => a.line - b.line || a.column - b.column || a.ruleId.localeCompare(b.ruleId));
    fingerprintFindings(list);
  }
  const edits = new Map<Finding, Edit>();
  const all: Finding[] = pending
    .map(({ code: _code, fingerprint, edit, ...rest }) => {
      const finding: Finding = { ...rest, fingerprint: fingerprint!, context: contextOf(rest.path) };
      if (edit) edits.set(finding, edit);
      return finding;
    })
    .sort(compareFindings);
  const findings: Finding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const finding of all) {
    const by = options.allowSuppressions === false ? undefined : suppressionFor(suppressions.get(finding.path) ?? [], finding.ruleId, finding.line);
    if (by) suppressed.push({ finding, reason: by.reason });
    else findings.push(finding);
  }

  const ruleMs = Object.fromEntries([...clock].map(([id, ms]) => [id, Math.round(ms * 10) / 10]));
  if (options.verifyFixes) {
    const wanted = options.verifyFixes;
    const limit = Math.min(typeof wanted === "number" ? wanted : Infinity, options.maxVerified ?? Infinity);
    const candidates = findings.filter((f) => edits.has(f) && (typeof wanted !== "function" || wanted(f))).slice(0, limit);
    for (const finding of candidates) {
      const suggestion = verifyFix(rules, files, options, scripts, finding, edits.get(finding)!, all);
      if (suggestion) finding.suggestion = suggestion;
    }
  }

  return {
    findings,
    suppressed,
    skipped,
    errors,
    stats: { filesAnalyzed, linesAnalyzed, durationMs: Math.round(performance.now() - started), ruleMs },
  };
}

/**
 * A rule's fix, checked: the file with the edit applied is analyzed again (the other files as
 * context), and the fix is offered as whole lines only if the file still parses, nothing is
 * found on the rewritten lines any more, and every finding elsewhere in the file was there before
 * (suppressed ones included).
 */
function verifyFix(rules: readonly Rule[], files: readonly SourceInput[], options: AnalyzeOptions, scripts: ScriptEngine | undefined, finding: Finding, edit: Edit, all: readonly Finding[]): Suggestion | undefined {
  const file = files.find((f) => f.path === finding.path);
  if (!file) return undefined;
  const text = file.content;
  const fixed = text.slice(0, edit.start) + edit.replacement + text.slice(edit.end);
  // Whole lines, as a suggested change replaces them.
  const lineStart = text.lastIndexOf("\n", edit.start - 1) + 1;
  const end = text.indexOf("\n", Math.max(edit.start, edit.end - 1));
  const lineEnd = end < 0 ? text.length : end;
  const suggestion: Suggestion = {
    line: countLines(text.slice(0, lineStart + 1)),
    endLine: countLines(text.slice(0, lineEnd)) || 1,
    text: fixed.slice(lineStart, lineEnd + (fixed.length - text.length)).replace(/\r$/, ""),
  };
  const newEnd = suggestion.line + countLines(suggestion.text) - 1;
  const shift = newEnd - suggestion.endLine;

  const after = analyzeWith(rules, files.map((f) => (f === file ? { ...f, content: fixed } : f)), { ...options, verifyFixes: false, only: [file.path] }, scripts);
  if (after.skipped.some((s) => s.path === file.path)) return undefined;
  const now = [...after.findings, ...after.suppressed.map((s) => s.finding)].filter((f) => f.path === file.path);
  if (now.some((f) => f.line <= newEnd && f.endLine >= suggestion.line)) return undefined;
  const key = (f: Finding, delta: number) => `${f.ruleId}:${f.line - delta}:${f.column}`;
  const before = new Map<string, number>();
  for (const f of all) if (f.path === file.path) before.set(key(f, 0), (before.get(key(f, 0)) ?? 0) + 1);
  for (const f of now) {
    const k = key(f, f.line > newEnd ? shift : 0);
    const left = before.get(k) ?? 0;
    if (left === 0) return undefined;
    before.set(k, left - 1);
  }
  return suggestion;
}

/**
 * Milliseconds spent in each rule during the analyze() call under way: analyze is synchronous, so
 * calls never interleave. A file's shared work (taint, MCP discovery) counts to the first rule
 * that asks for it.
 */
let ruleClock: Map<string, number> | undefined;

export function timed<T>(ruleId: string, run: () => T): T {
  const start = performance.now();
  try {
    return run();
  } finally {
    ruleClock?.set(ruleId, (ruleClock.get(ruleId) ?? 0) + performance.now() - start);
  }
}

/** Why a file that crashed the parser or the MCP discovery was skipped. */
export function unparseable(error: unknown): string {
  if (error instanceof RangeError) return "nested too deeply to analyze";
  return `could not be analyzed: ${error instanceof Error ? error.message.slice(0, 200) : String(error)}`;
}

/** Runs the config rules on an MCP client config or a manifest; returns a parse error, if any. */
function runConfigRules(active: readonly Rule[], file: SourceInput, language: Language, settings: AnalyzeOptions["rules"] & object, pending: Pending[], errors: RuleError[]): string | undefined {
  let config: McpConfigFile = { servers: [] };
  if (language === "mcp-config") {
    config = parseMcpConfig(file.content);
    if (config.parseError) return config.parseError;
  }
  let dependencies: ConfigRuleContext["dependencies"] | undefined;
  for (const rule of active) {
    if (!rule.meta.languages.includes(language) || (!rule.checkConfig && !rule.checkText)) continue;
    const ctx: ConfigRuleContext = {
      path: file.path,
      language,
      text: file.content,
      config,
      get dependencies() {
        dependencies ??= language === "manifest" ? parseDependencies(file.path, file.content) : [];
        return dependencies;
      },
      report: (problem) => pending.push(textFinding(rule, file.path, file.content, problem, settings[rule.meta.id])),
    };
    try {
      timed(rule.meta.id, () => {
        rule.checkConfig?.(ctx);
        rule.checkText?.(ctx);
      });
    } catch (error) {
      errors.push({ ruleId: rule.meta.id, path: file.path, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return undefined;
}

/** Runs the rules that read a source file's raw text (its comments, for example). */
function runTextRules(active: readonly Rule[], file: SourceInput, language: Language, settings: AnalyzeOptions["rules"] & object, pending: Pending[], errors: RuleError[]): void {
  for (const rule of active) {
    if (!rule.checkText || !rule.meta.languages.includes(language)) continue;
    const ctx: TextRuleContext = { path: file.path, language, text: file.content, base: file.base, report: (problem) => pending.push(textFinding(rule, file.path, file.content, problem, settings[rule.meta.id])) };
    try {
      timed(rule.meta.id, () => rule.checkText!(ctx));
    } catch (error) {
      errors.push({ ruleId: rule.meta.id, path: file.path, message: error instanceof Error ? error.message : String(error) });
    }
  }
}

function textFinding(rule: Rule, path: string, text: string, problem: TextProblem, regrade: "off" | Finding["severity"] | undefined): Pending {
  const start = lineAndColumn(text, problem.offset);
  const end = lineAndColumn(text, problem.offset + Math.max(0, problem.length - 1));
  return {
    ruleId: rule.meta.id,
    title: rule.meta.title,
    severity: (regrade === "off" ? undefined : regrade) ?? problem.severity ?? rule.meta.severity,
    confidence: rule.meta.confidence,
    cwe: rule.meta.cwe,
    path,
    line: start.line,
    endLine: end.line,
    column: start.column,
    message: problem.message,
    remediation: problem.remediation,
    code: text.slice(problem.offset, problem.offset + problem.length),
    ...(problem.fix ? { edit: { start: problem.fix.offset, end: problem.fix.offset + problem.fix.length, replacement: problem.fix.replacement } } : {}),
  };
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** Runs the Python checks on the Python files that some rule can fire on, then frees the trees. */
function runPythonRules(python: PythonAnalysis, files: readonly { path: string; rules: Rule[] }[], settings: AnalyzeOptions["rules"] & object, errors: RuleError[], contextOf: (path: string) => CodeContext): Pending[] {
  const out: Pending[] = [];
  try {
    for (const file of files) {
      for (const rule of file.rules) {
        const regrade = settings[rule.meta.id];
        try {
          timed(rule.meta.id, () => python.check(file.path, contextOf(file.path), rule.checkPython!, (problem, where) =>
            out.push({
              ruleId: rule.meta.id,
              title: rule.meta.title,
              severity: (regrade === "off" ? undefined : regrade) ?? problem.severity ?? rule.meta.severity,
              confidence: rule.meta.confidence,
              cwe: rule.meta.cwe,
              path: file.path,
              ...where,
              message: problem.message,
              remediation: problem.remediation,
              ...(problem.countsEverywhere ? { countsEverywhere: true as const } : {}),
              ...(problem.fix ? { edit: { start: problem.fix.node.startIndex, end: problem.fix.node.endIndex, replacement: problem.fix.replacement } } : {}),
            }),
          ));
        } catch (error) {
          errors.push({ ruleId: rule.meta.id, path: file.path, message: error instanceof Error ? error.message : String(error) });
        }
      }
    }
  } finally {
    python.dispose();
  }
  return out;
}
