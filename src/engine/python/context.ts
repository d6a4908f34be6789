import type { PythonMcpFile } from "./mcp.js";
import type { PythonModule } from "./module.js";
import type { PythonProject } from "./project.js";
import type { Dependency } from "../config/manifest.js";
import type { PyNode } from "./parser.js";
import type { PythonTaintQueries } from "./taint.js";
import type { Severity } from "../types.js";
import type { CodeContext } from "../context.js";

/** A problem found by a Python check. The engine adds location, title, cwe and fingerprint. */
export interface PythonProblem {
  /** The code the finding points at; its text also makes the fingerprint. */
  node: PyNode;
  /** What was found and why it is dangerous, about this code. */
  message: string;
  /** Markdown: how to fix this code. */
  remediation: string;
  /** Overrides the rule's own severity for this problem. */
  severity?: Severity;
  /** Counts in every context, tests included (a verifiable credential leaks from anywhere). */
  countsEverywhere?: boolean;
  /** A local rewrite that removes the flaw: `node`'s text replaced by `replacement`, verified by the engine. */
  fix?: { node: PyNode; replacement: string };
}

/** Everything a Python check may know about the module under analysis. */
export interface PythonRuleContext {
  /** POSIX path relative to the scanned root. */
  readonly path: string;
  readonly language: "python";
  /** Where the file sits: production code, tests, examples, generated code. */
  readonly context: CodeContext;
  /** The parsed module: tree, nodes by kind, imports, functions. */
  readonly module: PythonModule;
  /** MCP facts: FastMCP tools, resources and prompts, low-level call_tool handlers, HTTP endpoints, descriptions. */
  readonly mcp: PythonMcpFile;
  /** Every Python file of the analysis, for lookups across imports (a settings class, a helper). */
  readonly project: PythonProject;
  /** What the nearest manifests or lockfiles declare for a PyPI package (exact pins first); empty when unknown. */
  declared(pkg: string): readonly Dependency[];
  /** Does tool input reach this expression? */
  readonly taint: PythonTaintQueries;
  report(problem: PythonProblem): void;
}
