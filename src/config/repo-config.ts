import picomatch from "picomatch";
import { parseDocument } from "yaml";
import { z } from "zod";
import type { CodeContext, ContextPaths } from "../engine/context.js";
import { SEVERITIES, type Finding, type RuleSettings, type Severity } from "../engine/types.js";

/** Where a repository keeps its settings, read from the base branch. */
export const CONFIG_PATH = ".github/mcp-review.yml";

export type CommentMode = "review" | "annotations" | "both";

export interface RepoConfig {
  /** Findings at or above this severity on changed lines fail the check; "none" never fails. */
  fail_on: Severity | "none";
  /** Review draft pull requests too, instead of waiting for "ready for review". */
  review_drafts: boolean;
  /** Glob patterns (POSIX, from the repository root) of files never reviewed. */
  ignore: string[];
  /** Per rule: "off", or a severity that replaces the rule's own. */
  rules: RuleSettings;
  /** Where findings are shown: inline review comments, check annotations, or both. */
  comments: CommentMode;
  /** At most this many inline comments per review; the rest are listed in the check run. */
  max_comments: number;
  /** Files larger than this (at most 1024, the contents API limit) are skipped and reported. */
  max_file_size_kb: number;
  /** At most this many files of a pull request are analyzed; the rest are reported. */
  max_files: number;
  /** Manifests and lockfiles larger than this many megabytes (at most 100) are skipped and reported. */
  max_dependency_file_mb: number;
  /**
   * Honor inline `mcp-review-ignore <rule-id> -- <reason>` comments. An organization turns them
   * off for all its repositories with `allow_suppressions: false` in its `.github` repository.
   */
  allow_suppressions: boolean;
  /** Globs that place paths in a context, over the well-known layouts (`test/`, `examples/`, `*.test.*`, ...). */
  paths: ContextPaths;
  /**
   * How findings in each non-production context count: "listed" in the summary only, also
   * "commented" inline, or like "production" (fail the check, commented).
   */
  contexts: Record<Exclude<CodeContext, "production">, ContextMode>;
}

/** How findings in a context count against a pull request. */
export type ContextMode = "listed" | "commented" | "production";

export const DEFAULT_CONFIG: RepoConfig = Object.freeze({
  fail_on: "high",
  review_drafts: false,
  ignore: [],
  rules: {},
  comments: "both",
  max_comments: 25,
  max_file_size_kb: 512,
  max_files: 1000,
  max_dependency_file_mb: 50,
  allow_suppressions: true,
  paths: {},
  contexts: { test: "listed", example: "commented", generated: "listed" },
}) as RepoConfig;

const severity = z.enum(SEVERITIES);
const globs = z.array(z.string().min(1));
const contextMode = z.enum(["listed", "commented", "production"]);

const FIELDS: { [K in keyof RepoConfig]: z.ZodType<RepoConfig[K]> } = {
  fail_on: z.union([severity, z.literal("none")]),
  review_drafts: z.boolean(),
  ignore: z.array(z.string().min(1)),
  rules: z.record(z.string().regex(/^[a-z0-9-]+$/, "rule ids are lowercase-with-dashes"), z.union([z.literal("off"), severity])),
  comments: z.enum(["review", "annotations", "both"]),
  max_comments: z.number().int().min(0).max(100),
  max_file_size_kb: z.number().int().min(1).max(1024),
  max_files: z.number().int().min(1).max(3000),
  max_dependency_file_mb: z.number().int().min(1).max(100),
  allow_suppressions: z.boolean(),
  paths: z.strictObject({ production: globs, test: globs, example: globs, generated: globs }).partial(),
  contexts: z
    .strictObject({ test: contextMode, example: contextMode, generated: contextMode })
    .partial()
    .transform((given) => ({ ...DEFAULT_CONFIG.contexts, ...given })),
};

export interface ConfigResult {
  config: RepoConfig;
  /** One line per problem, naming the key; the key falls back to its default. */
  errors: string[];
}

/**
 * Parse and validate the text of `.github/mcp-review.yml`. Never throws: each invalid key is
 * reported and replaced by its default, so a typo never switches the review off.
 */
export function parseRepoConfig(text: string | undefined): ConfigResult {
  const config: RepoConfig = { ...DEFAULT_CONFIG, ignore: [], rules: {}, paths: {}, contexts: { ...DEFAULT_CONFIG.contexts } };
  if (text === undefined || text.trim() === "") return { config, errors: [] };

  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const where = e.linePos ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : "";
    return { config, errors: [`${CONFIG_PATH} is not valid YAML${where}: ${firstLine(e.message)}; using defaults`] };
  }
  const raw: unknown = doc.toJS();
  if (raw === null || raw === undefined) return { config, errors: [] };
  if (typeof raw !== "object" || Array.isArray(raw)) {
    return { config, errors: [`${CONFIG_PATH} must be a mapping of keys to values; using defaults`] };
  }

  const errors: string[] = [];
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!(key in FIELDS)) {
      errors.push(`unknown key \`${key}\` (known keys: ${Object.keys(FIELDS).join(", ")})`);
      continue;
    }
    const k = key as keyof RepoConfig;
    const parsed = FIELDS[k].safeParse(value);
    if (parsed.success) {
      (config as unknown as Record<string, unknown>)[k] = parsed.data;
    } else {
      const issue = parsed.error.issues[0]!;
      const at = [key, ...issue.path.map(String)].join(".");
      errors.push(`\`${at}\`: ${issue.message} (got ${JSON.stringify(value)}); using the default ${JSON.stringify(DEFAULT_CONFIG[k])}`);
    }
  }
  return { config, errors };
}

/** Where an organization keeps settings for all its repositories: its `.github` repository. */
export const ORG_CONFIG_REPO = ".github";

/**
 * Apply the organization's config (the same file in the organization's `.github` repository) to
 * a repository's. Only `allow_suppressions: false` is taken from it, and a repository cannot
 * turn it back on; an invalid organization file is reported and changes nothing.
 */
export function applyOrgConfig(repo: ConfigResult, orgText: string | undefined, orgName: string): ConfigResult {
  if (orgText === undefined) return repo;
  const org = parseRepoConfig(orgText);
  const where = `${orgName}/${ORG_CONFIG_REPO}: ${CONFIG_PATH}`;
  const errors = [...repo.errors, ...org.errors.map((e) => `organization config (${where}): ${e}`)];
  if (org.config.allow_suppressions) return { config: repo.config, errors };
  return { config: { ...repo.config, allow_suppressions: false }, errors };
}

/** A predicate telling whether a POSIX path matches the config's `ignore` globs. */
export function ignoreMatcher(config: Pick<RepoConfig, "ignore">): (path: string) => boolean {
  if (config.ignore.length === 0) return () => false;
  return picomatch(config.ignore, { dot: true });
}

function firstLine(message: string): string {
  return message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "").trim();
}

/**
 * How a finding counts under a config: like production code's (fails the check at `fail_on`,
 * commented inline), "commented" but never failing, or only "listed" in the summary. A credential
 * in a verifiable format counts like production's wherever it sits.
 */
export function treatmentOf(finding: Pick<Finding, "context" | "countsEverywhere">, config: Pick<RepoConfig, "contexts">): ContextMode {
  if (finding.context === "production" || finding.countsEverywhere) return "production";
  return config.contexts[finding.context];
}
