import { applyOrgConfig, CONFIG_PATH, ignoreMatcher, ORG_CONFIG_REPO, parseRepoConfig, type RepoConfig } from "../config/repo-config.js";
import { isAnalyzable, isDependencyFile } from "../engine/language.js";
import { inBuildOutput, inVendoredFolder, machineWritten } from "../engine/machine-written.js";
import type { SkippedFile, SourceInput } from "../engine/types.js";
import { addedFileContent, allLines, baseFromPatch, parsePatch, type DiffLines } from "./diff-lines.js";
import { statusOf, toReviewError } from "./github-errors.js";
import type { GitHub } from "./github.js";
import { dependencyChanges } from "./dependency-diff.js";
import { isNeighbourCandidate, joinedFiles, planNeighbours, type TreeFile } from "./neighbours.js";
import type { ReviewJob } from "./review-job.js";

/** Files fetched at once: enough to hide latency, few enough to stay clear of abuse limits. */
const FETCH_CONCURRENCY = 8;

export interface PullRequestState {
  number: number;
  state: string;
  headSha: string;
  baseSha: string;
  baseRef: string;
  draft: boolean;
}

export interface Collected {
  config: RepoConfig;
  configErrors: string[];
  files: SourceInput[];
  /** Changed lines per analyzed path. */
  diff: Map<string, DiffLines>;
  skipped: SkippedFile[];
  /** Paths the pull request touches, analyzed or not. */
  changedPaths: Set<string>;
  /** Unchanged files read beside the changed ones for cross-file flow (they are in `files` too). */
  neighbours: Neighbours;
}

export interface Neighbours {
  /** Paths of the unchanged files in `files`: joined to a changed file by imports. */
  paths: string[];
  /** Source files of the repository left unread by the neighbour limits. */
  notRead: number;
  /** Why cross-file flow stops at the changed files, when it does: the tree could not be read, say. */
  note?: string;
}

interface TreeListing {
  files: TreeFile[];
  truncated: boolean;
}

interface PullFile {
  filename: string;
  status: string;
  patch?: string;
  changes: number;
  previous_filename?: string;
}

/** Read the pull request as it is now. */
export async function loadPullRequest(github: GitHub, job: ReviewJob): Promise<PullRequestState> {
  try {
    const { data } = await github.rest.pulls.get({ owner: job.owner, repo: job.repo, pull_number: job.pullNumber });
    return {
      number: data.number,
      state: data.state,
      headSha: data.head.sha,
      baseSha: data.base.sha,
      baseRef: data.base.ref,
      draft: Boolean(data.draft),
    };
  } catch (error) {
    throw toReviewError(`reading pull request #${job.pullNumber}`, error);
  }
}

/**
 * Read the repository config from the base branch, so that a pull request cannot switch off
 * its own review. A missing file means defaults.
 */
export async function loadRepoConfig(github: GitHub, owner: string, repo: string, ref: string): Promise<{ config: RepoConfig; errors: string[] }> {
  let text: string | undefined;
  try {
    const { data } = await github.rest.repos.getContent({ owner, repo, path: CONFIG_PATH, ref });
    if (!Array.isArray(data) && data.type === "file" && "content" in data) {
      text = Buffer.from(data.content, "base64").toString("utf8");
    }
  } catch (error) {
    if (statusOf(error) !== 404) throw toReviewError(`reading ${CONFIG_PATH}`, error);
  }
  return parseRepoConfig(text);
}

/**
 * The organization's config, from its `.github` repository's default branch. Missing, or not
 * readable by this installation (404, 403): undefined.
 */
export async function loadOrgConfigText(github: GitHub, owner: string, repo: string): Promise<string | undefined> {
  if (repo === ORG_CONFIG_REPO) return undefined;
  try {
    const { data } = await github.rest.repos.getContent({ owner, repo: ORG_CONFIG_REPO, path: CONFIG_PATH });
    if (!Array.isArray(data) && data.type === "file" && "content" in data) return Buffer.from(data.content, "base64").toString("utf8");
  } catch (error) {
    const status = statusOf(error);
    if (status !== 404 && status !== 403) throw toReviewError(`reading ${CONFIG_PATH} of ${owner}/${ORG_CONFIG_REPO}`, error);
  }
  return undefined;
}

/** Step 1 of a review: everything the engine needs, read from GitHub once. */
export async function collect(github: GitHub, job: ReviewJob, pull: PullRequestState): Promise<Collected> {
  const repoConfig = await loadRepoConfig(github, job.owner, job.repo, pull.baseSha);
  const isIgnored = ignoreMatcher(repoConfig.config);

  let pullFiles: PullFile[];
  try {
    pullFiles = await github.paginate(github.rest.pulls.listFiles, {
      owner: job.owner,
      repo: job.repo,
      pull_number: job.pullNumber,
      per_page: 100,
    });
  } catch (error) {
    throw toReviewError("listing the pull request's files", error);
  }
  const { config, errors: configErrors } = applyOrgConfig(repoConfig, await loadOrgConfigText(github, job.owner, job.repo), job.owner);

  const skipped: SkippedFile[] = [];
  const wanted: PullFile[] = [];
  const changedPaths = new Set<string>();
  for (const file of pullFiles) {
    changedPaths.add(file.filename);
    if (file.status === "removed") skipped.push({ path: file.filename, reason: "removed" });
    else if (isIgnored(file.filename)) skipped.push({ path: file.filename, reason: "ignored", detail: "matches `ignore` in the config" });
    else if (!isAnalyzable(file.filename)) skipped.push({ path: file.filename, reason: "unsupported" });
    else if (inVendoredFolder(file.filename)) skipped.push({ path: file.filename, reason: "vendored", detail: "in a folder of vendored code" });
    else if (wanted.length >= config.max_files) skipped.push({ path: file.filename, reason: "limit", detail: `over max_files (${config.max_files})` });
    else wanted.push(file);
  }

  const files: SourceInput[] = [];
  const diff = new Map<string, DiffLines>();
  const limits: Limits = { source: config.max_file_size_kb * 1024, dependency: config.max_dependency_file_mb * 1024 * 1024 };
  // The head's tree: which changed paths are symbolic links, and which unchanged files sit around them.
  const tree = wanted.length > 0 ? await readTree(github, job) : undefined;
  if (tree && "files" in tree) {
    const links = new Set(tree.files.filter((f) => f.mode === "120000").map((f) => f.path));
    const folders = new Set(tree.files.flatMap((f) => f.path.split("/").slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join("/"))));
    for (let i = wanted.length - 1; i >= 0; i--) {
      const path = wanted[i]!.filename;
      if (links.has(path)) skipped.push({ path, reason: "symlink" });
      else if (inBuildOutput(path, (folder) => folders.has(folder))) skipped.push({ path, reason: "vendored", detail: "build output beside its sources" });
      else continue;
      wanted.splice(i, 1);
    }
  }
  // An added file's patch is its whole text: one request (and rate-limit point) saved per file.
  // The others are read at the head in a few GraphQL queries rather than one request each.
  const fromPatches = new Map<string, string>();
  for (const file of wanted) {
    const text = file.status === "added" && file.patch !== undefined ? addedFileContent(file.patch) : undefined;
    if (text !== undefined) fromPatches.set(file.filename, text);
  }
  const heads = await fetchTexts(github, job, wanted.map((f) => f.filename).filter((path) => !fromPatches.has(path)), limits);
  await forEachLimited(wanted, FETCH_CONCURRENCY, async (file) => {
    const fromPatch = fromPatches.get(file.filename);
    const fetched = fromPatch !== undefined ? checkText(Buffer.from(fromPatch, "utf8"), file.filename, limits) : heads.get(file.filename)!;
    if ("skip" in fetched) {
      skipped.push({ path: file.filename, ...fetched.skip });
      return;
    }
    // Generated code is read: the review places its findings in the "generated" context.
    if (machineWritten(file.filename, fetched.text) === "minified") {
      skipped.push({ path: file.filename, reason: "minified", detail: "a minified bundle" });
      return;
    }
    // The base version lets the engine tell new findings from old ones and compare tool definitions.
    const base = file.status === "modified" || file.status === "renamed" ? await baseText(github, job, file, fetched.text, limits, pull.baseSha) : undefined;
    files.push({ path: file.filename, content: fetched.text, ...(base !== undefined ? { base } : {}) });
    if (file.patch !== undefined) diff.set(file.filename, parsePatch(file.patch));
    else if (file.status === "added") diff.set(file.filename, allLines(fetched.text)); // GitHub omits very large patches
    else if (base !== undefined && isDependencyFile(file.filename)) diff.set(file.filename, dependencyChanges(file.filename, fetched.text, base));
  });

  // The pull request's own files are never neighbours: those not read above were left out on purpose.
  const atLimit = wanted.length >= config.max_files;
  const neighbours = atLimit
    ? { paths: [], notRead: 0, note: `the pull request reaches max_files (${config.max_files}), so no unchanged files were read around it` }
    : await readNeighbours(github, job, files, tree, limits, (path) => isIgnored(path) || changedPaths.has(path));
  files.sort((a, b) => a.path.localeCompare(b.path));
  skipped.sort((a, b) => a.path.localeCompare(b.path));
  return { config, configErrors, files, diff, skipped, changedPaths, neighbours };
}

/**
 * The head commit's tree, recursively, in one request. A failure is no reason to fail the review:
 * it says why instead, and the review goes on with the changed files alone.
 */
async function readTree(github: GitHub, job: ReviewJob): Promise<TreeListing | { note: string }> {
  try {
    const { data } = await github.rest.git.getTree({ owner: job.owner, repo: job.repo, tree_sha: job.headSha, recursive: "1" });
    const files = data.tree.filter((e) => e.type === "blob" && typeof e.path === "string").map((e) => ({ path: e.path!, mode: e.mode ?? "100644", size: e.size }));
    return { files, truncated: Boolean(data.truncated) };
  } catch (error) {
    const status = statusOf(error);
    return { note: `the repository's tree could not be listed${status ? ` (HTTP ${status})` : ""}, so taint stops at the changed files` };
  }
}

/**
 * Adds to `files` the unchanged files joined to the changed ones by imports (see neighbours.ts),
 * each with itself as its base version: the base analysis then sees what the head does around
 * a changed file, and a finding they had before the pull request stays old.
 */
async function readNeighbours(
  github: GitHub,
  job: ReviewJob,
  files: SourceInput[],
  tree: TreeListing | { note: string } | undefined,
  limits: Limits,
  excluded: (path: string) => boolean,
): Promise<Neighbours> {
  const changed = new Map(files.filter((f) => isNeighbourCandidate({ path: f.path, mode: "100644" }, Infinity)).map((f) => [f.path, f.content]));
  if (changed.size === 0 || !tree) return { paths: [], notRead: 0 };
  if ("note" in tree) return { paths: [], notRead: 0, note: tree.note };
  const listed = tree.files.filter((f) => !excluded(f.path) || changed.has(f.path));
  const plan = planNeighbours(changed, listed, limits.source);
  const texts = await fetchTexts(github, job, plan.toRead, limits);
  const read = new Map<string, string>();
  for (const [path, fetched] of texts) if ("text" in fetched) read.set(path, fetched.text);
  const paths = joinedFiles(changed, read, listed);
  for (const path of paths) files.push({ path, content: read.get(path)!, base: read.get(path)! });
  const note = tree.truncated ? "GitHub listed only part of the repository's tree (it is too large), so some neighbours may be missing" : undefined;
  return { paths, notRead: plan.notRead, ...(note ? { note } : {}) };
}

/**
 * A modified file as it was before the pull request: put back from its patch when GitHub sent
 * one that matches (no request), else read at the base commit. Undefined when neither works.
 */
async function baseText(github: GitHub, job: ReviewJob, file: PullFile, head: string, limits: Limits, baseSha: string): Promise<string | undefined> {
  const fromPatch = file.patch !== undefined ? baseFromPatch(head, file.patch) : undefined;
  if (fromPatch !== undefined) return fromPatch;
  const fetched = await fetchText(github, job, file.previous_filename ?? file.filename, limits, baseSha);
  return "text" in fetched ? fetched.text : undefined;
}

/** Files read in one GraphQL query: 50 round trips become 2, and a response stays a few MB at most. */
const FILES_PER_QUERY = 25;

interface BlobFields {
  __typename: string;
  byteSize?: number;
  isBinary?: boolean;
  isTruncated?: boolean;
  text?: string | null;
}

/**
 * The text of files at the head commit, read through GraphQL (`object(expression: "sha:path")`,
 * 25 per query). A file GraphQL cannot give exactly (text cut short, or not valid UTF-8, which it
 * would hand back repaired) and any query that fails (a GitHub Enterprise Server without GraphQL,
 * a GraphQL error) are read one by one through the contents API instead, which also decides
 * errors there.
 */
export async function fetchTexts(github: GitHub, job: FileSource, paths: string[], limits: Limits): Promise<Map<string, Fetched>> {
  const out = new Map<string, Fetched>();
  const rest: string[] = [];
  for (let start = 0; start < paths.length; start += FILES_PER_QUERY) {
    const chunk = paths.slice(start, start + FILES_PER_QUERY);
    let blobs: Record<string, BlobFields | null>;
    try {
      const variables: Record<string, string> = { owner: job.owner, name: job.repo };
      chunk.forEach((path, i) => (variables[`e${i}`] = `${job.headSha}:${path}`));
      const query = `query($owner: String!, $name: String!, ${chunk.map((_, i) => `$e${i}: String!`).join(", ")}) {
  repository(owner: $owner, name: $name) {
    ${chunk.map((_, i) => `f${i}: object(expression: $e${i}) { __typename ... on Blob { byteSize isBinary isTruncated text } }`).join("\n    ")}
  }
}`;
      const data = await github.graphql<{ repository: Record<string, BlobFields | null> | null }>(query, variables);
      if (!data?.repository) throw new Error("no repository in the GraphQL answer");
      blobs = data.repository;
    } catch {
      rest.push(...chunk);
      continue;
    }
    chunk.forEach((path, i) => {
      const blob = blobs[`f${i}`];
      if (blob === null || blob === undefined) out.set(path, { skip: { reason: "fetch-failed", detail: "not found at the head commit" } });
      else if (blob.__typename !== "Blob") out.set(path, { skip: { reason: "unsupported", detail: "not a regular file (a submodule)" } });
      else if ((blob.byteSize ?? 0) > limitOf(path, limits)) out.set(path, tooLarge(blob.byteSize!, path, limits));
      else if (blob.isBinary) out.set(path, { skip: { reason: "binary" } });
      else if (blob.isTruncated || typeof blob.text !== "string" || blob.text.includes("\uFFFD")) rest.push(path);
      else out.set(path, checkText(Buffer.from(blob.text, "utf8"), path, limits));
    });
  }
  await forEachLimited(rest, FETCH_CONCURRENCY, async (path) => void out.set(path, await fetchText(github, job, path, limits)));
  return out;
}

export type Fetched = { text: string } | { skip: Omit<SkippedFile, "path"> };

/** Where files are read: a repository at a commit (a pull request's head, a default branch's). */
export type FileSource = Pick<ReviewJob, "owner" | "repo" | "headSha">;

async function fetchText(github: GitHub, job: FileSource, path: string, limits: Limits, ref = job.headSha): Promise<Fetched> {
  let data;
  try {
    ({ data } = await github.rest.repos.getContent({ owner: job.owner, repo: job.repo, path, ref }));
  } catch (error) {
    if (statusOf(error) === 404) return { skip: { reason: "fetch-failed", detail: `not found at ${ref === job.headSha ? "the head" : "the base"} commit` } };
    throw toReviewError(`reading ${path}`, error);
  }
  if (Array.isArray(data) || data.type !== "file" || !("content" in data)) {
    return { skip: { reason: "unsupported", detail: "not a regular file (symlink or submodule)" } };
  }
  if (data.encoding === "none" && data.size > 0) {
    // Over the contents API's 1 MB: a lockfile within its own limit is read raw (up to 100 MB).
    if (data.size > limitOf(path, limits)) return tooLarge(data.size, path, limits);
    return checkText(await rawText(github, job, path, ref), path, limits);
  }
  return checkText(Buffer.from(data.content, "base64"), path, limits);
}

/** A file's bytes through the contents API's raw media type, which serves files up to 100 MB. */
async function rawText(github: GitHub, job: FileSource, path: string, ref: string): Promise<Buffer> {
  try {
    const { data } = await github.request("GET /repos/{owner}/{repo}/contents/{path}", { owner: job.owner, repo: job.repo, path, ref, mediaType: { format: "raw" } });
    return typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data as unknown as ArrayBuffer);
  } catch (error) {
    throw toReviewError(`reading ${path}`, error);
  }
}

/** How large a file may be: sources and configs by `max_file_size_kb`, manifests and lockfiles by `max_dependency_file_mb`. */
export interface Limits {
  source: number;
  dependency: number;
}

function limitOf(path: string, limits: Limits): number {
  return isDependencyFile(path) ? limits.dependency : limits.source;
}

/** The text of a file's bytes, or why it is skipped: too large, binary, or not UTF-8. */
function checkText(bytes: Buffer, path: string, limits: Limits): Fetched {
  if (bytes.length > limitOf(path, limits)) return tooLarge(bytes.length, path, limits);
  if (bytes.subarray(0, 8000).includes(0)) return { skip: { reason: "binary" } };
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    return { skip: { reason: "binary", detail: "not valid UTF-8 text" } };
  }
}

function tooLarge(size: number, path: string, limits: Limits): Fetched {
  const setting = isDependencyFile(path) ? `max_dependency_file_mb (${limits.dependency / 1024 / 1024})` : `max_file_size_kb (${limits.source / 1024})`;
  return { skip: { reason: "too-large", detail: `${formatKb(size)} is over ${setting}` } };
}

function formatKb(bytes: number): string {
  return `${Math.ceil(bytes / 1024)} KB`;
}

/** Run `fn` over `items` with at most `limit` in flight; the first failure rejects. */
export async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  });
  await Promise.all(runners);
}
