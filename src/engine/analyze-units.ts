import { analyze } from "./analyze.js";
import { analyzeUnit } from "./analyze-unit.js";
import { mergeResults } from "./results.js";
import type { AnalysisResult, AnalyzeOptions, SourceInput } from "./types.js";
import { factsOf, planUnits } from "./units.js";

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
    const result = analyzeUnit(unit, (path) => byPath.get(path)!, options, plan.tree, analyze);
    if (result) results.push(result);
  }
  return mergeResults(results, performance.now() - started);
}
