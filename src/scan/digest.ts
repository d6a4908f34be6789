import { createHash } from "node:crypto";
import type { AnalyzeOptions } from "../engine/types.js";
import type { AnalysisUnit } from "../engine/units.js";

/** The digest a file's text (and base version, when it has one) is known by. */
export function contentDigest(content: string, base?: string): string {
  const hash = createHash("sha256").update(content);
  if (base !== undefined) hash.update("\0base\0").update(base);
  return hash.digest("base64url").slice(0, 32);
}

/**
 * The options that change what an analysis finds, as text; undefined when they cannot be told
 * apart as text (a function that picks the fixes to verify), and the result is then not cached.
 */
export function optionsDigest(options: AnalyzeOptions): string | undefined {
  if (typeof options.verifyFixes === "function") return undefined;
  const sorted = (record: object | undefined) => (record ? Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1))) : undefined);
  return JSON.stringify({
    rules: sorted(options.rules),
    allowSuppressions: options.allowSuppressions ?? true,
    onlyRules: options.onlyRules ? [...options.onlyRules].sort() : undefined,
    paths: sorted(options.paths),
    verifyFixes: options.verifyFixes ?? false,
    maxVerified: options.maxVerified,
  });
}

/**
 * The key of a unit's result: the engine's version, the options, every file of the unit (path,
 * role and digest: an edit, a new or a removed file all change it), the files rules run on (after
 * `only`), and what the unit was told of the rest of the tree (`AnalysisUnit.dependsOn`).
 */
export function unitKey(engine: string, options: string, unit: AnalysisUnit, digestOf: (path: string) => string, checked: readonly string[]): string {
  const hash = createHash("sha256").update(engine).update("\0").update(options).update("\0").update(unit.dependsOn).update("\0");
  const context = new Set(unit.context);
  for (const path of unit.files) hash.update(`${path}\0${context.has(path) ? "c" : "f"}\0${digestOf(path)}\0`);
  hash.update(checked.join("\0"));
  return hash.digest("base64url");
}
