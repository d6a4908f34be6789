import type { Language } from "./types.js";

const EXTENSIONS: Record<string, Language> = {
  ".ts": "typescript",
  ".tsx": "typescript",
  ".mts": "typescript",
  ".cts": "typescript",
  ".js": "javascript",
  ".jsx": "javascript",
  ".mjs": "javascript",
  ".cjs": "javascript",
  ".py": "python",
};

/** The language of a path the engine reads, or undefined. */
export function languageOf(path: string): Language | undefined {
  if (/\.d\.[mc]?ts$/i.test(path)) return undefined;
  const dot = path.lastIndexOf(".");
  if (dot < 0 || dot < path.lastIndexOf("/")) return undefined;
  return EXTENSIONS[path.slice(dot).toLowerCase()];
}

/** True for files the engine analyzes today: TypeScript and JavaScript sources, not `.d.ts`. */
export function isAnalyzable(path: string): boolean {
  return languageOf(path) !== undefined;
}
