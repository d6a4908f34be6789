import { SCRIPTLESS_RULES } from "../../rules/scriptless.js";
import { analyzeWith } from "./analyze-core.js";
import { needsScripts } from "./language.js";
import type { AnalysisResult, AnalyzeOptions, SourceInput } from "./types.js";

/**
 * `analyze` for files none of which is TypeScript or JavaScript (Python, MCP client configs,
 * manifests): the same findings, from `SCRIPTLESS_RULES`, without loading the TypeScript compiler
 * and ts-morph (about 60 MB of a thread's memory, and a second of its CPU to load).
 */
export function analyzeScriptless(files: readonly SourceInput[], options: AnalyzeOptions = {}): AnalysisResult {
  if (needsScripts(files.map((f) => f.path))) throw new Error("TypeScript and JavaScript files need analyze(), not analyzeScriptless()");
  return analyzeWith(SCRIPTLESS_RULES, files, options);
}

