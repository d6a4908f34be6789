import type { Inventory, InventoryTool } from "../engine/inventory/types.js";
import { SEVERITIES, type Severity } from "../engine/types.js";
import { migrate } from "./migrations.js";
import { databaseLocation, inList, openDatabase, type SqlDb, type SqlValue } from "./sql.js";

/** What started a scan of a repository's default branch. */
export type ScanTrigger = "installation" | "added" | "unsuspended" | "push" | "daily" | "engine" | "renamed" | "default-branch" | "unarchived" | "manual";

export interface InstallationRecord {
  id: number;
  accountLogin: string;
  accountType?: string;
}

export interface RepositoryRecord {
  id: number;
  installationId: number;
  fullName: string;
  private: boolean;
  defaultBranch: string | null;
  archived: boolean;
  headSha: string | null;
  headEtag: string | null;
  lastScanId: number | null;
  lastScannedCommit: string | null;
  lastEngineVersion: string | null;
}

export type RepositoryInput = Pick<RepositoryRecord, "id" | "fullName" | "private"> & Partial<Pick<RepositoryRecord, "defaultBranch" | "archived">>;

export interface ScanRecord {
  id: number;
  repositoryId: number;
  commit: string | null;
  trigger: ScanTrigger;
  status: "running" | "completed" | "failed" | "discarded";
  engineVersion: string;
  coverage: Inventory["coverage"] | null;
  stats: ScanStats | null;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

/** What a scan cost: requests, files read and reused, lines analyzed. */
export interface ScanStats {
  filesListed?: number;
  filesRead?: number;
  filesReused?: number;
  linesAnalyzed?: number;
  requests?: number;
  durationMs?: number;
}

/** The result of saving a scan: what changed in the repository's record. */
export interface SavedScan {
  saved: boolean;
  newFindings: number;
  fixedFindings: number;
  toolChanges: number;
}

/**
 * Which repositories a query may see: the numeric ids a caller (the hub, for one user) may read.
 * Every read of repository data takes one, so that a page can never filter after the fact.
 */
export interface Readable {
  repositoryIds: readonly number[];
}

export interface FindingRow {
  repositoryId: number;
  fingerprint: string;
  ruleId: string;
  severity: Severity;
  title: string;
  path: string;
  line: number;
  message: string;
  remediation: string | null;
  firstSeenCommit: string | null;
  firstSeenAt: string;
  fixedAt: string | null;
  fixedCommit: string | null;
}

export interface ToolChange {
  repositoryId: number;
  kind: string;
  name: string;
  change: "added" | "changed" | "removed";
  commit: string | null;
  changedAt: string;
  oldHash: string | null;
  newHash: string | null;
  oldDescription: string | null;
  newDescription: string | null;
}

export interface RepositoryInventory {
  servers: Record<string, unknown>[];
  tools: Record<string, unknown>[];
  configs: Record<string, unknown>[];
  configuredServers: Record<string, unknown>[];
  dependencies: Record<string, unknown>[];
}

/**
 * The organization inventory: installations, repositories, scans and what the latest completed
 * scan of each default branch found, with the history that matters (when findings appeared and
 * were fixed, daily counts, tool-definition changes). One interface over SQLite and PostgreSQL.
 */
export interface InventoryStore {
  readonly dialect: SqlDb["dialect"];
  upsertInstallation(installation: InstallationRecord): Promise<void>;
  setInstallationSuspended(id: number, suspended: boolean): Promise<void>;
  /** Whether the installation is suspended (GitHub gives it no token): its repositories are not scanned until it is unsuspended. */
  isInstallationSuspended(id: number): Promise<boolean>;
  /** Removes the installation and all data of its repositories; returns their ids. */
  deleteInstallation(id: number): Promise<number[]>;
  upsertRepositories(installationId: number, repositories: readonly RepositoryInput[]): Promise<void>;
  updateRepository(id: number, patch: Partial<Pick<RepositoryRecord, "fullName" | "defaultBranch" | "archived" | "private">>): Promise<void>;
  /** Removes repositories and everything known about them. */
  removeRepositories(ids: readonly number[]): Promise<void>;
  getRepository(id: number): Promise<RepositoryRecord | undefined>;
  /** Repositories of an installation (for the daily pass), or every repository with no argument. */
  repositoriesOf(installationId?: number): Promise<RepositoryRecord[]>;
  /** The head last seen for the default branch, and the ETag of that answer, for conditional requests. */
  recordHead(id: number, head: { sha: string; etag?: string | null }): Promise<void>;
  startScan(repositoryId: number, scan: { commit: string | null; trigger: ScanTrigger; engineVersion: string }): Promise<number>;
  /** Saves a completed scan's inventory as the repository's current state; nothing when the repository was removed meanwhile. */
  completeScan(scanId: number, inventory: Inventory, details: { commit: string | null; at: Date; stats?: ScanStats }): Promise<SavedScan>;
  failScan(scanId: number, error: string, at: Date, coverage?: Inventory["coverage"]): Promise<void>;
  latestScan(repositoryId: number): Promise<ScanRecord | undefined>;
  // Reads, limited to what the caller may read.
  repositories(readable: Readable): Promise<RepositoryRecord[]>;
  inventoryOf(readable: Readable, repositoryId: number): Promise<RepositoryInventory | undefined>;
  openFindings(readable: Readable): Promise<FindingRow[]>;
  findings(readable: Readable, repositoryId: number): Promise<FindingRow[]>;
  dailyCounts(readable: Readable, sinceDay: string): Promise<{ repositoryId: number; day: string; severity: Severity; openCount: number }[]>;
  toolHistory(readable: Readable, repositoryId?: number): Promise<ToolChange[]>;
  close(): Promise<void>;
}

/** Opens the store DATABASE_URL (or the SQLite file) names and brings its schema up to date. */
export async function openInventoryStore(env: NodeJS.ProcessEnv = process.env): Promise<InventoryStore> {
  const db = await openDatabase(env);
  await migrate(db);
  return new SqlInventoryStore(db);
}

interface RepositoryRow {
  id: number;
  installation_id: number;
  full_name: string;
  private: number;
  default_branch: string | null;
  archived: number;
  head_sha: string | null;
  head_etag: string | null;
  last_scan_id: number | null;
  last_scanned_commit: string | null;
  last_engine_version: string | null;
}

const REPOSITORY_COLUMNS = "id, installation_id, full_name, private, default_branch, archived, head_sha, head_etag, last_scan_id, last_scanned_commit, last_engine_version";

function repositoryOf(row: RepositoryRow): RepositoryRecord {
  return {
    id: Number(row.id),
    installationId: Number(row.installation_id),
    fullName: row.full_name,
    private: Number(row.private) === 1,
    defaultBranch: row.default_branch,
    archived: Number(row.archived) === 1,
    headSha: row.head_sha,
    headEtag: row.head_etag,
    lastScanId: row.last_scan_id === null ? null : Number(row.last_scan_id),
    lastScannedCommit: row.last_scanned_commit,
    lastEngineVersion: row.last_engine_version,
  };
}

/** Tables whose rows are the latest scan's view of a repository, replaced at each completed scan. */
const CURRENT_TABLES = ["configured_servers", "configs", "tools", "servers", "dependencies"] as const;
/** Tables removed with a repository, children first. */
const REPOSITORY_TABLES = [...CURRENT_TABLES, "findings", "daily_counts", "tool_history", "scans"] as const;

export class SqlInventoryStore implements InventoryStore {
  constructor(readonly db: SqlDb) {}

  get dialect(): SqlDb["dialect"] {
    return this.db.dialect;
  }

  async upsertInstallation(installation: InstallationRecord): Promise<void> {
    const now = new Date().toISOString();
    await this.db.run(
      `INSERT INTO installations (id, account_login, account_type, suspended, created_at, updated_at) VALUES (?, ?, ?, 0, ?, ?)
       ON CONFLICT (id) DO UPDATE SET account_login = excluded.account_login, account_type = excluded.account_type, updated_at = excluded.updated_at`,
      [installation.id, installation.accountLogin, installation.accountType ?? null, now, now],
    );
  }

  async setInstallationSuspended(id: number, suspended: boolean): Promise<void> {
    await this.db.run("UPDATE installations SET suspended = ?, updated_at = ? WHERE id = ?", [suspended ? 1 : 0, new Date().toISOString(), id]);
  }

  async isInstallationSuspended(id: number): Promise<boolean> {
    const row = await this.db.get<{ suspended: number | string }>("SELECT suspended FROM installations WHERE id = ?", [id]);
    return row !== undefined && Number(row.suspended) === 1;
  }

  async deleteInstallation(id: number): Promise<number[]> {
    return this.db.transaction(async (tx) => {
      const ids = (await tx.all<{ id: number }>("SELECT id FROM repositories WHERE installation_id = ?", [id])).map((r) => Number(r.id));
      await removeAll(tx, ids);
      await tx.run("DELETE FROM installations WHERE id = ?", [id]);
      return ids;
    });
  }

  async upsertRepositories(installationId: number, repositories: readonly RepositoryInput[]): Promise<void> {
    if (repositories.length === 0) return;
    const now = new Date().toISOString();
    await this.db.transaction(async (tx) => {
      for (const repo of repositories) {
        await tx.run(
          `INSERT INTO repositories (id, installation_id, full_name, private, default_branch, archived, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET installation_id = excluded.installation_id, full_name = excluded.full_name, private = excluded.private,
             default_branch = COALESCE(excluded.default_branch, repositories.default_branch), archived = excluded.archived, updated_at = excluded.updated_at`,
          [repo.id, installationId, repo.fullName, repo.private ? 1 : 0, repo.defaultBranch ?? null, repo.archived ? 1 : 0, now, now],
        );
      }
    });
  }

  async updateRepository(id: number, patch: Partial<Pick<RepositoryRecord, "fullName" | "defaultBranch" | "archived" | "private">>): Promise<void> {
    const sets: string[] = [];
    const params: SqlValue[] = [];
    if (patch.fullName !== undefined) sets.push("full_name = ?"), params.push(patch.fullName);
    if (patch.defaultBranch !== undefined) sets.push("default_branch = ?"), params.push(patch.defaultBranch);
    if (patch.archived !== undefined) sets.push("archived = ?"), params.push(patch.archived ? 1 : 0);
    if (patch.private !== undefined) sets.push("private = ?"), params.push(patch.private ? 1 : 0);
    if (sets.length === 0) return;
    await this.db.run(`UPDATE repositories SET ${sets.join(", ")}, updated_at = ? WHERE id = ?`, [...params, new Date().toISOString(), id]);
  }

  async removeRepositories(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.transaction((tx) => removeAll(tx, ids));
  }

  async getRepository(id: number): Promise<RepositoryRecord | undefined> {
    const row = await this.db.get<RepositoryRow>(`SELECT ${REPOSITORY_COLUMNS} FROM repositories WHERE id = ?`, [id]);
    return row ? repositoryOf(row) : undefined;
  }

  async repositoriesOf(installationId?: number): Promise<RepositoryRecord[]> {
    const rows =
      installationId === undefined
        ? await this.db.all<RepositoryRow>(`SELECT ${REPOSITORY_COLUMNS} FROM repositories ORDER BY id`)
        : await this.db.all<RepositoryRow>(`SELECT ${REPOSITORY_COLUMNS} FROM repositories WHERE installation_id = ? ORDER BY id`, [installationId]);
    return rows.map(repositoryOf);
  }

  async recordHead(id: number, head: { sha: string; etag?: string | null }): Promise<void> {
    await this.db.run("UPDATE repositories SET head_sha = ?, head_etag = ?, head_checked_at = ? WHERE id = ?", [head.sha, head.etag ?? null, new Date().toISOString(), id]);
  }

  async startScan(repositoryId: number, scan: { commit: string | null; trigger: ScanTrigger; engineVersion: string }): Promise<number> {
    const row = await this.db.get<{ id: number }>(
      "INSERT INTO scans (repository_id, commit_sha, trigger, status, engine_version, started_at) VALUES (?, ?, ?, 'running', ?, ?) RETURNING id",
      [repositoryId, scan.commit, scan.trigger, scan.engineVersion, new Date().toISOString()],
    );
    return Number(row!.id);
  }

  async completeScan(scanId: number, inventory: Inventory, details: { commit: string | null; at: Date; stats?: ScanStats }): Promise<SavedScan> {
    const at = details.at.toISOString();
    return this.db.transaction(async (tx) => {
      const scan = await tx.get<{ repository_id: number; engine_version: string }>("SELECT repository_id, engine_version FROM scans WHERE id = ?", [scanId]);
      if (!scan) return { saved: false, newFindings: 0, fixedFindings: 0, toolChanges: 0 };
      const repositoryId = Number(scan.repository_id);
      const repo = await tx.get<{ id: number; archived: number; last_scan_id: number | null }>("SELECT id, archived, last_scan_id FROM repositories WHERE id = ?", [repositoryId]);
      if (!repo) return { saved: false, newFindings: 0, fixedFindings: 0, toolChanges: 0 };
      // A newer scan already saved (a slower worker finishing late) wins.
      if (repo.last_scan_id !== null && Number(repo.last_scan_id) > scanId) {
        await tx.run("UPDATE scans SET status = 'discarded', finished_at = ? WHERE id = ?", [at, scanId]);
        return { saved: false, newFindings: 0, fixedFindings: 0, toolChanges: 0 };
      }
      const hadScan = repo.last_scan_id !== null;
      const toolChanges = await recordToolChanges(tx, repositoryId, inventory, details.commit, at, hadScan);
      await replaceCurrent(tx, repositoryId, scanId, inventory);
      const { added, fixed } = await mergeFindings(tx, repositoryId, inventory, details.commit, at);
      await recordDailyCounts(tx, repositoryId, at.slice(0, 10));
      await tx.run("UPDATE scans SET status = 'completed', commit_sha = ?, coverage = ?, stats = ?, finished_at = ? WHERE id = ?", [details.commit, JSON.stringify(inventory.coverage), JSON.stringify(details.stats ?? {}), at, scanId]);
      await tx.run("UPDATE repositories SET last_scan_id = ?, last_scanned_commit = ?, last_engine_version = ?, updated_at = ? WHERE id = ?", [scanId, details.commit, scan.engine_version, at, repositoryId]);
      return { saved: true, newFindings: added, fixedFindings: fixed, toolChanges };
    });
  }

  async failScan(scanId: number, error: string, at: Date, coverage?: Inventory["coverage"]): Promise<void> {
    await this.db.run("UPDATE scans SET status = 'failed', error = ?, coverage = ?, finished_at = ? WHERE id = ?", [error.slice(0, 2000), coverage ? JSON.stringify(coverage) : null, at.toISOString(), scanId]);
  }

  async latestScan(repositoryId: number): Promise<ScanRecord | undefined> {
    const row = await this.db.get<Record<string, unknown>>("SELECT * FROM scans WHERE repository_id = ? ORDER BY id DESC LIMIT 1", [repositoryId]);
    if (!row) return undefined;
    return {
      id: Number(row.id),
      repositoryId: Number(row.repository_id),
      commit: (row.commit_sha as string | null) ?? null,
      trigger: row.trigger as ScanTrigger,
      status: row.status as ScanRecord["status"],
      engineVersion: row.engine_version as string,
      coverage: row.coverage ? JSON.parse(row.coverage as string) : null,
      stats: row.stats ? JSON.parse(row.stats as string) : null,
      error: (row.error as string | null) ?? null,
      startedAt: row.started_at as string,
      finishedAt: (row.finished_at as string | null) ?? null,
    };
  }

  async repositories(readable: Readable): Promise<RepositoryRecord[]> {
    const ids = inList(readable.repositoryIds);
    return (await this.db.all<RepositoryRow>(`SELECT ${REPOSITORY_COLUMNS} FROM repositories WHERE id IN ${ids.sql} ORDER BY full_name`, ids.params)).map(repositoryOf);
  }

  async inventoryOf(readable: Readable, repositoryId: number): Promise<RepositoryInventory | undefined> {
    if (!readable.repositoryIds.includes(repositoryId)) return undefined;
    const q = (table: string, order: string) => this.db.all<Record<string, unknown>>(`SELECT * FROM ${table} WHERE repository_id = ? ORDER BY ${order}`, [repositoryId]);
    const [servers, tools, configs, configuredServers, dependencies] = await Promise.all([
      q("servers", "path, line"),
      q("tools", "path, line, name"),
      q("configs", "path"),
      q("configured_servers", "config_id, line"),
      q("dependencies", "path, line, name"),
    ]);
    return { servers, tools, configs, configuredServers, dependencies };
  }

  async openFindings(readable: Readable): Promise<FindingRow[]> {
    const ids = inList(readable.repositoryIds);
    return (await this.db.all<Record<string, unknown>>(`SELECT * FROM findings WHERE repository_id IN ${ids.sql} AND fixed_at IS NULL ORDER BY repository_id, path, line, rule_id`, ids.params)).map(findingOf);
  }

  async findings(readable: Readable, repositoryId: number): Promise<FindingRow[]> {
    if (!readable.repositoryIds.includes(repositoryId)) return [];
    return (await this.db.all<Record<string, unknown>>("SELECT * FROM findings WHERE repository_id = ? ORDER BY path, line, rule_id", [repositoryId])).map(findingOf);
  }

  async dailyCounts(readable: Readable, sinceDay: string): Promise<{ repositoryId: number; day: string; severity: Severity; openCount: number }[]> {
    const ids = inList(readable.repositoryIds);
    const rows = await this.db.all<{ repository_id: number; day: string; severity: Severity; open_count: number }>(
      `SELECT repository_id, day, severity, open_count FROM daily_counts WHERE repository_id IN ${ids.sql} AND day >= ? ORDER BY day, repository_id, severity`,
      [...ids.params, sinceDay],
    );
    return rows.map((r) => ({ repositoryId: Number(r.repository_id), day: r.day, severity: r.severity, openCount: Number(r.open_count) }));
  }

  async toolHistory(readable: Readable, repositoryId?: number): Promise<ToolChange[]> {
    const allowed = repositoryId === undefined ? readable.repositoryIds : readable.repositoryIds.filter((id) => id === repositoryId);
    const ids = inList(allowed);
    const rows = await this.db.all<Record<string, unknown>>(`SELECT * FROM tool_history WHERE repository_id IN ${ids.sql} ORDER BY changed_at DESC, id DESC`, ids.params);
    return rows.map((r) => ({
      repositoryId: Number(r.repository_id),
      kind: r.kind as string,
      name: r.name as string,
      change: r.change as ToolChange["change"],
      commit: (r.commit_sha as string | null) ?? null,
      changedAt: r.changed_at as string,
      oldHash: (r.old_hash as string | null) ?? null,
      newHash: (r.new_hash as string | null) ?? null,
      oldDescription: (r.old_description as string | null) ?? null,
      newDescription: (r.new_description as string | null) ?? null,
    }));
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

async function removeAll(tx: SqlDb, ids: readonly number[]): Promise<void> {
  for (let start = 0; start < ids.length; start += 500) {
    const chunk = inList(ids.slice(start, start + 500));
    for (const table of REPOSITORY_TABLES) await tx.run(`DELETE FROM ${table} WHERE repository_id IN ${chunk.sql}`, chunk.params);
    await tx.run(`DELETE FROM repositories WHERE id IN ${chunk.sql}`, chunk.params);
  }
}

function findingOf(r: Record<string, unknown>): FindingRow {
  return {
    repositoryId: Number(r.repository_id),
    fingerprint: r.fingerprint as string,
    ruleId: r.rule_id as string,
    severity: r.severity as Severity,
    title: r.title as string,
    path: r.path as string,
    line: Number(r.line),
    message: r.message as string,
    remediation: (r.remediation as string | null) ?? null,
    firstSeenCommit: (r.first_seen_commit as string | null) ?? null,
    firstSeenAt: r.first_seen_at as string,
    fixedAt: (r.fixed_at as string | null) ?? null,
    fixedCommit: (r.fixed_commit as string | null) ?? null,
  };
}

/** The worst exposure of a server's listen addresses, for filtering: all > specific > unknown > loopback. */
function exposureOf(server: Inventory["servers"][number]): string | null {
  if (!server.http) return null;
  const order = ["all", "specific", "unknown", "loopback"];
  const seen = server.http.listen.map((l) => l.exposure);
  return order.find((e) => seen.includes(e as never)) ?? "unknown";
}

async function replaceCurrent(tx: SqlDb, repositoryId: number, scanId: number, inventory: Inventory): Promise<void> {
  for (const table of CURRENT_TABLES) await tx.run(`DELETE FROM ${table} WHERE repository_id = ?`, [repositoryId]);
  for (const s of inventory.servers) {
    await tx.run(
      `INSERT INTO servers (repository_id, scan_id, server_key, name, version, language, sdk, path, line, transports, exposure, auth, host_validation, cors, listen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        repositoryId, scanId, s.id, s.name ?? null, s.version ?? null, s.language, s.sdk, s.path, s.line, s.transports.join(","), exposureOf(s),
        s.http ? (s.http.auth === "unknown" ? "unknown" : s.http.auth ? "yes" : "no") : null,
        s.http ? (s.http.hostValidation ? 1 : 0) : null, s.http?.cors ?? null, s.http ? JSON.stringify(s.http) : null,
      ],
    );
  }
  for (const t of inventory.tools) {
    await tx.run(
      `INSERT INTO tools (repository_id, scan_id, server_key, kind, name, uri, description, input_schema, path, line, language, definition_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [repositoryId, scanId, t.server ?? null, t.kind, t.name, t.uri ?? null, t.description ?? null, t.inputSchema ? JSON.stringify(t.inputSchema) : null, t.path, t.line, t.language, t.definitionHash],
    );
  }
  for (const c of inventory.configs) {
    const row = await tx.get<{ id: number }>("INSERT INTO configs (repository_id, scan_id, path, client, parse_error) VALUES (?, ?, ?, ?, ?) RETURNING id", [repositoryId, scanId, c.path, c.client, c.parseError ?? null]);
    for (const s of c.servers) {
      await tx.run(
        `INSERT INTO configured_servers (repository_id, config_id, name, line, transport, command, args, url, package_ecosystem, package_name, package_version, pinned) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [repositoryId, Number(row!.id), s.name, s.line, s.transport, s.command ?? null, s.args ? JSON.stringify(s.args) : null, s.url ?? null, s.package?.ecosystem ?? null, s.package?.name ?? null, s.package?.version ?? null, s.pinned === undefined ? null : s.pinned ? 1 : 0],
      );
    }
  }
  for (const d of inventory.dependencies) {
    await tx.run(
      `INSERT INTO dependencies (repository_id, scan_id, path, line, ecosystem, name, spec, exact, locked, advisories, advisory_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [repositoryId, scanId, d.path, d.line, d.ecosystem, d.name, d.spec, d.exact ? 1 : 0, d.locked ? 1 : 0, JSON.stringify(d.advisories), d.advisories.length],
    );
  }
}

/**
 * Findings are kept by fingerprint: a new one is first seen at this commit; one seen before stays
 * open (reopened if it had been fixed); an open one this scan no longer finds is fixed at this
 * commit, unless its file was not read this time (too large, a truncated tree), which says nothing.
 */
async function mergeFindings(tx: SqlDb, repositoryId: number, inventory: Inventory, commit: string | null, at: string): Promise<{ added: number; fixed: number }> {
  const existing = new Map(
    (await tx.all<{ fingerprint: string; fixed_at: string | null }>("SELECT fingerprint, fixed_at FROM findings WHERE repository_id = ?", [repositoryId])).map((r) => [r.fingerprint, r.fixed_at]),
  );
  let added = 0;
  const current = new Set<string>();
  for (const f of inventory.findings) {
    if (current.has(f.fingerprint)) continue;
    current.add(f.fingerprint);
    const known = existing.has(f.fingerprint);
    if (!known) added++;
    await tx.run(
      `INSERT INTO findings (repository_id, fingerprint, rule_id, severity, title, cwe, path, line, end_line, col, message, remediation, context, first_seen_commit, first_seen_at, last_seen_commit, last_seen_at, fixed_commit, fixed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)
       ON CONFLICT (repository_id, fingerprint) DO UPDATE SET rule_id = excluded.rule_id, severity = excluded.severity, title = excluded.title, cwe = excluded.cwe, path = excluded.path,
         line = excluded.line, end_line = excluded.end_line, col = excluded.col, message = excluded.message, remediation = excluded.remediation, context = excluded.context,
         last_seen_commit = excluded.last_seen_commit, last_seen_at = excluded.last_seen_at, fixed_commit = NULL, fixed_at = NULL`,
      [repositoryId, f.fingerprint, f.ruleId, f.severity, f.title, f.cwe, f.path, f.line, f.endLine, f.column, f.message, f.remediation, f.context, commit, at, commit, at],
    );
  }
  const unread = new Set(inventory.coverage.notRead.map((s) => s.path));
  const rows = await tx.all<{ fingerprint: string; path: string }>("SELECT fingerprint, path FROM findings WHERE repository_id = ? AND fixed_at IS NULL", [repositoryId]);
  let fixed = 0;
  for (const row of rows) {
    if (current.has(row.fingerprint) || unread.has(row.path)) continue;
    await tx.run("UPDATE findings SET fixed_at = ?, fixed_commit = ? WHERE repository_id = ? AND fingerprint = ?", [at, commit, repositoryId, row.fingerprint]);
    fixed++;
  }
  return { added, fixed };
}

/** The day's open findings of the repository by severity, as of its latest scan that day. */
async function recordDailyCounts(tx: SqlDb, repositoryId: number, day: string): Promise<void> {
  const counts = new Map((await tx.all<{ severity: string; n: number }>("SELECT severity, COUNT(*) AS n FROM findings WHERE repository_id = ? AND fixed_at IS NULL GROUP BY severity", [repositoryId])).map((r) => [r.severity, Number(r.n)]));
  for (const severity of SEVERITIES) {
    await tx.run(
      `INSERT INTO daily_counts (repository_id, day, severity, open_count) VALUES (?, ?, ?, ?) ON CONFLICT (repository_id, day, severity) DO UPDATE SET open_count = excluded.open_count`,
      [repositoryId, day, severity, counts.get(severity) ?? 0],
    );
  }
}

/** A tool's identity across scans: its kind and name, on the server (by name) or in the file that holds it. */
function toolKey(t: { kind: string; name: string; server_name?: string | null; path: string }): string {
  return JSON.stringify([t.kind, t.name, t.server_name ?? t.path]);
}

/**
 * The organization's record of rug pulls: each tool whose definition hash differs from the last
 * scan's, each tool added and each removed, at this commit. The first scan of a repository is the
 * baseline and records nothing.
 */
async function recordToolChanges(tx: SqlDb, repositoryId: number, inventory: Inventory, commit: string | null, at: string, hadScan: boolean): Promise<number> {
  if (!hadScan) return 0;
  const names = new Map(inventory.servers.map((s) => [s.id, s.name ?? null]));
  const previous = await tx.all<{ kind: string; name: string; path: string; server_name: string | null; definition_hash: string; description: string | null; input_schema: string | null }>(
    `SELECT t.kind, t.name, t.path, s.name AS server_name, t.definition_hash, t.description, t.input_schema FROM tools t LEFT JOIN servers s ON s.repository_id = t.repository_id AND s.server_key = t.server_key WHERE t.repository_id = ?`,
    [repositoryId],
  );
  const before = new Map(previous.map((p) => [toolKey(p), p]));
  const after = new Map<string, InventoryTool>();
  for (const t of inventory.tools) after.set(toolKey({ kind: t.kind, name: t.name, server_name: t.server ? (names.get(t.server) ?? null) : null, path: t.path }), t);
  let changes = 0;
  const insert = (values: SqlValue[]) =>
    tx.run(
      `INSERT INTO tool_history (repository_id, kind, name, tool_key, change, commit_sha, changed_at, old_hash, new_hash, old_description, new_description, old_schema, new_schema) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      values,
    );
  for (const [key, t] of after) {
    const old = before.get(key);
    if (old && old.definition_hash === t.definitionHash) continue;
    changes++;
    await insert([repositoryId, t.kind, t.name, key, old ? "changed" : "added", commit, at, old?.definition_hash ?? null, t.definitionHash, old?.description ?? null, t.description ?? null, old?.input_schema ?? null, t.inputSchema ? JSON.stringify(t.inputSchema) : null]);
  }
  for (const [key, old] of before) {
    if (after.has(key)) continue;
    changes++;
    await insert([repositoryId, old.kind, old.name, key, "removed", commit, at, old.definition_hash, null, old.description, null, old.input_schema, null]);
  }
  return changes;
}

/**
 * A store opened on first use: the web process registers its webhooks before any database is
 * needed, and one started without credentials (Probot's registration page) opens none.
 */
export function lazyInventoryStore(open: () => Promise<InventoryStore> = () => openInventoryStore(), dialect: SqlDb["dialect"] = databaseLocation().dialect): InventoryStore {
  let opened: Promise<InventoryStore> | undefined;
  const store = () => (opened ??= open());
  return new Proxy({} as InventoryStore, {
    get(_target, name) {
      if (name === "dialect") return dialect;
      if (name === "close") return async () => (opened ? (await opened).close() : undefined);
      return async (...args: unknown[]) => {
        const target = await store();
        return (target[name as keyof InventoryStore] as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
