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

/**
 * Where MCP clients keep their server lists: VS Code and Cursor (`mcp.json`, and VS Code's user
 * `settings.json`), Claude Code (`.mcp.json`, `~/.claude.json`), Claude Desktop, Gemini CLI,
 * Windsurf, Cline and Zed. Other JSON files are not read.
 */
const MCP_CONFIG = /(?:^|\/)(?:(?:[^/]*[._-])?mcp\.json|claude_desktop_config\.json|\.claude\.json|mcp_config\.json|cline_mcp_settings\.json|\.gemini\/settings\.json|Code(?: - Insiders)?\/User\/settings\.json|zed\/settings\.json)$/i;

/**
 * Dependency manifests and lockfiles that can pin a vulnerable MCP package: npm's, pnpm's and
 * yarn's, and Python's (pyproject, uv, poetry, Pipfile.lock, requirements and constraints files,
 * also in a `requirements/` folder).
 */
const MANIFEST = /(?:^|\/)(?:package\.json|package-lock\.json|npm-shrinkwrap\.json|pnpm-lock\.yaml|yarn\.lock|pyproject\.toml|uv\.lock|poetry\.lock|Pipfile\.lock|(?:requirements|constraints)[^/]*\.txt|requirements\/[^/]+\.txt)$/i;

/** True for a manifest or lockfile: read whole up to its own, larger size limit. */
export function isDependencyFile(path: string): boolean {
  return MANIFEST.test(path);
}

/** The language of a path the engine reads, or undefined. */
export function languageOf(path: string): Language | undefined {
  if (MCP_CONFIG.test(path)) return "mcp-config";
  if (MANIFEST.test(path)) return "manifest";
  if (/\.d\.[mc]?ts$/i.test(path)) return undefined;
  const dot = path.lastIndexOf(".");
  if (dot < 0 || dot < path.lastIndexOf("/")) return undefined;
  return EXTENSIONS[path.slice(dot).toLowerCase()];
}

/** tsconfig and jsconfig files: the engine reads their `paths` and `baseUrl` to resolve aliased imports. */
export function isProjectConfig(path: string): boolean {
  return /(?:^|\/)[tj]sconfig(?:\.[\w-]+)*\.json$/i.test(path);
}

/** True for files the engine reads: sources (not `.d.ts`), MCP client configs, dependency manifests and tsconfig files. */
export function isAnalyzable(path: string): boolean {
  return languageOf(path) !== undefined || isProjectConfig(path);
}

/** Whether `analyze` needs its TypeScript side for these paths: one of them is TypeScript or JavaScript. */
export function needsScripts(paths: readonly string[]): boolean {
  return paths.some((path) => {
    const language = languageOf(path);
    return language === "typescript" || language === "javascript";
  });
}
