import { analyze } from "./analyze.js";
import { mergeResults } from "./results.js";
import type { AnalysisResult, AnalyzeOptions, SourceInput, TreeFacts } from "./types.js";
import { factsOf, planUnits, type AnalysisUnit } from "./units.js";

/**
 * `analyze` for a whole tree, in bounded memory: the tree is split into units that imports do not
 * join (see `planUnits`), each analyzed alone and let go before the next. The findings are those
 * of `analyze(files, options)`: a unit holds every file its findings can depend on, and is told
 * what it needs of the rest of the tree (`AnalyzeOptions.tree`).
 */
export function analyzeUnits(files: readonly SourceInput[], options: AnalyzeOptions = {}): AnalysisResult {
  const started = performance.now();
  const plan = planUnits(files.map((f) => factsOf(f.path, f.content)));
  const byPath = new Map(files.map((f) => [f.path, f]));
  const results: AnalysisResult[] = [];
  for (const unit of plan.units) {
    const result = analyzeUnit(unit, (path) => byPath.get(path)!, options, plan.tree);
    if (result) results.push(result);
  }
  return mergeResults(results, performance.now() - started);
}

/**
 * Analyzes one unit: rules run on its own files (those of them in `options.only`, when given),
 * its context files are read only. Undefined when `options.only` leaves nothing to check.
 */
export function analyzeUnit(unit: AnalysisUnit, read: (path: string) => SourceInput, options: AnalyzeOptions, tree: TreeFacts): AnalysisResult | undefined {
  const context = new Set(unit.context);
  const wanted = options.only ? new Set(options.only) : undefined;
  const only = unit.files.filter((path) => !context.has(path) && (!wanted || wanted.has(path)));
  if (only.length === 0) return undefined;
  // No tool input reaches the unit's files: no flow search can end at a handler (see `planUnits`).
  const told = unit.unreached && tree.python ? { ...tree, python: { ...tree.python, hasMcpServer: false } } : tree;
  return analyze(unit.files.map(read), { ...options, only, tree: told });
}

export { mergeResults };
