import { parseDependencies } from "../engine/config/manifest.js";
import type { DiffLines } from "./diff-lines.js";

/**
 * The changed lines of a manifest or lockfile whose patch GitHub left out (a diff too large to
 * show): the lines where the head pins a package at a version the base did not. That is the
 * change a dependency review judges, and it needs no line diff of a many-megabyte file. GitHub
 * takes no comments on a file without a patch, so no line is commentable.
 */
export function dependencyChanges(path: string, head: string, base: string): DiffLines {
  const key = (d: { ecosystem: string; name: string; spec: string }) => `${d.ecosystem}:${d.name}@${d.spec}`;
  const before = new Set(parseDependencies(path, base).map(key));
  const added = new Set<number>();
  let line = 1;
  let at = 0;
  for (const dep of parseDependencies(path, head).sort((a, b) => a.offset - b.offset)) {
    for (let i = head.indexOf("\n", at); i >= 0 && i < dep.offset; i = head.indexOf("\n", i + 1)) line++, (at = i + 1);
    if (!before.has(key(dep))) added.add(line);
  }
  return { added, commentable: new Set() };
}
