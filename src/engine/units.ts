import { posix } from "node:path";
import { isProjectConfig, languageOf } from "./language.js";
import { ModuleResolution } from "./module-resolution.js";
import { ownPackageNames, PythonProject } from "./python/project.js";
import type { FileFacts } from "./file-facts.js";
import type { TreeFacts } from "./types.js";

export { factsOf, type FileFacts } from "./file-facts.js";

const EXTENDS = /"extends"\s*:\s*"([^"]+)"/g;

/**
 * Part of a tree that can be analyzed on its own: files that imports join, either way and at any
 * depth, with the files they are read with. An analysis of a unit finds in its files what an
 * analysis of the whole tree finds there.
 */
export interface AnalysisUnit {
  /** All files to hand to the engine, in the order of the tree. */
  files: string[];
  /** Those read only for what they say about the others: tsconfig aliases, the manifests above Python modules. */
  context: string[];
  /** Lines of the files rules run on. */
  lines: number;
  /**
   * What the unit's results depend on beyond its files' text: how the whole tree resolves its
   * absolute Python imports, and whether the tree has a Python MCP server. Part of a cache key.
   */
  dependsOn: string;
  /**
   * No tool input can reach the files rules run on (see `planUnits`): the unit is analyzed as a
   * tree without an MCP server would be, which finds what the whole tree finds in them.
   */
  unreached?: true;
}

export interface UnitPlan {
  units: AnalysisUnit[];
  /** What every unit is told of the whole tree (`AnalyzeOptions.tree`). */
  tree: TreeFacts;
}

/**
 * Splits a tree into units: the files joined by imports (TypeScript and JavaScript specifiers
 * resolved as the engine resolves them, tsconfig aliases included; Python relative imports and
 * absolute ones resolved through the whole tree's modules), each with the tsconfig files above
 * its files and the manifests above its Python modules as context. Every other file (an MCP
 * client config, a manifest, a tsconfig) is a unit of its own. Units come largest first.
 */
export function planUnits(files: readonly FileFacts[]): UnitPlan {
  const index = new Map(files.map((f, i) => [f.path, i]));
  const parent = files.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const join = (a: number, b: number) => {
    const [ra, rb] = [find(a), find(b)];
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };

  // Module specifiers, through the engine's own resolution (relative paths, tsconfig aliases). The
  // Workspace reads them in every file it holds, Python and configs included.
  const configs = files.filter((f) => f.text !== undefined);
  // The Workspace holds every file with a language; tsconfig files only configure it.
  const modules = new ModuleResolution(
    (path) => index.has(path) && !isProjectConfig(path) && languageOf(path) !== undefined,
    configs.map((f) => ({ path: f.path, content: f.text! })),
  );
  // Files a specifier joins, at either end: never detached from their unit (see below).
  const specified = new Set<number>();
  files.forEach((file, i) => {
    for (const specifier of file.specifiers) {
      const target = modules.resolve(file.path, specifier);
      if (target === undefined || !index.has(target)) continue;
      join(i, index.get(target)!);
      if (target !== file.path) specified.add(i).add(index.get(target)!);
    }
  });

  // Python: the modules an import names, resolved by PythonProject itself over the whole tree's
  // modules; a module it resolves to is read as `moduleAt` reads it (the module, or `name` in it).
  const pythonModules = files.filter((f) => languageOf(f.path) === "python").map((f) => f.path);
  const hasMcpServer = files.some((f) => f.mcpServer === true);
  const python = new PythonProject(new Map(), { modules: pythonModules, hasMcpServer });
  const moduleFiles = (base: string) => [`${base}.py`, `${base}/__init__.py`].filter((p) => index.has(p));
  // Which imports name a package of the tree decides which files the engine reads for callers
  // (`PythonProject.importersOf`): part of what a unit depends on.
  const own = ownPackageNames(pythonModules);
  const resolutions = new Map<number, string[]>();
  /** Python: the files each file's imports name, importer to imported. */
  const imported = new Map<number, Set<number>>();
  files.forEach((file, i) => {
    if (languageOf(file.path) !== "python") return;
    const targets = new Set<number>();
    imported.set(i, targets);
    const link = (path: string) => {
      const j = index.get(path)!;
      join(i, j);
      if (j !== i) targets.add(j);
    };
    for (const base of file.relative ?? []) moduleFiles(base).forEach(link);
    const seen: string[] = [];
    for (const qualified of file.imports ?? []) {
      const target = python.target({ qualified, importer: file.path });
      seen.push(`${qualified}=${target ? `${target.path}:${target.name ?? ""}` : ""}`);
      const top = qualified.split(".")[0]!;
      if (own.has(top)) seen.push(`package ${top}`);
      if (!target) continue;
      moduleFiles(target.path).forEach(link);
      if (target.name) moduleFiles(`${target.path}/${target.name}`).forEach(link);
    }
    resolutions.set(i, seen);
  });

  const groups = new Map<number, number[]>();
  files.forEach((_, i) => {
    const root = find(i);
    const group = groups.get(root);
    if (group) group.push(i);
    else groups.set(root, [i]);
  });

  const configByPath = new Map(configs.map((c) => [c.path, c]));
  const manifestsByDir = new Map<string, number[]>();
  files.forEach((f, i) => {
    if (languageOf(f.path) !== "manifest") return;
    const dir = dirOf(f.path);
    manifestsByDir.set(dir, [...(manifestsByDir.get(dir) ?? []), i]);
  });
  const configsByDir = new Map<string, string[]>();
  for (const c of configs) configsByDir.set(dirOf(c.path), [...(configsByDir.get(dirOf(c.path)) ?? []), c.path]);

  /** A unit whose rules run on `checked`, reading `read` (files their imports name) and the configs and manifests above them. */
  const unitOf = (checked: readonly number[], read: readonly number[], unreached: boolean): AnalysisUnit => {
    const all = [...checked, ...read];
    const context = new Set<number>(read);
    const dirs = new Set<string>();
    const pythonDirs = new Set<string>();
    let code = false;
    for (const i of all) {
      const language = languageOf(files[i]!.path);
      if (language === "typescript" || language === "javascript") (code = true), dirs.add(dirOf(files[i]!.path));
      if (language === "python") pythonDirs.add(dirOf(files[i]!.path));
    }
    if (code) for (const path of configsAbove(dirs, configsByDir, configByPath)) context.add(index.get(path)!);
    for (const dir of ancestors(pythonDirs)) for (const m of manifestsByDir.get(dir) ?? []) context.add(m);
    for (const i of checked) context.delete(i);
    const dependsOn = all.flatMap((i) => resolutions.get(i) ?? []);
    const python = all.some((i) => resolutions.has(i));
    return {
      files: [...new Set([...checked, ...context])].sort((a, b) => a - b).map((i) => files[i]!.path),
      context: [...context].sort((a, b) => a - b).map((i) => files[i]!.path),
      lines: checked.reduce((n, i) => n + files[i]!.lines, 0),
      dependsOn: python ? `python-mcp=${unreached ? "unreached" : hasMcpServer}\n${[...new Set(dependsOn)].sort().join("\n")}` : "",
      ...(unreached ? { unreached: true as const } : {}),
    };
  };

  const units: AnalysisUnit[] = [];
  for (const members of groups.values()) {
    const unreached = unreachedOf(members, files, imported, specified);
    const rest = members.filter((i) => !unreached.has(i));
    if (rest.length > 0) units.push(unitOf(rest, [], false));
    for (const batch of batchesOf([...unreached].sort((a, b) => a - b), files)) units.push(unitOf(batch, [...importedBy(batch, imported)], true));
  }
  units.sort((a, b) => b.lines - a.lines || b.files.length - a.files.length);
  return { units, tree: { python: { modules: pythonModules, hasMcpServer } } };
}

/** Lines of detached Python files (see `unreachedOf`) analyzed together, at most: bounds what a unit holds. */
const UNREACHED_BATCH_LINES = 40_000;

/**
 * The Python files of a unit that no tool input can reach, and that decide nothing about the
 * flows that reach the others: each is not an MCP server and imports neither SDK (so it has no
 * handler), defines no class with a base (so none of its methods overrides a method another
 * module calls), takes part in no module specifier, and is imported only by such files (so no
 * handler calls into it, and no other file reads it for callers). Tests and scripts that use a
 * server's package usually are. The taint engine finds a flow by walking from a sink up through
 * callers to a handler: from these files that walk ends without one, and no walk from another
 * file enters them. Their findings are those of their own text and the modules they import.
 */
function unreachedOf(members: readonly number[], files: readonly FileFacts[], imported: ReadonlyMap<number, ReadonlySet<number>>, specified: ReadonlySet<number>): Set<number> {
  const out = new Set<number>();
  for (const i of members) {
    const file = files[i]!;
    if (!imported.has(i) || file.mcpServer || file.derives || specified.has(i)) continue;
    if ((file.imports ?? []).some((q) => /^(?:mcp|fastmcp)(?:\.|$)/.test(q))) continue;
    out.add(i);
  }
  // An importer that may be reached makes what it imports reachable too, until nothing changes.
  const queue = members.filter((i) => !out.has(i));
  while (queue.length > 0) {
    const i = queue.pop()!;
    for (const j of imported.get(i) ?? []) if (out.delete(j)) queue.push(j);
  }
  return out;
}

/** Detached files in tree order, in batches of about `UNREACHED_BATCH_LINES` lines (a larger file alone). */
function batchesOf(detached: readonly number[], files: readonly FileFacts[]): number[][] {
  const out: number[][] = [];
  let batch: number[] = [];
  let lines = 0;
  for (const i of detached) {
    if (batch.length > 0 && lines + files[i]!.lines > UNREACHED_BATCH_LINES) {
      out.push(batch);
      (batch = []), (lines = 0);
    }
    batch.push(i);
    lines += files[i]!.lines;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}

/** The files these files' imports name, at any depth, without the files themselves. */
function importedBy(from: readonly number[], imported: ReadonlyMap<number, ReadonlySet<number>>): Set<number> {
  const own = new Set(from);
  const out = new Set<number>();
  const stack = [...from];
  while (stack.length > 0) {
    for (const j of imported.get(stack.pop()!) ?? []) {
      if (own.has(j) || out.has(j)) continue;
      out.add(j);
      stack.push(j);
    }
  }
  return out;
}

/** The tsconfig files in these folders and above them, and those they extend (relative `extends`, as the Workspace follows them). */
function configsAbove(dirs: ReadonlySet<string>, byDir: ReadonlyMap<string, string[]>, byPath: ReadonlyMap<string, FileFacts>): string[] {
  const out = new Set<string>();
  const stack = [...ancestors(dirs)].flatMap((dir) => byDir.get(dir) ?? []);
  while (stack.length > 0) {
    const path = stack.pop()!;
    if (out.has(path)) continue;
    out.add(path);
    for (const match of byPath.get(path)?.text?.matchAll(EXTENDS) ?? []) {
      const target = match[1]!;
      if (!target.startsWith(".")) continue;
      const resolved = posix.normalize(posix.join(dirOf(path) || ".", target.endsWith(".json") ? target : `${target}.json`));
      if (byPath.has(resolved)) stack.push(resolved);
    }
  }
  return [...out];
}

/** The folders and every folder above them, up to the root (""). */
function ancestors(dirs: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (let dir of dirs) {
    for (;;) {
      if (out.has(dir)) break;
      out.add(dir);
      if (dir === "") break;
      dir = dirOf(dir);
    }
  }
  return out;
}

function dirOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}
