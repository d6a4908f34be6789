import { PythonClasses } from "./classes.js";
import type { PythonProblem, PythonRuleContext } from "./context.js";
import { createPythonMcpFile, type PythonMcpFile } from "./mcp.js";
import type { PythonModule } from "./module.js";
import { firstPythonSyntaxError } from "./parser.js";
import { PythonProject } from "./project.js";
import { PythonTaint } from "./taint.js";

/** Where a Python problem sits, for the engine's finding. */
export interface PythonLocation {
  line: number;
  endLine: number;
  column: number;
  code: string;
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

  constructor(sources: ReadonlyMap<string, string>) {
    this.project = new PythonProject(sources);
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
  check(path: string, checkPython: (ctx: PythonRuleContext) => void, report: (problem: PythonProblem, where: PythonLocation) => void): void {
    const module = this.project.module(path)!;
    const ctx: PythonRuleContext = {
      path,
      language: "python",
      module,
      mcp: this.mcpOf(module),
      taint: this.taint.queriesFor(module),
      report: (problem) => {
        const { node } = problem;
        report(problem, { line: node.startPosition.row + 1, endLine: node.endPosition.row + 1, column: node.startPosition.column + 1, code: node.text });
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
