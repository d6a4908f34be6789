import { createHash } from "node:crypto";
import { posix } from "node:path";
import { applyOrgConfig, ignoreMatcher, type RepoConfig } from "../config/repo-config.js";
import { components, importSpecifiers, PathIndex } from "../engine/inventory/import-graph.js";
import { assembleInventory } from "../engine/inventory/assemble.js";
import { INVENTORY_FORMAT, type FileFacts, type Inventory } from "../engine/inventory/types.js";
import { isAnalyzable, isDependencyFile, isProjectConfig, languageOf } from "../engine/language.js";
import type { AnalyzeOptions, SkippedFile, SourceInput } from "../engine/types.js";
import { fetchTexts, loadOrgConfigText, loadRepoConfig, type Limits } from "../review/collect.js";
import { statusOf, toReviewError } from "../review/github-errors.js";
import type { GitHub, GitHubFactory } from "../review/github.js";
import type { InventoryStore, ScanStats, ScanTrigger } from "../store/inventory-store.js";
import { engineVersion } from "./engine-version.js";
import type { InventoryCache } from "./inventory-cache.js";
import { gateRequests, type RequestGate } from "./request-gate.js";
import type { UnitAnalyzer } from "./unit-analyzer.js";

/** A queued scan of one repository's default branch. It carries ids only: the rest is read when it runs. */
export interface ScanJob {
  installationId: number;
  repositoryId: number;
  trigger: ScanTrigger;
  /** Scan even when the head and the engine are those of the last completed scan. */
  force?: boolean;
}

export interface ScanDeps {
  github: GitHubFactory;
  store: InventoryStore;
  cache: InventoryCache;
  analyze: UnitAnalyzer;
  gate?: RequestGate;
  now?: () => Date;
  log?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
  limits?: Partial<ScanLimits>;
}

/** Bounds of one repository scan; what they leave out is said in the coverage. */
export interface ScanLimits {
  /** Candidate files read at most (MCP_REVIEW_SCAN_MAX_FILES). */
  maxFiles: number;
  /** Bytes of candidate files read at most. */
  maxBytes: number;
  /** Files and bytes the engine is given at once: a batch of units. */
  batchFiles: number;
  batchBytes: number;
  /**
   * The largest unit: files joined by imports into a group of more files or bytes than these are
   * analyzed in parts of at most `unitFiles` files, split along folders, so that a worker stays
   * within its memory. Data flow across the parts' boundaries is not followed (the coverage says so).
   */
  unitFiles: number;
  unitBytes: number;
}

/**
 * The engine's memory grows with the files it holds at once: on the largest corpus repository
 * (990 files, 12 MB) a whole analysis peaked at 620 MB, parts of 100 files at 260 MB.
 */
export const DEFAULT_SCAN_LIMITS: ScanLimits = { maxFiles: 5000, maxBytes: 64 * 1024 * 1024, batchFiles: 40, batchBytes: 512 * 1024, unitFiles: 40, unitBytes: 512 * 1024 };

export type ScanOutcome =
  | { status: "completed"; scanId: number; commit: string | null; stats: ScanStats }
  | { status: "unchanged" | "removed" | "archived" | "suspended"; commit?: string | null };

interface TreeEntry {
  path: string;
  mode: string;
  sha: string;
  size: number;
}

/** A set of files analyzed together: joined by imports, with the project configs and manifests around them as context. */
interface Unit {
  checked: string[];
  context: string[];
  key: string;
  /** A part of a larger group of import-joined files. */
  part?: true;
}

/**
 * The named pipeline of an organization scan of one repository: resolve the default branch's head
 * (a conditional request, free when nothing changed), list its tree once, pick the files the engine
 * reads, reuse what earlier scans computed for unchanged files (by blob SHA), read and analyze the
 * rest in batches, and save the inventory as the repository's current state.
 */
export async function scanRepository(job: ScanJob, deps: ScanDeps): Promise<ScanOutcome> {
  const now = deps.now ?? (() => new Date());
  const limits = { ...DEFAULT_SCAN_LIMITS, ...deps.limits };
  const started = performance.now();
  const repository = await deps.store.getRepository(job.repositoryId);
  if (!repository) return { status: "removed" };
  if (repository.archived) return { status: "archived" };
  // GitHub gives a suspended installation no token: its scans end here, and unsuspending queues them again.
  if (await deps.store.isInstallationSuspended(job.installationId)) return { status: "suspended" };
  const github = await deps.github(job.installationId);
  let requests = 0;
  github.hook.before("request", () => void requests++);
  if (deps.gate) gateRequests(github, job.installationId, deps.gate, (ms) => deps.log?.info({ repository: repository.fullName, waitMs: ms }, "GitHub quota of the installation is low: the scan waits for its reset"));
  const [owner, repo] = repository.fullName.split("/") as [string, string];

  const branch = repository.defaultBranch ?? (await defaultBranchOf(github, owner, repo));
  if (branch !== repository.defaultBranch) await deps.store.updateRepository(repository.id, { defaultBranch: branch });
  const head = await resolveHead(github, owner, repo, branch, repository.headSha, repository.headEtag);
  if (head.sha) await deps.store.recordHead(repository.id, { sha: head.sha, etag: head.etag });
  const version = engineVersion();
  if (!job.force && head.sha !== undefined && repository.lastScannedCommit === head.sha && repository.lastEngineVersion === version) return { status: "unchanged", commit: head.sha };
  const noHead = head.note ?? "the default branch has no commit";
  if (!job.force && head.sha === undefined && repository.lastScanId !== null && repository.lastScannedCommit === null && repository.lastEngineVersion === version) {
    // Still empty (or still without its branch), as the last scan said: the daily pass adds no scan.
    const last = await deps.store.latestScan(repository.id);
    if (last?.status === "completed" && last.commit === null && last.coverage?.notes.join("\n") === noHead) return { status: "unchanged", commit: null };
  }

  const scanId = await deps.store.startScan(repository.id, { commit: head.sha ?? null, trigger: job.trigger, engineVersion: version });
  try {
    const result = head.sha === undefined ? { inventory: emptyInventory([noHead]), stats: {} } : await inventoryAt(github, owner, repo, head.sha, deps, limits, version);
    const stats = { ...result.stats, requests, durationMs: Math.round(performance.now() - started) };
    const saved = await deps.store.completeScan(scanId, result.inventory, { commit: head.sha ?? null, at: now(), stats });
    deps.log?.info({ repository: repository.fullName, commit: head.sha?.slice(0, 7), trigger: job.trigger, saved: saved.saved, ...stats, findings: result.inventory.findings.length, servers: result.inventory.servers.length, newFindings: saved.newFindings, fixedFindings: saved.fixedFindings, toolChanges: saved.toolChanges }, "repository scanned");
    return { status: "completed", scanId, commit: head.sha ?? null, stats };
  } catch (error) {
    await deps.store.failScan(scanId, error instanceof Error ? error.message : String(error), now()).catch(() => {});
    throw error;
  }
}

async function defaultBranchOf(github: GitHub, owner: string, repo: string): Promise<string> {
  try {
    const { data } = await github.rest.repos.get({ owner, repo });
    return data.default_branch;
  } catch (error) {
    throw toReviewError(`reading ${owner}/${repo}`, error);
  }
}

/**
 * The head commit of a branch, asked with the ETag of the last answer: GitHub answers 304 (and
 * counts nothing against the quota) when the branch has not moved. An empty repository (409)
 * or a missing branch (404, 422) has no head, and says why.
 */
async function resolveHead(github: GitHub, owner: string, repo: string, branch: string, knownSha: string | null, etag: string | null): Promise<{ sha?: string; etag?: string; note?: string }> {
  try {
    const response = await github.request("GET /repos/{owner}/{repo}/commits/{ref}", {
      owner,
      repo,
      ref: branch,
      mediaType: { format: "sha" },
      headers: etag && knownSha ? { "if-none-match": etag } : {},
    });
    const sha = shaOf(response.data);
    if (!sha) throw new Error(`GitHub answered no commit SHA for ${owner}/${repo}@${branch}`);
    return { sha, etag: (response.headers.etag as string | undefined) ?? undefined };
  } catch (error) {
    const status = statusOf(error);
    if (status === 304 && knownSha) return { sha: knownSha, etag: etag ?? undefined };
    if (status === 409) return { note: "the repository is empty: there is nothing to scan until its first push" };
    if (status === 404 || status === 422) return { note: `the default branch \`${branch}\` was not found` };
    throw toReviewError(`reading the head of ${owner}/${repo}@${branch}`, error);
  }
}

/** The SHA media type answers the SHA as text; Octokit hands it over as a string or, without a charset, as bytes. */
function shaOf(data: unknown): string | undefined {
  const text = typeof data === "string" ? data : data instanceof ArrayBuffer ? Buffer.from(data).toString("utf8") : ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8") : (data as { sha?: string } | null)?.sha;
  const sha = text?.trim();
  return sha && /^[0-9a-f]{40,64}$/.test(sha) ? sha : undefined;
}

function emptyInventory(notes: string[]): Inventory {
  return { format: INVENTORY_FORMAT, servers: [], tools: [], configs: [], dependencies: [], findings: [], coverage: { filesRead: 0, filesAnalyzed: 0, linesAnalyzed: 0, notRead: [], ruleErrors: [], notes } };
}

/** The inventory of a repository at a commit, reusing what earlier scans computed for unchanged files. */
async function inventoryAt(github: GitHub, owner: string, repo: string, sha: string, deps: ScanDeps, limits: ScanLimits, version: string): Promise<{ inventory: Inventory; stats: ScanStats }> {
  const source = { owner, repo, headSha: sha };
  const repoConfig = await loadRepoConfig(github, owner, repo, sha);
  const { config } = applyOrgConfig(repoConfig, await loadOrgConfigText(github, owner, repo), owner);
  const options: AnalyzeOptions = { rules: config.rules, allowSuppressions: config.allow_suppressions, paths: config.paths };
  const settings = createHash("sha256").update(JSON.stringify([version, options])).digest("hex").slice(0, 16);
  const notes: string[] = [];
  const notRead: SkippedFile[] = [];

  const tree = await readTree(github, owner, repo, sha);
  if (tree.truncated) notes.push(`GitHub listed only part of the repository's tree (over 100,000 entries or 7 MB): ${tree.entries.length} entries were listed, and files beyond them were not read`);
  const candidates = selectCandidates(tree.entries, config, limits, notRead, notes);
  if (tree.entries.length === 0) notes.push("the default branch's tree is empty");
  else if (candidates.length === 0) notes.push("no file of the repository is one the engine reads (sources, MCP client configs, manifests)");

  // The import specifiers of every candidate: cached by blob SHA; a new blob is read.
  const texts = new Map<string, string>();
  const specifiers = new Map<string, string[]>();
  const missing: TreeEntry[] = [];
  await Promise.all(
    candidates.map(async (entry) => {
      if (!isSource(entry.path)) return specifiers.set(entry.path, []);
      const cached = await deps.cache.get<string[]>(`imports:${entry.sha}:${posix.extname(entry.path)}`);
      if (cached !== undefined) specifiers.set(entry.path, cached);
      else missing.push(entry);
    }),
  );
  const limitsOf: Limits = { source: config.max_file_size_kb * 1024, dependency: config.max_dependency_file_mb * 1024 * 1024 };
  await readInto(github, source, missing, limitsOf, texts, notRead);
  for (const entry of missing) {
    const text = texts.get(entry.path);
    const found = text === undefined ? [] : importSpecifiers(entry.path, text);
    specifiers.set(entry.path, found);
    if (text !== undefined) await deps.cache.set(`imports:${entry.sha}:${posix.extname(entry.path)}`, found);
  }

  const unread = new Set(notRead.map((s) => s.path));
  const present = candidates.filter((c) => !unread.has(c.path));
  const index = new PathIndex(present.map((c) => c.path));
  const links = new Map(present.map((c) => [c.path, (specifiers.get(c.path) ?? []).flatMap((s) => index.resolve(c.path, s))]));
  const units = planUnits(present, links, settings, limits);
  const parted = units.filter((u) => u.part).length;
  if (parted > 0) notes.push(`${parted} part${parted === 1 ? "" : "s"} of import-joined code larger than ${limits.unitFiles} files were analyzed one at a time: data flow across their boundaries is not followed`);

  // Units whose files are all as an earlier scan saw them are reused whole.
  const facts: FileFacts[] = [];
  const dirty: Unit[] = [];
  await Promise.all(
    units.map(async (unit) => {
      const cached = await deps.cache.get<FileFacts[]>(`unit:${unit.key}`);
      if (cached !== undefined) facts.push(...cached);
      else dirty.push(unit);
    }),
  );
  const byPath = new Map(present.map((c) => [c.path, c]));
  const needed = [...new Set(dirty.flatMap((u) => [...u.checked, ...u.context]))].filter((p) => !texts.has(p)).map((p) => byPath.get(p)!);
  const readBefore = texts.size;
  await readInto(github, source, needed, limitsOf, texts, notRead);
  const filesRead = readBefore + (texts.size - readBefore);

  const contextPaths = new Set(dirty.flatMap((u) => u.context));
  for (const batch of batches(dirty.sort((a, b) => (a.checked[0]! < b.checked[0]! ? -1 : 1)), byPath, limits)) {
    const files: SourceInput[] = [];
    const seen = new Set<string>();
    for (const unit of batch) {
      for (const path of [...unit.checked, ...unit.context]) {
        const content = texts.get(path);
        if (content === undefined || seen.has(path)) continue;
        seen.add(path);
        files.push({ path, content });
      }
    }
    const only = batch.flatMap((u) => u.checked).filter((p) => texts.has(p));
    const result = only.length > 0 ? await deps.analyze({ files, only, options }) : [];
    const byFile = new Map(result.map((f) => [f.path, f]));
    for (const unit of batch) {
      const unitFacts = unit.checked.map((p) => byFile.get(p)).filter((f): f is FileFacts => !!f);
      facts.push(...unitFacts);
      // A unit with a file that could not be read is not kept: the next scan tries again.
      if (unit.checked.every((p) => texts.has(p)) && unit.context.every((p) => texts.has(p) || unread.has(p))) await deps.cache.set(`unit:${unit.key}`, unitFacts);
    }
    // Keep at most one batch of text in memory; the context files (configs, manifests) serve every batch.
    for (const path of only) if (!contextPaths.has(path)) texts.delete(path);
  }

  const inventory = assembleInventory(facts, { filesRead: present.length, notRead, notes }, (path) => links.get(path) ?? []);
  return { inventory, stats: { filesListed: tree.entries.length, filesRead, filesReused: present.length - dirty.reduce((n, u) => n + u.checked.length, 0), linesAnalyzed: inventory.coverage.linesAnalyzed } };
}

function isSource(path: string): boolean {
  const language = languageOf(path);
  return language === "typescript" || language === "javascript" || language === "python";
}

async function readTree(github: GitHub, owner: string, repo: string, sha: string): Promise<{ entries: TreeEntry[]; truncated: boolean }> {
  try {
    const { data } = await github.rest.git.getTree({ owner, repo, tree_sha: sha, recursive: "1" });
    const entries = data.tree
      .filter((e) => e.type === "blob" && typeof e.path === "string" && typeof e.sha === "string")
      .map((e) => ({ path: e.path!, mode: e.mode ?? "100644", sha: e.sha!, size: e.size ?? 0 }));
    return { entries, truncated: Boolean(data.truncated) };
  } catch (error) {
    // An empty repository has a commit whose tree GitHub may not list.
    if (statusOf(error) === 409) return { entries: [], truncated: false };
    throw toReviewError(`listing the tree of ${owner}/${repo}@${sha.slice(0, 7)}`, error);
  }
}

/**
 * The files the engine reads, as a pull request's review picks them: analyzable, not ignored by
 * the repository's config, not symbolic links, within the size limits; at most `maxFiles` of them
 * and `maxBytes` in all: MCP configs, manifests, sources whose path names MCP, a server or tools,
 * other sources, then tests and examples.
 */
function selectCandidates(entries: readonly TreeEntry[], config: RepoConfig, limits: ScanLimits, notRead: SkippedFile[], notes: string[]): TreeEntry[] {
  const isIgnored = ignoreMatcher(config);
  const out: TreeEntry[] = [];
  let ignored = 0;
  const wanted = entries.filter((e) => isAnalyzable(e.path));
  // What says most about MCP first: configs and manifests are few and small.
  wanted.sort((a, b) => rank(a.path) - rank(b.path) || (a.path < b.path ? -1 : 1));
  let bytes = 0;
  let overLimit = 0;
  for (const e of wanted) {
    if (isIgnored(e.path)) {
      ignored++;
      continue;
    }
    if (e.mode === "120000") {
      notRead.push({ path: e.path, reason: "symlink" });
      continue;
    }
    if (e.mode === "160000") continue;
    const limit = isDependencyFile(e.path) ? config.max_dependency_file_mb * 1024 * 1024 : config.max_file_size_kb * 1024;
    if (e.size > limit) {
      notRead.push({ path: e.path, reason: "too-large", detail: `${Math.ceil(e.size / 1024)} KB is over ${isDependencyFile(e.path) ? `max_dependency_file_mb (${config.max_dependency_file_mb})` : `max_file_size_kb (${config.max_file_size_kb})`}` });
      continue;
    }
    if (out.length >= limits.maxFiles || bytes + e.size > limits.maxBytes) {
      overLimit++;
      if (overLimit <= 100) notRead.push({ path: e.path, reason: "limit", detail: `over the scan's limit of ${limits.maxFiles} files or ${Math.round(limits.maxBytes / 1024 / 1024)} MB` });
      continue;
    }
    bytes += e.size;
    out.push(e);
  }
  if (ignored > 0) notes.push(`${ignored} file${ignored === 1 ? " is" : "s are"} ignored by the repository's \`ignore\` setting`);
  if (overLimit > 0) notes.push(`the repository is large: ${overLimit} readable file${overLimit === 1 ? " was" : "s were"} not read, over the scan's limit of ${limits.maxFiles} files or ${Math.round(limits.maxBytes / 1024 / 1024)} MB${overLimit > 100 ? " (the first 100 are listed)" : ""}`);
  return out;
}

function rank(path: string): number {
  const language = languageOf(path);
  if (language === "mcp-config") return 0;
  if (language === "manifest" || isProjectConfig(path)) return 1;
  if (/(?:^|\/)(?:test|tests|__tests__|examples?|fixtures?|vendor|third_party|node_modules)\//.test(path)) return 4;
  // Within the limit of a large repository, the paths that name MCP, servers or tools go first.
  return /mcp|server|tool/i.test(path) ? 2 : 3;
}

async function readInto(github: GitHub, source: { owner: string; repo: string; headSha: string }, entries: readonly TreeEntry[], limits: Limits, texts: Map<string, string>, notRead: SkippedFile[]): Promise<void> {
  if (entries.length === 0) return;
  const fetched = await fetchTexts(github, source, entries.map((e) => e.path), limits);
  for (const [path, result] of fetched) {
    if ("text" in result) texts.set(path, result.text);
    else notRead.push({ path, ...result.skip });
  }
}

/**
 * Units: the connected components of the import graph, each with the tsconfig files and the
 * manifests of its folders as context (aliases and the declared SDK version change what rules
 * find). A unit's key covers the SHAs of all of them and the settings: it changes exactly when its
 * analysis could.
 */
function planUnits(present: readonly TreeEntry[], links: ReadonlyMap<string, string[]>, settings: string, limits: ScanLimits): Unit[] {
  const sha = new Map(present.map((p) => [p.path, p.sha]));
  const size = new Map(present.map((p) => [p.path, p.size]));
  const projectConfigs = present.filter((p) => isProjectConfig(p.path)).map((p) => p.path);
  const manifests = present.filter((p) => languageOf(p.path) === "manifest").map((p) => p.path);
  const groups = components(present.map((p) => p.path).filter((p) => !isProjectConfig(p)), (p) => links.get(p) ?? []).flatMap((group) => {
    const parts = splitAlongFolders(group, (p) => size.get(p) ?? 0, limits.unitFiles, limits.unitBytes, 0);
    return parts.length === 1 ? [{ paths: group, part: false }] : parts.map((paths) => ({ paths, part: true }));
  });
  return groups.map(({ paths: checked, part }) => {
    const dirs = new Set(checked.map((p) => posix.dirname(p)));
    const above = (file: string) => {
      const dir = posix.dirname(file);
      return dir === "." || [...dirs].some((d) => d === dir || d.startsWith(`${dir}/`));
    };
    const sources = checked.filter(isSource);
    const context = sources.length === 0 ? [] : [...projectConfigs.filter(above), ...(sources.some((p) => p.endsWith(".py")) ? manifests.filter((m) => above(m) && !checked.includes(m)) : [])].sort();
    const key = createHash("sha256")
      .update(JSON.stringify([settings, checked.map((p) => [p, sha.get(p)]), context.map((p) => [p, sha.get(p)])]))
      .digest("hex");
    return { checked, context, key, ...(part ? { part: true as const } : {}) };
  });
}

/**
 * A group of files over `maxFiles` files or `maxBytes` bytes in parts of at most `maxFiles` files,
 * split by folder (deeper and deeper), neighbouring small folders packed together, a folder too
 * large for one part cut in runs of its sorted paths. Parts follow folders and file counts, not
 * sizes, so an edit leaves them as they were and re-analyzes only its own part.
 */
function splitAlongFolders(paths: readonly string[], sizeOf: (path: string) => number, maxFiles: number, maxBytes: number, depth: number): string[][] {
  const bytes = (list: readonly string[]) => list.reduce((n, p) => n + sizeOf(p), 0);
  if (paths.length <= maxFiles && bytes(paths) <= maxBytes) return [[...paths]];
  const byFolder = new Map<string, string[]>();
  for (const path of paths) {
    const parts = path.split("/");
    const folder = parts.length - 1 > depth ? parts[depth]! : "";
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), path]);
  }
  if (byFolder.size === 1 && !byFolder.has("")) return splitAlongFolders(paths, sizeOf, maxFiles, maxBytes, depth + 1);
  const pieces: string[][] = [];
  for (const [folder, list] of [...byFolder].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (folder === "" || byFolder.size === 1) {
      // Files side by side in one folder: runs of the sorted paths.
      const sorted = [...list].sort();
      let run: string[] = [];
      for (const path of sorted) {
        if (run.length >= maxFiles) pieces.push(run), (run = []);
        run.push(path);
      }
      if (run.length > 0) pieces.push(run);
    } else pieces.push(...splitAlongFolders(list, sizeOf, maxFiles, maxBytes, depth + 1));
  }
  const packed: string[][] = [];
  for (const piece of pieces) {
    const last = packed.at(-1);
    if (last && last.length + piece.length <= maxFiles) last.push(...piece);
    else packed.push([...piece]);
  }
  return packed.map((p) => p.sort());
}

/** Units packed into batches of at most `batchFiles` files and `batchBytes` bytes (a larger unit goes alone). */
function batches(units: readonly Unit[], byPath: ReadonlyMap<string, TreeEntry>, limits: ScanLimits): Unit[][] {
  const out: Unit[][] = [];
  let current: Unit[] = [];
  let files = 0;
  let bytes = 0;
  for (const unit of units) {
    const size = [...unit.checked, ...unit.context].reduce((n, p) => n + (byPath.get(p)?.size ?? 0), 0);
    const count = unit.checked.length + unit.context.length;
    if (current.length > 0 && (files + count > limits.batchFiles || bytes + size > limits.batchBytes)) {
      out.push(current);
      current = [];
      files = 0;
      bytes = 0;
    }
    current.push(unit);
    files += count;
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}
