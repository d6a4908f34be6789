import { Project, ts, type Node, type SourceFile } from "ts-morph";
import { timed, unparseable, type Pending, type ScriptAnalysis, type ScriptEngine, type ScriptRun } from "./analyze-core.js";
import { describeSources } from "./mcp.js";
import type { Problem, Rule, RuleContext } from "./rule.js";
import { FileTaint, type Flow } from "./taint.js";
import { traceSteps } from "./trace.js";
import type { Finding, Language, SourceInput, TraceStep } from "./types.js";
import { abbreviate } from "./values.js";
import { Workspace } from "./workspace.js";

interface Parsed {
  sourceFile: SourceFile;
  path: string;
  language: Language;
  rules: readonly Rule[];
  index: number;
  base?: string;
}

/**
 * The TypeScript and JavaScript side of an analysis (see `ScriptAnalysis`): files parsed into one
 * in-memory ts-morph project, linked by their imports (`Workspace`), and the rules run on them
 * with taint that follows calls across files.
 */
export const scriptEngine: ScriptEngine = (files, only) => new Scripts(files, only);

class Scripts implements ScriptAnalysis {
  private readonly workspace: Workspace;
  private readonly joined?: ReadonlySet<string>;
  private project?: Project;
  /** Base versions, for rules that judge a change: read syntactically, never type-checked. */
  private bases?: Project;
  private readonly parsed: Parsed[] = [];

  constructor(files: readonly SourceInput[], only: ReadonlySet<string> | undefined) {
    this.workspace = new Workspace(files);
    if (only) this.joined = this.workspace.connectedTo(only);
  }

  reads(path: string): boolean {
    return this.joined?.has(path) ?? true;
  }

  add(file: SourceInput, index: number, language: Language, rules: readonly Rule[]): string | undefined {
    this.project ??= createProject();
    let sourceFile: SourceFile;
    try {
      sourceFile = createFile(this.project, `/${index}/${file.path}`, file.content);
    } catch (error) {
      // The parser recurses: code nested thousands deep exhausts the stack. Skip it, never the review.
      return unparseable(error);
    }
    const problem = firstSyntaxError(sourceFile);
    if (problem) return problem;
    this.parsed.push({ sourceFile, path: file.path, language, rules, index, base: file.base });
    return undefined;
  }

  run({ settings, contextOf, pending, errors, skipped }: ScriptRun): void {
    const { workspace, parsed } = this;
    // A project of their own: a file added to the main project would make its type checker rebuild.
    const bases = () => (this.bases ??= createProject());
    // MCP server files that import analyzed files are parsed too, so taint can follow calls across files.
    for (const file of parsed) workspace.register(file.path, file.sourceFile);
    workspace.link((path, content) => {
      const sourceFile = createFile(this.project!, `/linked/${path}`, content);
      if (!firstSyntaxError(sourceFile)) return sourceFile;
      this.project!.removeSourceFile(sourceFile);
      return undefined;
    });

    for (const file of parsed) {
      if (file.rules.length === 0) continue;
      let mcp: ReturnType<Workspace["mcpOf"]>;
      try {
        mcp = workspace.mcpOf(file.sourceFile);
      } catch (error) {
        skipped.push({ path: file.path, reason: "parse-error", detail: unparseable(error) });
        continue;
      }
      let taint: FileTaint | undefined;
      let base: SourceFile | undefined;
      for (const rule of file.rules) {
        const meta = rule.meta;
        const regrade = settings[meta.id];
        const report = (problem: Problem) => {
          const finding = toFinding(rule, file.path, problem, regrade === "off" ? undefined : regrade);
          const flow = taint?.flowWithin(problem.node);
          if (flow) finding.trace = traceOf(flow, finding, workspace);
          pending.push(finding);
        };
        const ctx: RuleContext = {
          sourceFile: file.sourceFile,
          path: file.path,
          language: file.language,
          context: contextOf(file.path),
          mcp,
          workspace,
          get taint() {
            taint ??= new FileTaint(file.sourceFile, mcp, workspace);
            return taint;
          },
          baseText: file.base,
          get base() {
            if (file.base === undefined) return undefined;
            base ??= createFile(bases(), `/${file.index}/${file.path}`, file.base);
            return base;
          },
          report,
        };
        try {
          timed(meta.id, () => rule.check!(ctx));
        } catch (error) {
          errors.push({ ruleId: meta.id, path: file.path, message: error instanceof Error ? error.message : String(error) });
        }
      }
    }
  }
}

/**
 * `project.createSourceFile(path, text, { overwrite: true })`, without its price for a new path:
 * `overwrite` first reads the file system for the path, and the read of a missing file throws
 * (and builds) an exception inside ts-morph. Paths are rarely taken, so try without it first.
 */
function createFile(project: Project, path: string, text: string): SourceFile {
  try {
    return project.createSourceFile(path, text);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.includes("A source file already exists")) throw error;
    return project.createSourceFile(path, text, { overwrite: true });
  }
}

/**
 * The in-memory ts-morph project every analysis of TypeScript and JavaScript uses: syntax and
 * binding, no libraries, no module resolution. `noResolve` keeps resolved modules out of the
 * program, but TypeScript still looks every import up in the file system each time a program is
 * made (0.9 s of the bench tree's TypeScript and JavaScript, 6 %); the engine links imports itself
 * (`Workspace`), so the resolution host answers none.
 */
export function createProject(): Project {
  return new Project({
    useInMemoryFileSystem: true,
    skipLoadingLibFiles: true,
    skipFileDependencyResolution: true,
    skipAddingFilesFromTsConfig: true,
    resolutionHost: () => ({ resolveModuleNames: (names) => names.map(() => undefined) }),
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
    ...(problem.countsEverywhere ? { countsEverywhere: true as const } : {}),
    ...(problem.fix ? { edit: { start: problem.fix.node.getStart(), end: problem.fix.node.getEnd(), replacement: problem.fix.replacement } } : {}),
  };
}

/** A flow as the steps a reader follows: where input enters, each call that carries it, the sink. */
function traceOf(flow: Flow, finding: Pending, workspace: Workspace): TraceStep[] {
  const path = (node: Node) => workspace.pathFor(node.getSourceFile()) ?? finding.path;
  const param = flow.handler.fn.getParameters()[0];
  const entry = param?.getNameNode() ?? flow.handler.fn;
  return traceSteps(
    { path: path(entry), line: entry.getStartLineNumber(), text: abbreviate(entry), label: describeSources([flow.handler]) },
    flow.calls.map((call) => ({ path: path(call), line: call.getStartLineNumber(), text: abbreviate(call) })),
    { path: finding.path, line: finding.line, text: abbreviate(flow.sink), code: finding.code },
  );
}

