import { SEVERITIES, type Severity } from "../engine/types.js";
import type { Readable } from "../store/inventory-store.js";
import type { SqlDb, SqlValue } from "../store/sql.js";

/**
 * Every read the hub makes, limited first to the repositories the person may read: each query
 * takes a `Readable` and puts it in its WHERE clause, so a page never filters after the fact and a
 * repository outside it is indistinguishable from one that does not exist.
 */

export type SeverityCounts = Record<Severity, number>;

export interface RepositoryRow {
  id: number;
  installationId: number;
  fullName: string;
  private: boolean;
  archived: boolean;
  defaultBranch: string | null;
  lastScannedCommit: string | null;
  lastScanAt: string | null;
  servers: number;
  tools: number;
  configs: number;
  open: SeverityCounts;
}

export const SORTS = ["severity", "name", "findings", "servers", "tools", "scanned"] as const;
export type Sort = (typeof SORTS)[number];

/** The repositories table's view: every field is a GET parameter, so each view is a link. */
export interface TableQuery {
  /** Repositories with an open finding at this severity or above. */
  severity?: Severity;
  rule?: string;
  language?: string;
  hasServers?: boolean;
  hasConfigs?: boolean;
  sort: Sort;
  direction: "asc" | "desc";
  page: number;
}

export const PAGE_SIZE = 100;
/** A CSV export holds at most this many rows. */
export const EXPORT_LIMIT = 20_000;

export interface Posture {
  configuredServers: number;
  /** Configured servers whose package is judged (fetched from a registry): pinned or floating. */
  judgedConfiguredServers: number;
  pinnedConfiguredServers: number;
  httpServers: number;
  /** HTTP servers listening on every interface or a specific non-loopback address. */
  exposedServers: number;
  exposedWithoutAuth: number;
  /** Servers with an open command, argument or code injection finding in their file or their tools' files. */
  commandServers: number;
  openCritical: number;
  toolChanges30d: number;
}

export interface TrendPoint {
  day: string;
  counts: SeverityCounts;
}

export interface SearchHits {
  repositories: { id: number; fullName: string }[];
  servers: { repositoryId: number; fullName: string; name: string; source: "code" | "config"; path: string; line: number; detail: string | null }[];
  tools: { repositoryId: number; fullName: string; kind: string; name: string; description: string | null; path: string; line: number }[];
  packages: { repositoryId: number; fullName: string; name: string; version: string | null; source: "config" | "dependency"; path: string; line: number }[];
  rules: { ruleId: string; findings: number; repositories: number }[];
}

export interface ServerDetail {
  key: string;
  name: string | null;
  version: string | null;
  language: string;
  sdk: string;
  path: string;
  line: number;
  transports: string[];
  exposure: string | null;
  auth: string | null;
  hostValidation: boolean | null;
  cors: string | null;
  listen: { host?: string; port?: string; exposure: string; path: string; line: number }[];
}

export interface ToolDetail {
  kind: string;
  name: string;
  uri: string | null;
  description: string | null;
  inputSchema: string | null;
  path: string;
  line: number;
  language: string;
  serverKey: string | null;
  definitionHash: string;
}

export interface ConfigDetail {
  path: string;
  client: string;
  parseError: string | null;
  servers: {
    name: string;
    line: number;
    transport: string;
    command: string | null;
    args: string[];
    url: string | null;
    packageEcosystem: string | null;
    packageName: string | null;
    packageVersion: string | null;
    pinned: boolean | null;
  }[];
}

export interface DependencyDetail {
  path: string;
  line: number;
  ecosystem: string;
  name: string;
  spec: string;
  exact: boolean;
  locked: boolean;
  advisories: { id: string; cve?: string; summary: string; fixed: string; url: string }[];
}

export interface FindingDetail {
  fingerprint: string;
  ruleId: string;
  severity: Severity;
  title: string;
  cwe: string | null;
  path: string;
  line: number;
  endLine: number | null;
  column: number | null;
  message: string;
  remediation: string | null;
  context: string | null;
  commit: string | null;
  firstSeenAt: string;
}

export interface ToolChangeDetail {
  kind: string;
  name: string;
  change: "added" | "changed" | "removed";
  commit: string | null;
  changedAt: string;
  oldDescription: string | null;
  newDescription: string | null;
  oldSchema: string | null;
  newSchema: string | null;
}

export interface ScanSummary {
  status: string;
  commit: string | null;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
  notes: string[];
  notRead: number;
}

export interface RepositoryDetail {
  repository: RepositoryRow;
  latestScan: ScanSummary | null;
  servers: ServerDetail[];
  tools: ToolDetail[];
  configs: ConfigDetail[];
  dependencies: DependencyDetail[];
  findings: FindingDetail[];
  history: ToolChangeDetail[];
}

export type WhoUsesKind = "package" | "server" | "tool";

export interface WhoUsesRow {
  repositoryId: number;
  fullName: string;
  /** What uses it: a client config, a dependency manifest, server code. */
  source: string;
  path: string;
  line: number;
  detail: string | null;
  commit: string | null;
}

const COMMAND_RULES = ["command-injection", "argument-injection", "code-injection"];
const SEARCH_LIMIT = 50;

export class HubQueries {
  constructor(private readonly db: SqlDb) {}

  /** `IN (...)` over the readable ids as one parameter (a JSON array): no limit on how many. */
  #readable(readable: Readable): { sql: string; param: string } {
    const param = JSON.stringify(readable.repositoryIds.filter((id) => Number.isSafeInteger(id)));
    return this.db.dialect === "sqlite"
      ? { sql: "(SELECT value FROM json_each(?))", param }
      : { sql: "(SELECT CAST(value AS BIGINT) FROM jsonb_array_elements_text(CAST(? AS jsonb)) AS value)", param };
  }

  async totals(readable: Readable): Promise<{ repositories: number; withServers: number; withConfigs: number; scanned: number; open: SeverityCounts }> {
    const r = this.#readable(readable);
    const counts = await this.db.all<{ severity: Severity; n: number }>(`SELECT severity, COUNT(*) AS n FROM findings WHERE repository_id IN ${r.sql} AND fixed_at IS NULL GROUP BY severity`, [r.param]);
    const repos = await this.db.get<{ repositories: number; with_servers: number; with_configs: number; scanned: number }>(
      `SELECT COUNT(*) AS repositories,
        COUNT(CASE WHEN EXISTS (SELECT 1 FROM servers s WHERE s.repository_id = r.id) THEN 1 END) AS with_servers,
        COUNT(CASE WHEN EXISTS (SELECT 1 FROM configs c WHERE c.repository_id = r.id) THEN 1 END) AS with_configs,
        COUNT(r.last_scan_id) AS scanned
       FROM repositories r WHERE r.id IN ${r.sql}`,
      [r.param],
    );
    return {
      repositories: Number(repos?.repositories ?? 0),
      withServers: Number(repos?.with_servers ?? 0),
      withConfigs: Number(repos?.with_configs ?? 0),
      scanned: Number(repos?.scanned ?? 0),
      open: severityCounts(counts.map((c) => [c.severity, Number(c.n)])),
    };
  }

  async posture(readable: Readable, now: Date): Promise<Posture> {
    const r = this.#readable(readable);
    const configured = await this.db.get<{ n: number; judged: number; pinned: number }>(
      `SELECT COUNT(*) AS n, COUNT(pinned) AS judged, COUNT(CASE WHEN pinned = 1 THEN 1 END) AS pinned FROM configured_servers WHERE repository_id IN ${r.sql}`,
      [r.param],
    );
    const servers = await this.db.get<{ http: number; exposed: number; unauthenticated: number }>(
      `SELECT COUNT(exposure) AS http,
        COUNT(CASE WHEN exposure IN ('all', 'specific') THEN 1 END) AS exposed,
        COUNT(CASE WHEN exposure IN ('all', 'specific') AND auth = 'no' THEN 1 END) AS unauthenticated
       FROM servers WHERE repository_id IN ${r.sql}`,
      [r.param],
    );
    const rules = COMMAND_RULES.map(() => "?").join(", ");
    const command = await this.db.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM servers s WHERE s.repository_id IN ${r.sql} AND EXISTS (
         SELECT 1 FROM findings f WHERE f.repository_id = s.repository_id AND f.fixed_at IS NULL AND f.rule_id IN (${rules})
           AND (f.path = s.path OR f.path IN (SELECT t.path FROM tools t WHERE t.repository_id = s.repository_id AND t.server_key = s.server_key)))`,
      [r.param, ...COMMAND_RULES],
    );
    const critical = await this.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM findings WHERE repository_id IN ${r.sql} AND fixed_at IS NULL AND severity = 'critical'`, [r.param]);
    const since = new Date(now.getTime() - 30 * 24 * 3600 * 1000).toISOString();
    const changes = await this.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM tool_history WHERE repository_id IN ${r.sql} AND change = 'changed' AND changed_at >= ?`, [r.param, since]);
    return {
      configuredServers: Number(configured?.n ?? 0),
      judgedConfiguredServers: Number(configured?.judged ?? 0),
      pinnedConfiguredServers: Number(configured?.pinned ?? 0),
      httpServers: Number(servers?.http ?? 0),
      exposedServers: Number(servers?.exposed ?? 0),
      exposedWithoutAuth: Number(servers?.unauthenticated ?? 0),
      commandServers: Number(command?.n ?? 0),
      openCritical: Number(critical?.n ?? 0),
      toolChanges30d: Number(changes?.n ?? 0),
    };
  }

  /**
   * Open findings by severity for each of the last `days` days. A repository's count is recorded on
   * the days it was scanned and holds until its next scan, so each day carries forward the latest
   * count of each repository on or before it (from before the window too).
   */
  async trend(readable: Readable, today: Date, days = 90): Promise<TrendPoint[]> {
    const r = this.#readable(readable);
    const dayList: string[] = [];
    for (let i = days - 1; i >= 0; i--) dayList.push(new Date(today.getTime() - i * 24 * 3600 * 1000).toISOString().slice(0, 10));
    const first = dayList[0]!;
    // Each repository's change from its previous count, summed by day in the database: a few rows
    // per day come back however many repositories and scans there are. The latest count before the
    // window is the baseline, counted on the window's first day.
    const rows = await this.db.all<{ day: string; severity: Severity; delta: number }>(
      `SELECT w.bucket AS day, w.severity, SUM(w.delta) AS delta FROM (
         SELECT CASE WHEN c.day < ? THEN ? ELSE c.day END AS bucket, c.severity,
           c.open_count - COALESCE(LAG(c.open_count) OVER (PARTITION BY c.repository_id, c.severity ORDER BY c.day), 0) AS delta FROM (
           SELECT repository_id, day, severity, open_count FROM daily_counts WHERE repository_id IN ${r.sql} AND day >= ?
           UNION ALL
           SELECT d.repository_id, d.day, d.severity, d.open_count FROM daily_counts d
            WHERE d.repository_id IN ${r.sql} AND d.day = (SELECT MAX(e.day) FROM daily_counts e WHERE e.repository_id = d.repository_id AND e.day < ?)
         ) c
       ) w GROUP BY w.bucket, w.severity ORDER BY w.bucket`,
      [first, first, r.param, first, r.param, first],
    );
    const total = severityCounts([]);
    const points: TrendPoint[] = [];
    let next = 0;
    for (const day of dayList) {
      while (next < rows.length && rows[next]!.day <= day) {
        const row = rows[next++]!;
        if (row.severity in total) total[row.severity] += Number(row.delta);
      }
      points.push({ day, counts: { ...total } });
    }
    return points;
  }

  /** The most recent tool-definition changes, newest first. */
  async recentToolChanges(readable: Readable, limit = 10): Promise<(ToolChangeDetail & { repositoryId: number; fullName: string })[]> {
    const r = this.#readable(readable);
    const rows = await this.db.all<Record<string, unknown>>(
      `SELECT h.*, r.full_name FROM tool_history h JOIN repositories r ON r.id = h.repository_id WHERE h.repository_id IN ${r.sql} ORDER BY h.changed_at DESC, h.id DESC LIMIT ?`,
      [r.param, limit],
    );
    return rows.map((row) => ({ ...toolChangeOf(row), repositoryId: Number(row.repository_id), fullName: row.full_name as string }));
  }

  /** The repositories table, filtered and sorted: one page of it and how many rows the view has; `limit` for the CSV export. */
  async table(readable: Readable, query: TableQuery, options: { limit?: number } = {}): Promise<{ rows: RepositoryRow[]; total: number }> {
    const r = this.#readable(readable);
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (query.severity) where.push(`(${SEVERITIES.slice(0, SEVERITIES.indexOf(query.severity) + 1).map((s) => `t.${s} > 0`).join(" OR ")})`);
    // Rule and language narrow the repositories before anything is counted: each is one uncorrelated
    // subquery over its index, not a probe per repository.
    const narrow: string[] = [];
    const narrowParams: SqlValue[] = [];
    if (query.rule) narrow.push("r.id IN (SELECT f.repository_id FROM findings f WHERE f.rule_id = ? AND f.fixed_at IS NULL)"), narrowParams.push(query.rule);
    if (query.language) {
      narrow.push("r.id IN (SELECT x.repository_id FROM servers x WHERE x.language = ? UNION SELECT x.repository_id FROM tools x WHERE x.language = ?)");
      narrowParams.push(query.language, query.language);
    }
    if (query.hasServers !== undefined) where.push(query.hasServers ? "t.servers > 0" : "t.servers = 0");
    if (query.hasConfigs !== undefined) where.push(query.hasConfigs ? "t.configs > 0" : "t.configs = 0");
    const inner = `SELECT r.id, r.installation_id, r.full_name, r.private, r.archived, r.default_branch, r.last_scanned_commit, s.finished_at AS last_scan_at,
        (SELECT COUNT(*) FROM servers x WHERE x.repository_id = r.id) AS servers,
        (SELECT COUNT(*) FROM tools x WHERE x.repository_id = r.id) AS tools,
        (SELECT COUNT(*) FROM configs x WHERE x.repository_id = r.id) AS configs,
        ${SEVERITIES.map((s) => `(SELECT COUNT(*) FROM findings f WHERE f.repository_id = r.id AND f.fixed_at IS NULL AND f.severity = '${s}') AS ${s}`).join(",\n        ")}
      FROM repositories r LEFT JOIN scans s ON s.id = r.last_scan_id
      WHERE r.id IN ${r.sql}${narrow.map((n) => ` AND ${n}`).join("")}`;
    const filtered = `FROM (${inner}) t${where.length ? ` WHERE ${where.join(" AND ")}` : ""}`;
    const total = await this.db.get<{ n: number }>(`SELECT COUNT(*) AS n ${filtered}`, [r.param, ...narrowParams, ...params]);
    const limit = options.limit ?? PAGE_SIZE;
    const offset = options.limit === undefined ? (Math.max(1, query.page) - 1) * PAGE_SIZE : 0;
    const rows = await this.db.all<Record<string, unknown>>(`SELECT t.* ${filtered} ORDER BY ${orderBy(query)} LIMIT ? OFFSET ?`, [r.param, ...narrowParams, ...params, limit, offset]);
    return { rows: rows.map(repositoryRowOf), total: Number(total?.n ?? 0) };
  }

  /** What the table's filters can choose from, among the readable repositories. */
  async filterChoices(readable: Readable): Promise<{ rules: string[]; languages: string[] }> {
    const r = this.#readable(readable);
    const rules = await this.db.all<{ rule_id: string }>(`SELECT DISTINCT rule_id FROM findings WHERE repository_id IN ${r.sql} AND fixed_at IS NULL ORDER BY rule_id`, [r.param]);
    const languages = await this.db.all<{ language: string }>(
      `SELECT language FROM servers WHERE repository_id IN ${r.sql} UNION SELECT language FROM tools WHERE repository_id IN ${r.sql} ORDER BY language`,
      [r.param, r.param],
    );
    return { rules: rules.map((x) => x.rule_id), languages: languages.map((x) => x.language) };
  }

  /** Repository names, server names, tool names and descriptions, package names and rule ids holding `text` (case-insensitive). */
  async search(readable: Readable, text: string): Promise<SearchHits> {
    const r = this.#readable(readable);
    const like = `%${text.toLowerCase().replace(/[\\%_]/g, "\\$&")}%`;
    const L = (column: string) => `LOWER(${column}) LIKE ? ESCAPE '\\'`;
    const repositories = await this.db.all<{ id: number; full_name: string }>(`SELECT id, full_name FROM repositories WHERE id IN ${r.sql} AND ${L("full_name")} ORDER BY full_name LIMIT ${SEARCH_LIMIT}`, [r.param, like]);
    const servers = await this.db.all<Record<string, unknown>>(
      `SELECT * FROM (
         SELECT s.repository_id, r.full_name, s.name, 'code' AS source, s.path, s.line, s.sdk AS detail FROM servers s JOIN repositories r ON r.id = s.repository_id
          WHERE s.repository_id IN ${r.sql} AND ${L("s.name")}
         UNION ALL
         SELECT c.repository_id, r.full_name, c.name, 'config' AS source, cf.path, c.line, COALESCE(c.package_name, c.url, c.command) AS detail
          FROM configured_servers c JOIN configs cf ON cf.id = c.config_id JOIN repositories r ON r.id = c.repository_id
          WHERE c.repository_id IN ${r.sql} AND ${L("c.name")}
       ) x ORDER BY full_name, path, line LIMIT ${SEARCH_LIMIT}`,
      [r.param, like, r.param, like],
    );
    const tools = await this.db.all<Record<string, unknown>>(
      `SELECT t.repository_id, r.full_name, t.kind, t.name, t.description, t.path, t.line FROM tools t JOIN repositories r ON r.id = t.repository_id
        WHERE t.repository_id IN ${r.sql} AND (${L("t.name")} OR ${L("t.description")}) ORDER BY r.full_name, t.name LIMIT ${SEARCH_LIMIT}`,
      [r.param, like, like],
    );
    const packages = await this.db.all<Record<string, unknown>>(
      `SELECT * FROM (
         SELECT c.repository_id, r.full_name, c.package_name AS name, c.package_version AS version, 'config' AS source, cf.path, c.line
          FROM configured_servers c JOIN configs cf ON cf.id = c.config_id JOIN repositories r ON r.id = c.repository_id
          WHERE c.repository_id IN ${r.sql} AND c.package_name IS NOT NULL AND ${L("c.package_name")}
         UNION ALL
         SELECT d.repository_id, r.full_name, d.name, d.spec AS version, 'dependency' AS source, d.path, d.line FROM dependencies d JOIN repositories r ON r.id = d.repository_id
          WHERE d.repository_id IN ${r.sql} AND ${L("d.name")}
       ) x ORDER BY name, full_name, path LIMIT ${SEARCH_LIMIT}`,
      [r.param, like, r.param, like],
    );
    const rules = await this.db.all<{ rule_id: string; n: number; repos: number }>(
      `SELECT rule_id, COUNT(*) AS n, COUNT(DISTINCT repository_id) AS repos FROM findings WHERE repository_id IN ${r.sql} AND fixed_at IS NULL AND ${L("rule_id")} GROUP BY rule_id ORDER BY rule_id LIMIT ${SEARCH_LIMIT}`,
      [r.param, like],
    );
    return {
      repositories: repositories.map((x) => ({ id: Number(x.id), fullName: x.full_name })),
      servers: servers.map((x) => ({ repositoryId: Number(x.repository_id), fullName: x.full_name as string, name: x.name as string, source: x.source as "code" | "config", path: x.path as string, line: Number(x.line), detail: (x.detail as string | null) ?? null })),
      tools: tools.map((x) => ({ repositoryId: Number(x.repository_id), fullName: x.full_name as string, kind: x.kind as string, name: x.name as string, description: (x.description as string | null) ?? null, path: x.path as string, line: Number(x.line) })),
      packages: packages.map((x) => ({ repositoryId: Number(x.repository_id), fullName: x.full_name as string, name: x.name as string, version: (x.version as string | null) ?? null, source: x.source as "config" | "dependency", path: x.path as string, line: Number(x.line) })),
      rules: rules.map((x) => ({ ruleId: x.rule_id, findings: Number(x.n), repositories: Number(x.repos) })),
    };
  }

  /** A repository by id or by `owner/name`, if the person may read it; else undefined, as for one that does not exist. */
  async repository(readable: Readable, which: { id: number } | { fullName: string }): Promise<RepositoryRow | undefined> {
    const r = this.#readable(readable);
    const [condition, value] = "id" in which ? ["t.id = ?", which.id] : ["LOWER(t.full_name) = LOWER(?)", which.fullName];
    const { rows } = await this.#rows(r, condition, value);
    return rows[0];
  }

  async #rows(r: { sql: string; param: string }, condition: string, value: SqlValue): Promise<{ rows: RepositoryRow[] }> {
    const rows = await this.db.all<Record<string, unknown>>(
      `SELECT t.* FROM (SELECT r.id, r.installation_id, r.full_name, r.private, r.archived, r.default_branch, r.last_scanned_commit, s.finished_at AS last_scan_at,
          (SELECT COUNT(*) FROM servers x WHERE x.repository_id = r.id) AS servers,
          (SELECT COUNT(*) FROM tools x WHERE x.repository_id = r.id) AS tools,
          (SELECT COUNT(*) FROM configs x WHERE x.repository_id = r.id) AS configs,
          ${SEVERITIES.map((s) => `(SELECT COUNT(*) FROM findings f WHERE f.repository_id = r.id AND f.fixed_at IS NULL AND f.severity = '${s}') AS ${s}`).join(",\n          ")}
        FROM repositories r LEFT JOIN scans s ON s.id = r.last_scan_id WHERE r.id IN ${r.sql}) t WHERE ${condition} LIMIT 1`,
      [r.param, value],
    );
    return { rows: rows.map(repositoryRowOf) };
  }

  /** Everything the repository page shows; undefined when the person may not read it (or it does not exist). */
  async repositoryDetail(readable: Readable, which: { id: number } | { fullName: string }): Promise<RepositoryDetail | undefined> {
    const repository = await this.repository(readable, which);
    if (!repository) return undefined;
    const id = repository.id;
    const servers = await this.db.all<Record<string, unknown>>("SELECT * FROM servers WHERE repository_id = ? ORDER BY path, line", [id]);
    const tools = await this.db.all<Record<string, unknown>>("SELECT * FROM tools WHERE repository_id = ? ORDER BY kind DESC, name, path, line", [id]);
    const configs = await this.db.all<Record<string, unknown>>("SELECT * FROM configs WHERE repository_id = ? ORDER BY path", [id]);
    const configured = await this.db.all<Record<string, unknown>>("SELECT * FROM configured_servers WHERE repository_id = ? ORDER BY config_id, line", [id]);
    const dependencies = await this.db.all<Record<string, unknown>>("SELECT * FROM dependencies WHERE repository_id = ? ORDER BY advisory_count DESC, name, path, line", [id]);
    const findings = await this.openFindings(readable, id);
    const history = await this.db.all<Record<string, unknown>>("SELECT * FROM tool_history WHERE repository_id = ? ORDER BY changed_at DESC, id DESC LIMIT 100", [id]);
    const scan = await this.db.get<Record<string, unknown>>("SELECT * FROM scans WHERE repository_id = ? ORDER BY id DESC LIMIT 1", [id]);
    return {
      repository,
      latestScan: scan ? scanSummaryOf(scan) : null,
      servers: servers.map(serverOf),
      tools: tools.map((t) => ({
        kind: t.kind as string,
        name: t.name as string,
        uri: (t.uri as string | null) ?? null,
        description: (t.description as string | null) ?? null,
        inputSchema: (t.input_schema as string | null) ?? null,
        path: t.path as string,
        line: Number(t.line),
        language: t.language as string,
        serverKey: (t.server_key as string | null) ?? null,
        definitionHash: t.definition_hash as string,
      })),
      configs: configs.map((c) => ({
        path: c.path as string,
        client: c.client as string,
        parseError: (c.parse_error as string | null) ?? null,
        servers: configured.filter((s) => Number(s.config_id) === Number(c.id)).map((s) => ({
          name: s.name as string,
          line: Number(s.line),
          transport: s.transport as string,
          command: (s.command as string | null) ?? null,
          args: s.args ? (JSON.parse(s.args as string) as string[]) : [],
          url: (s.url as string | null) ?? null,
          packageEcosystem: (s.package_ecosystem as string | null) ?? null,
          packageName: (s.package_name as string | null) ?? null,
          packageVersion: (s.package_version as string | null) ?? null,
          pinned: s.pinned === null || s.pinned === undefined ? null : Number(s.pinned) === 1,
        })),
      })),
      dependencies: dependencies.map((d) => ({
        path: d.path as string,
        line: Number(d.line),
        ecosystem: d.ecosystem as string,
        name: d.name as string,
        spec: d.spec as string,
        exact: Number(d.exact) === 1,
        locked: Number(d.locked) === 1,
        advisories: JSON.parse(d.advisories as string) as DependencyDetail["advisories"],
      })),
      findings,
      history: history.map(toolChangeOf),
    };
  }

  /** A repository's open findings, worst first; none when the person may not read it. */
  async openFindings(readable: Readable, repositoryId: number): Promise<FindingDetail[]> {
    const r = this.#readable(readable);
    const rows = await this.db.all<Record<string, unknown>>(
      `SELECT * FROM findings WHERE repository_id = ? AND repository_id IN ${r.sql} AND fixed_at IS NULL ORDER BY path, line, rule_id`,
      [repositoryId, r.param],
    );
    return rows
      .map((f) => ({
        fingerprint: f.fingerprint as string,
        ruleId: f.rule_id as string,
        severity: f.severity as Severity,
        title: f.title as string,
        cwe: (f.cwe as string | null) ?? null,
        path: f.path as string,
        line: Number(f.line),
        endLine: f.end_line === null || f.end_line === undefined ? null : Number(f.end_line),
        column: f.col === null || f.col === undefined ? null : Number(f.col),
        message: f.message as string,
        remediation: (f.remediation as string | null) ?? null,
        context: (f.context as string | null) ?? null,
        commit: (f.last_seen_commit as string | null) ?? null,
        firstSeenAt: f.first_seen_at as string,
      }))
      .sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity));
  }

  /** Which readable repositories use a package, a configured server or a tool of this name (case-insensitive). */
  async whoUses(readable: Readable, kind: WhoUsesKind, name: string): Promise<WhoUsesRow[]> {
    const r = this.#readable(readable);
    let rows: Record<string, unknown>[];
    if (kind === "package") {
      rows = await this.db.all(
        `SELECT * FROM (
           SELECT c.repository_id, r.full_name, 'client config' AS source, cf.path, c.line, COALESCE(c.package_version, 'any version') AS detail, r.last_scanned_commit AS commit_sha
            FROM configured_servers c JOIN configs cf ON cf.id = c.config_id JOIN repositories r ON r.id = c.repository_id
            WHERE c.repository_id IN ${r.sql} AND LOWER(c.package_name) = LOWER(?)
           UNION ALL
           SELECT d.repository_id, r.full_name, CASE WHEN d.locked = 1 THEN 'lockfile' ELSE 'manifest' END AS source, d.path, d.line,
             d.spec || CASE WHEN d.advisory_count > 0 THEN ' (' || d.advisory_count || ' advisories)' ELSE '' END AS detail, r.last_scanned_commit AS commit_sha
            FROM dependencies d JOIN repositories r ON r.id = d.repository_id
            WHERE d.repository_id IN ${r.sql} AND LOWER(d.name) = LOWER(?)
         ) x ORDER BY full_name, path, line`,
        [r.param, name, r.param, name],
      );
    } else if (kind === "server") {
      rows = await this.db.all(
        `SELECT * FROM (
           SELECT c.repository_id, r.full_name, 'client config' AS source, cf.path, c.line, COALESCE(c.package_name, c.url, c.command) AS detail, r.last_scanned_commit AS commit_sha
            FROM configured_servers c JOIN configs cf ON cf.id = c.config_id JOIN repositories r ON r.id = c.repository_id
            WHERE c.repository_id IN ${r.sql} AND LOWER(c.name) = LOWER(?)
           UNION ALL
           SELECT s.repository_id, r.full_name, 'server code' AS source, s.path, s.line, s.sdk AS detail, r.last_scanned_commit AS commit_sha
            FROM servers s JOIN repositories r ON r.id = s.repository_id
            WHERE s.repository_id IN ${r.sql} AND LOWER(s.name) = LOWER(?)
         ) x ORDER BY full_name, path, line`,
        [r.param, name, r.param, name],
      );
    } else {
      rows = await this.db.all(
        `SELECT t.repository_id, r.full_name, t.kind AS source, t.path, t.line, t.description AS detail, r.last_scanned_commit AS commit_sha
          FROM tools t JOIN repositories r ON r.id = t.repository_id
          WHERE t.repository_id IN ${r.sql} AND LOWER(t.name) = LOWER(?) ORDER BY r.full_name, t.path, t.line`,
        [r.param, name],
      );
    }
    return rows.map((x) => ({
      repositoryId: Number(x.repository_id),
      fullName: x.full_name as string,
      source: x.source as string,
      path: x.path as string,
      line: Number(x.line),
      detail: (x.detail as string | null) ?? null,
      commit: (x.commit_sha as string | null) ?? null,
    }));
  }
}

function severityCounts(entries: [Severity, number][]): SeverityCounts {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as SeverityCounts;
  for (const [s, n] of entries) if (s in counts) counts[s] = n;
  return counts;
}

function orderBy(query: TableQuery): string {
  const dir = query.direction === "asc" ? "ASC" : "DESC";
  const tie = "t.full_name ASC, t.id ASC";
  switch (query.sort) {
    case "name":
      return `t.full_name ${dir}, t.id ${dir}`;
    case "findings":
      return `(${SEVERITIES.map((s) => `t.${s}`).join(" + ")}) ${dir}, ${tie}`;
    case "servers":
      return `t.servers ${dir}, ${tie}`;
    case "tools":
      return `t.tools ${dir}, ${tie}`;
    case "scanned":
      // Never-scanned repositories last in either direction, the same on both databases.
      return `CASE WHEN t.last_scan_at IS NULL THEN 1 ELSE 0 END, t.last_scan_at ${dir}, ${tie}`;
    default:
      return `${SEVERITIES.map((s) => `t.${s} ${dir}`).join(", ")}, ${tie}`;
  }
}

function repositoryRowOf(row: Record<string, unknown>): RepositoryRow {
  return {
    id: Number(row.id),
    installationId: Number(row.installation_id),
    fullName: row.full_name as string,
    private: Number(row.private) === 1,
    archived: Number(row.archived) === 1,
    defaultBranch: (row.default_branch as string | null) ?? null,
    lastScannedCommit: (row.last_scanned_commit as string | null) ?? null,
    lastScanAt: (row.last_scan_at as string | null) ?? null,
    servers: Number(row.servers),
    tools: Number(row.tools),
    configs: Number(row.configs),
    open: severityCounts(SEVERITIES.map((s) => [s, Number(row[s] ?? 0)])),
  };
}

function serverOf(s: Record<string, unknown>): ServerDetail {
  const http = s.listen ? (JSON.parse(s.listen as string) as { listen?: ServerDetail["listen"] }) : undefined;
  return {
    key: s.server_key as string,
    name: (s.name as string | null) ?? null,
    version: (s.version as string | null) ?? null,
    language: s.language as string,
    sdk: s.sdk as string,
    path: s.path as string,
    line: Number(s.line),
    transports: (s.transports as string).split(",").filter(Boolean),
    exposure: (s.exposure as string | null) ?? null,
    auth: (s.auth as string | null) ?? null,
    hostValidation: s.host_validation === null || s.host_validation === undefined ? null : Number(s.host_validation) === 1,
    cors: (s.cors as string | null) ?? null,
    listen: http?.listen ?? [],
  };
}

function toolChangeOf(r: Record<string, unknown>): ToolChangeDetail {
  return {
    kind: r.kind as string,
    name: r.name as string,
    change: r.change as ToolChangeDetail["change"],
    commit: (r.commit_sha as string | null) ?? null,
    changedAt: r.changed_at as string,
    oldDescription: (r.old_description as string | null) ?? null,
    newDescription: (r.new_description as string | null) ?? null,
    oldSchema: (r.old_schema as string | null) ?? null,
    newSchema: (r.new_schema as string | null) ?? null,
  };
}

function scanSummaryOf(s: Record<string, unknown>): ScanSummary {
  const coverage = s.coverage ? (JSON.parse(s.coverage as string) as { notes?: string[]; notRead?: unknown[] }) : undefined;
  return {
    status: s.status as string,
    commit: (s.commit_sha as string | null) ?? null,
    startedAt: s.started_at as string,
    finishedAt: (s.finished_at as string | null) ?? null,
    error: (s.error as string | null) ?? null,
    notes: coverage?.notes ?? [],
    notRead: coverage?.notRead?.length ?? 0,
  };
}
