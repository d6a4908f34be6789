import { PythonClasses } from "./classes.js";
import type { PythonProblem, PythonRuleContext } from "./context.js";
import { createPythonMcpFile, type PythonMcpFile } from "./mcp.js";
import type { PythonModule } from "./module.js";
import { firstPythonSyntaxError } from "./parser.js";
import { PythonManifests } from "./manifests.js";
import { PythonProject, type PythonTreeFacts } from "./project.js";
import { PythonTaint, type PyFlow } from "./taint.js";
import { inputLabel } from "./describe.js";
import { abbreviatePy, parametersOf } from "./values.js";
import type { PyNode } from "./parser.js";
import type { TraceStep } from "../types.js";
import type { CodeContext } from "../context.js";
import { traceSteps } from "../trace.js";

/** Where a Python problem sits, for the engine's finding. */
export interface PythonLocation {
  line: number;
  endLine: number;
  column: number;
  code: string;
  /** How tool input reaches it, when a taint query found that. */
  trace?: TraceStep[];
}

/**
 * The Python side of one analysis: every Python file of the run, parsed on demand (a helper
 * module is parsed when a tool handler imports it, even if no rule needs it on its own), MCP
 * facts and taint shared by all rules. Call `dispose()` at the end: trees live in wasm memory.
 */
export class PythonAnalysis {
  private readonly project: PythonProject;
  private readonly classes: PythonClasses;
  private readonly mcp = new Map<string, PythonMcpFile>();
  private readonly taint: PythonTaint;
  private readonly manifests: PythonManifests;

  /** `manifests`: the dependency manifests and lockfiles of the analysis, by path; `tree`: see `PythonTreeFacts`. */
  constructor(sources: ReadonlyMap<string, string>, manifests: ReadonlyMap<string, string> = new Map(), tree?: PythonTreeFacts) {
    this.project = new PythonProject(sources, tree);
    this.manifests = new PythonManifests(manifests);
    this.classes = new PythonClasses(this.project);
    this.taint = new PythonTaint(this.project, this.classes, (m) => this.mcpOf(m));
  }

  /** "line N: message" when the file has a syntax error; the file is then not checked. */
  syntaxError(path: string): string | undefined {
    try {
      const module = this.project.module(path);
      return module ? firstPythonSyntaxError(module.tree) : "not a Python source of this analysis";
    } catch (error) {
      // A parser failure is data about this file, never the end of the review.
      return `line 1: the Python parser failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  /** Runs one Python check on one file. */
  check(path: string, context: CodeContext, checkPython: (ctx: PythonRuleContext) => void, report: (problem: PythonProblem, where: PythonLocation) => void): void {
    const module = this.project.module(path)!;
    const ctx: PythonRuleContext = {
      path,
      language: "python",
      context,
      module,
      mcp: this.mcpOf(module),
      project: this.project,
      declared: (pkg) => this.manifests.declared(path, pkg),
      taint: this.taint.queriesFor(module),
      report: (problem) => {
        const { node } = problem;
        const where: PythonLocation = { line: node.startPosition.row + 1, endLine: node.endPosition.row + 1, column: node.startPosition.column + 1, code: node.text };
        const flow = this.taint.flowWithin(module, node);
        if (flow) where.trace = traceOf(flow, path, where);
        report(problem, where);
      },
    };
    checkPython(ctx);
  }

  dispose(): void {
    this.project.dispose();
    this.mcp.clear();
  }

  private mcpOf(module: PythonModule): PythonMcpFile {
    let file = this.mcp.get(module.path);
    if (!file) this.mcp.set(module.path, (file = createPythonMcpFile(module, { project: this.project, classes: this.classes })));
    return file;
  }
}

/** A flow as the steps a reader follows: where input enters, each call that carries it, the sink. */
function traceOf(flow: PyFlow, path: string, where: PythonLocation): TraceStep[] {
  const line = (node: PyNode) => node.startPosition.row + 1;
  const params = parametersOf(flow.handler.fn).filter((p) => flow.handler.tainted.has(p.name));
  const entry = params[0]?.node ?? flow.handler.fn;
  return traceSteps(
    { path: flow.module.path, line: line(entry), text: params.map((p) => p.name).join(", ") || abbreviatePy(entry), label: inputLabel([flow.handler]) },
    flow.calls.map(({ module, call }) => ({ path: module.path, line: line(call), text: abbreviatePy(call) })),
    { path, line: where.line, text: abbreviatePy(flow.sink), code: where.code },
  );
}
