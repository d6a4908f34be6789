import { analyzeScriptless } from "./analyze-scriptless.js";
import { needsScripts } from "./language.js";
import type { AnalysisResult, AnalyzeOptions, SourceInput, TreeFacts } from "./types.js";
import type { AnalysisUnit } from "./units.js";

/** `analyze` itself, or a stand-in with its signature. */
export type Analyzer = (files: readonly SourceInput[], options: AnalyzeOptions) => AnalysisResult;

/**
 * Analyzes one unit: rules run on its own files (those of them in `options.only`, when given),
 * its context files are read only. Undefined when `options.only` leaves nothing to check. A unit
 * with TypeScript or JavaScript files is analyzed by `scripts` (`analyze`, which the caller loads:
 * this module never loads the TypeScript compiler); any other by `analyzeScriptless`.
 */
export function analyzeUnit(unit: AnalysisUnit, read: (path: string) => SourceInput, options: AnalyzeOptions, tree: TreeFacts, scripts: Analyzer | undefined): AnalysisResult | undefined {
  const context = new Set(unit.context);
  const wanted = options.only ? new Set(options.only) : undefined;
  const only = unit.files.filter((path) => !context.has(path) && (!wanted || wanted.has(path)));
  if (only.length === 0) return undefined;
  const analyzer = needsScripts(unit.files) ? scripts : analyzeScriptless;
  if (!analyzer) throw new Error("a unit with TypeScript or JavaScript files needs analyze()");
  // No tool input reaches the unit's files: no flow search can end at a handler (see `planUnits`).
  const told = unit.unreached && tree.python ? { ...tree, python: { ...tree.python, hasMcpServer: false } } : tree;
  return analyzer(unit.files.map(read), { ...options, only, tree: told });
}
