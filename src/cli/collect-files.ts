import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, relative, sep } from "node:path";
import { ignoreMatcher } from "../config/repo-config.js";
import { contextClassifier, type CodeContext, type ContextPaths } from "../engine/context.js";
import { isAnalyzable, isDependencyFile } from "../engine/language.js";
import { isVendoredFolder, machineWritten } from "../engine/machine-written.js";
import type { SkippedFile, SourceInput } from "../engine/types.js";

const BINARY_SNIFF_BYTES = 8192;

export interface CollectOptions {
  /** POSIX paths relative to the root that must not be read. */
  ignored: (path: string) => boolean;
  maxFileBytes: number;
  /** Manifests and lockfiles have their own, larger limit: real lockfiles run to many megabytes. */
  maxDependencyFileBytes: number;
  /**
   * Read what no one of the repository wrote by hand too: vendored folders and build output
   * (`node_modules`, `vendor`, virtualenvs, `dist` beside `src`), minified bundles and generated code.
   */
  includeVendored?: boolean;
  /** Where a file's code sits (the repository's context globs); "generated" files are skipped. Default: the marker in the file's first lines. */
  contextOf?: (path: string, text: string) => CodeContext;
  /** Keep generated files (the repository counts findings in generated code). */
  keepGenerated?: boolean;
}

/**
 * A folder (or one file) to walk, as plain data that another thread can receive: the repository
 * config's `ignore` globs and context paths, the size limits, whether vendored and generated code
 * is read (see `CollectOptions`).
 */
export interface FolderWalk {
  target: string;
  isDirectory: boolean;
  ignore: string[];
  paths?: ContextPaths;
  maxFileBytes: number;
  maxDependencyFileBytes: number;
  includeVendored?: boolean;
  keepGenerated?: boolean;
}

/** The walk options a `FolderWalk` stands for. */
export function collectOptionsOf(walk: FolderWalk): CollectOptions {
  return {
    ignored: ignoreMatcher(walk),
    maxFileBytes: walk.maxFileBytes,
    maxDependencyFileBytes: walk.maxDependencyFileBytes,
    ...(walk.includeVendored !== undefined ? { includeVendored: walk.includeVendored } : {}),
    contextOf: contextClassifier(walk.paths),
    ...(walk.keepGenerated !== undefined ? { keepGenerated: walk.keepGenerated } : {}),
  };
}

export interface CollectedFiles {
  files: SourceInput[];
  skipped: SkippedFile[];
}

/** A file the walk read: its path relative to the root, where it is on disk, and its text. */
export interface WalkedFile extends SourceInput {
  absolute: string;
}

/**
 * Reads the analyzable files under `root` (or the single file `target`), skipping `.git`,
 * vendored folders, ignored paths, binary and minified files, generated code and files over the
 * size limit; every skip but `.git` is reported, a vendored folder as one entry. Symbolic links
 * are not followed, so a link cannot lead the scan outside the folder or into a loop.
 */
export function collectFiles(target: string, isDirectory: boolean, options: CollectOptions): CollectedFiles {
  const files: SourceInput[] = [];
  const skipped = walkFiles(target, isDirectory, options, ({ path, content }) => void files.push({ path, content }));
  return { files, skipped };
}

/**
 * `collectFiles` one file at a time, in path order, so that a caller can keep what it needs of
 * each and let the text go. Returns what was skipped.
 */
export function walkFiles(target: string, isDirectory: boolean, options: CollectOptions, visit: (file: WalkedFile) => void): SkippedFile[] {
  const skipped: SkippedFile[] = [];
  const root = isDirectory ? target : dirname(target);
  const relativePath = (absolute: string) => relative(root, absolute).split(sep).join("/");
  const read = (absolute: string) => {
    const path = relativePath(absolute);
    if (!isAnalyzable(path)) return;
    if (options.ignored(path)) {
      skipped.push({ path, reason: "ignored" });
      return;
    }
    const stat = lstatSync(absolute);
    const limit = isDependencyFile(path) ? options.maxDependencyFileBytes : options.maxFileBytes;
    if (stat.size > limit) {
      skipped.push({ path, reason: "too-large", detail: `${Math.ceil(stat.size / 1024)} KB is over the ${Math.round(limit / 1024)} KB limit` });
      return;
    }
    const bytes = readFileSync(absolute);
    if (bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0)) {
      skipped.push({ path, reason: "binary" });
      return;
    }
    const content = bytes.toString("utf8");
    const why = options.includeVendored ? undefined : machineWritten(path, content, options.contextOf);
    if (why && !(why === "generated" && options.keepGenerated)) {
      skipped.push({ path, reason: why, detail: why === "minified" ? "a minified bundle" : "says it is generated" });
      return;
    }
    visit({ path, absolute, content });
  };
  const walk = (dir: string) => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const names = new Set(entries.map((e) => e.name));
    for (const entry of entries) {
      const absolute = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name === ".git") continue;
        if (!options.includeVendored && isVendoredFolder(entry.name, names, () => readdirSync(absolute))) {
          skipped.push({ path: relativePath(absolute), reason: "vendored", detail: "a folder of vendored code or build output, not read" });
          continue;
        }
        walk(absolute);
      } else if (entry.isFile()) {
        read(absolute);
      }
    }
  };
  if (isDirectory) walk(target);
  else read(join(root, basename(target)));
  return skipped;
}
