import { Project, ts, type Node, type SourceFile } from "ts-morph";
import { RULES } from "../../rules/index.js";
import { fingerprintFindings } from "./fingerprint.js";
import { languageOf } from "./language.js";
import { createMcpFile } from "./mcp.js";
import type { Problem, Rule, RuleContext } from "./rule.js";
import { FileTaint } from "./taint.js";
import type { AnalysisResult, AnalyzeOptions, Finding, Language, RuleError, SkippedFile, SourceInput } from "./types.js";

/**
 * Analyzes files with every registered rule. Pure and synchronous: files in, findings out.
 *
 * - `options.rules[id] === "off"` disables a rule; a severity re-grades all its findings.
 * - Files the engine cannot read are skipped as "unsupported"; files with syntax errors are
 *   skipped as "parse-error" with the first error's line and message.
 * - Files that no rule can fire on (see `RuleMeta.mentions`) are counted but not parsed.
 * - A rule that throws is reported in `errors`; other rules and files still run.
 * - Findings are sorted by path, line, column and rule id.
 */
export function analyze(files: readonly SourceInput[], options: AnalyzeOptions = {}): AnalysisResult {
  return analyzeWith(RULES, files, options);
}

interface Parsed {
  sourceFile: SourceFile;
  path: string;
  language: Language;
  rules: Rule[];
}

interface Pending extends Omit<Finding, "fingerprint"> {
  code: string;
  fingerprint?: string;
}

/** `analyze` with an explicit rule list (tests, and callers that bring their own rules). */
export function analyzeWith(rules: readonly Rule[], files: readonly SourceInput[], options: AnalyzeOptions = {}): AnalysisResult {
  const started = performance.now();
  const settings = options.rules ?? {};
  const active = rules.filter((rule) => settings[rule.meta.id] !== "off");
  const skipped: SkippedFile[] = [];
  const errors: RuleError[] = [];
  const parsed: Parsed[] = [];
  let filesAnalyzed = 0;
  let linesAnalyzed = 0;
  let project: Project | undefined;

  files.forEach((file, index) => {
    const language = languageOf(file.path);
    if (!language) {
      skipped.push({ path: file.path, reason: "unsupported" });
      return;
    }
    const applicable = active.filter((r) => r.check && r.meta.languages.includes(language) && (!r.meta.mentions || r.meta.mentions.test(file.content)));
    if (applicable.length > 0) {
      project ??= createProject();
      const sourceFile = project.createSourceFile(`/${index}/${file.path}`, file.content, { overwrite: true });
      const problem = firstSyntaxError(sourceFile);
      if (problem) {
        skipped.push({ path: file.path, reason: "parse-error", detail: problem });
        return;
      }
      parsed.push({ sourceFile, path: file.path, language, rules: applicable });
    }
    filesAnalyzed++;
    linesAnalyzed += countLines(file.content);
  });

  const pending: Pending[] = [];
  for (const file of parsed) {
    const mcp = createMcpFile(file.sourceFile);
    let taint: FileTaint | undefined;
    for (const rule of file.rules) {
      const meta = rule.meta;
      const regrade = settings[meta.id];
      const report = (problem: Problem) => pending.push(toFinding(rule, file.path, problem, regrade === "off" ? undefined : regrade));
      const ctx: RuleContext = {
        sourceFile: file.sourceFile,
        path: file.path,
        language: file.language,
        mcp,
        get taint() {
          taint ??= new FileTaint(file.sourceFile, mcp);
          return taint;
        },
        report,
      };
      try {
        rule.check!(ctx);
      } catch (error) {
        errors.push({ ruleId: meta.id, path: file.path, message: error instanceof Error ? error.message : String(error) });
      }
    }
  }

  const byPath = new Map<string, Pending[]>();
  for (const p of pending) byPath.set(p.path, [...(byPath.get(p.path) ?? []), p]);
  for (const list of byPath.values()) {
    // Occurrence indexes follow source order so they do not depend on rule order.
    list.sort((a, b) => a.line - b.line || a.column - b.column || a.ruleId.localeCompare(b.ruleId));
    fingerprintFindings(list);
  }
  const findings: Finding[] = pending
    .map(({ code: _code, fingerprint, ...rest }) => ({ ...rest, fingerprint: fingerprint! }))
    .sort(compareFindings);

  return {
    findings,
    skipped,
    errors,
    stats: { filesAnalyzed, linesAnalyzed, durationMs: Math.round(performance.now() - started) },
  };
}

function createProject(): Project {
  return new Project({
    useInMemoryFileSystem: true,
    skipLoadingLibFiles: true,
    skipFileDependencyResolution: true,
    skipAddingFilesFromTsConfig: true,
    compilerOptions: {
      allowJs: true,
      noLib: true,
      noResolve: true,
      types: [],
      target: ts.ScriptTarget.ES2022,
      jsx: ts.JsxEmit.Preserve,
    },
  });
}

/** "line N: message" for the first syntax error, or undefined when the file parses. */
function firstSyntaxError(sourceFile: SourceFile): string | undefined {
  const node = sourceFile.compilerNode as ts.SourceFile & { parseDiagnostics?: readonly ts.DiagnosticWithLocation[] };
  const diagnostics = node.parseDiagnostics ?? [];
  const first = diagnostics[0];
  if (!first) return undefined;
  const { line } = ts.getLineAndCharacterOfPosition(node, first.start);
  return `line ${line + 1}: ${ts.flattenDiagnosticMessageText(first.messageText, " ")}`;
}

function toFinding(rule: Rule, path: string, problem: Problem, regrade: Finding["severity"] | undefined): Pending {
  const node: Node = problem.node;
  const sourceFile = node.getSourceFile();
  const start = node.getStart();
  const { line, column } = sourceFile.getLineAndColumnAtPos(start);
  return {
    ruleId: rule.meta.id,
    title: rule.meta.title,
    severity: regrade ?? problem.severity ?? rule.meta.severity,
    confidence: rule.meta.confidence,
    cwe: rule.meta.cwe,
    path,
    line,
    endLine: sourceFile.getLineAndColumnAtPos(node.getEnd()).line,
    column,
    message: problem.message,
    remediation: problem.remediation,
    code: node.getText(),
  };
}

function compareFindings(a: Finding, b: Finding): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line || a.column - b.column || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0);
}

function countLines(text: string): number {
  if (text.length === 0) return 0;
  let n = 1;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}
