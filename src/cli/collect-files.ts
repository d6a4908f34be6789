import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, relative, sep } from "node:path";
import { isAnalyzable } from "../engine/index.js";
import { isDependencyFile } from "../engine/language.js";
import type { SkippedFile, SourceInput } from "../engine/types.js";

const SKIPPED_DIRECTORIES = new Set([".git", "node_modules"]);
const BINARY_SNIFF_BYTES = 8192;

export interface CollectOptions {
  /** POSIX paths relative to the root that must not be read. */
  ignored: (path: string) => boolean;
  maxFileBytes: number;
  /** Manifests and lockfiles have their own, larger limit: real lockfiles run to many megabytes. */
  maxDependencyFileBytes: number;
}

export interface CollectedFiles {
  files: SourceInput[];
  skipped: SkippedFile[];
}

/**
 * Reads the analyzable files under `root` (or the single file `target`), skipping `.git`,
 * `node_modules`, ignored paths, binary files and files over the size limit. Symbolic links are
 * not followed, so a link cannot lead the scan outside the folder or into a loop.
 */
export function collectFiles(target: string, isDirectory: boolean, options: CollectOptions): CollectedFiles {
  const files: SourceInput[] = [];
  const skipped: SkippedFile[] = [];
  const root = isDirectory ? target : dirname(target);
  const visit = (absolute: string) => {
    const path = relative(root, absolute).split(sep).join("/");
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
    files.push({ path, content: bytes.toString("utf8") });
  };
  const walk = (dir: string) => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const absolute = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name)) walk(absolute);
      } else if (entry.isFile()) {
        visit(absolute);
      }
    }
  };
  if (isDirectory) walk(target);
  else visit(join(root, basename(target)));
  return { files, skipped };
}
