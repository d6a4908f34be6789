import type { SqlDb } from "./sql.js";

/**
 * Numbered migrations, applied in order, each once, in a transaction. One text serves both
 * databases where they agree; `{{ID}}` and `{{BIGINT}}` stand where they differ. A migration, once
 * released, is never edited: a change is a new number.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "inventory",
    sql: `
CREATE TABLE installations (
  id {{BIGINT}} PRIMARY KEY,
  account_login TEXT NOT NULL,
  account_type TEXT,
  suspended INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE repositories (
  id {{BIGINT}} PRIMARY KEY,
  installation_id {{BIGINT}} NOT NULL REFERENCES installations(id) ON DELETE CASCADE,
  full_name TEXT NOT NULL,
  private INTEGER NOT NULL DEFAULT 0,
  default_branch TEXT,
  archived INTEGER NOT NULL DEFAULT 0,
  head_sha TEXT,
  head_etag TEXT,
  head_checked_at TEXT,
  last_scan_id {{BIGINT}},
  last_scanned_commit TEXT,
  last_engine_version TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX repositories_installation ON repositories(installation_id);
CREATE INDEX repositories_full_name ON repositories(full_name);
CREATE TABLE scans (
  id {{ID}},
  repository_id {{BIGINT}} NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  commit_sha TEXT,
  trigger TEXT NOT NULL,
  status TEXT NOT NULL,
  engine_version TEXT NOT NULL,
  coverage TEXT,
  stats TEXT,
  error TEXT,
  started_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX scans_repository ON scans(repository_id, id);
CREATE TABLE servers (
  id {{ID}},
  repository_id {{BIGINT}} NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  scan_id {{BIGINT}} NOT NULL,
  server_key TEXT NOT NULL,
  name TEXT,
  version TEXT,
  language TEXT NOT NULL,
  sdk TEXT NOT NULL,
  path TEXT NOT NULL,
  line INTEGER NOT NULL,
  transports TEXT NOT NULL,
  exposure TEXT,
  auth TEXT,
  host_validation INTEGER,
  cors TEXT,
  listen TEXT
);
CREATE INDEX servers_repository ON servers(repository_id);
CREATE TABLE tools (
  id {{ID}},
  repository_id {{BIGINT}} NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  scan_id {{BIGINT}} NOT NULL,
  server_key TEXT,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  uri TEXT,
  description TEXT,
  input_schema TEXT,
  path TEXT NOT NULL,
  line INTEGER NOT NULL,
  language TEXT NOT NULL,
  definition_hash TEXT NOT NULL
);
CREATE INDEX tools_repository ON tools(repository_id);
CREATE INDEX tools_name ON tools(name);
CREATE TABLE configs (
  id {{ID}},
  repository_id {{BIGINT}} NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  scan_id {{BIGINT}} NOT NULL,
  path TEXT NOT NULL,
  client TEXT NOT NULL,
  parse_error TEXT
);
CREATE INDEX configs_repository ON configs(repository_id);
CREATE TABLE configured_servers (
  id {{ID}},
  repository_id {{BIGINT}} NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  config_id {{BIGINT}} NOT NULL REFERENCES configs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  line INTEGER NOT NULL,
  transport TEXT NOT NULL,
  command TEXT,
  args TEXT,
  url TEXT,
  package_ecosystem TEXT,
  package_name TEXT,
  package_version TEXT,
  pinned INTEGER
);
CREATE INDEX configured_servers_repository ON configured_servers(repository_id);
CREATE INDEX configured_servers_package ON configured_servers(package_name);
CREATE TABLE dependencies (
  id {{ID}},
  repository_id {{BIGINT}} NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  scan_id {{BIGINT}} NOT NULL,
  path TEXT NOT NULL,
  line INTEGER NOT NULL,
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL,
  spec TEXT NOT NULL,
  exact INTEGER NOT NULL,
  locked INTEGER NOT NULL,
  advisories TEXT NOT NULL,
  advisory_count INTEGER NOT NULL
);
CREATE INDEX dependencies_repository ON dependencies(repository_id);
CREATE INDEX dependencies_name ON dependencies(name);
CREATE TABLE findings (
  repository_id {{BIGINT}} NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  fingerprint TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  severity TEXT NOT NULL,
  title TEXT NOT NULL,
  cwe TEXT,
  path TEXT NOT NULL,
  line INTEGER NOT NULL,
  end_line INTEGER,
  col INTEGER,
  message TEXT NOT NULL,
  remediation TEXT,
  context TEXT,
  first_seen_commit TEXT,
  first_seen_at TEXT NOT NULL,
  last_seen_commit TEXT,
  last_seen_at TEXT NOT NULL,
  fixed_commit TEXT,
  fixed_at TEXT,
  PRIMARY KEY (repository_id, fingerprint)
);
CREATE INDEX findings_open ON findings(repository_id, fixed_at);
CREATE INDEX findings_rule ON findings(rule_id);
CREATE TABLE daily_counts (
  repository_id {{BIGINT}} NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  day TEXT NOT NULL,
  severity TEXT NOT NULL,
  open_count INTEGER NOT NULL,
  PRIMARY KEY (repository_id, day, severity)
);
CREATE TABLE tool_history (
  id {{ID}},
  repository_id {{BIGINT}} NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  tool_key TEXT NOT NULL,
  change TEXT NOT NULL,
  commit_sha TEXT,
  changed_at TEXT NOT NULL,
  old_hash TEXT,
  new_hash TEXT,
  old_description TEXT,
  new_description TEXT,
  old_schema TEXT,
  new_schema TEXT
);
CREATE INDEX tool_history_repository ON tool_history(repository_id, changed_at);
`,
  },
  {
    version: 2,
    name: "hub sessions",
    // The hub's signed-in people and sign-ins under way. Keys are hashes of the random ids the
    // browser holds; tokens and access lists are sealed (AES-GCM) in the sealed column.
    sql: `
CREATE TABLE hub_sessions (
  id_hash TEXT PRIMARY KEY,
  user_id {{BIGINT}} NOT NULL,
  created_at {{BIGINT}} NOT NULL,
  last_seen_at {{BIGINT}} NOT NULL,
  sealed TEXT NOT NULL
);
CREATE INDEX hub_sessions_user ON hub_sessions(user_id);
CREATE TABLE hub_sign_ins (
  state_hash TEXT PRIMARY KEY,
  created_at {{BIGINT}} NOT NULL,
  sealed TEXT NOT NULL
);
`,
  },
];

/** A constant key for PostgreSQL's advisory lock: one migrator at a time, whatever the machine. */
const MIGRATION_LOCK = 734_112_013;

function forDialect(sql: string, dialect: SqlDb["dialect"]): string {
  return sql
    .replace(/\{\{ID\}\}/g, dialect === "sqlite" ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
    .replace(/\{\{BIGINT\}\}/g, dialect === "sqlite" ? "INTEGER" : "BIGINT");
}

/**
 * Brings the schema up to date. Safe to run from every process at once: PostgreSQL serializes the
 * migrators with an advisory lock, SQLite with its write lock; each then sees what the other applied.
 */
export async function migrate(db: SqlDb, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  return db.transaction(async (tx) => {
    if (tx.dialect === "postgres") await tx.get("SELECT pg_advisory_xact_lock(?)", [MIGRATION_LOCK]);
    await tx.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
    const applied = new Set((await tx.all<{ version: number }>("SELECT version FROM schema_migrations")).map((r) => Number(r.version)));
    const done: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      await tx.exec(forDialect(migration.sql, tx.dialect));
      await tx.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [migration.version, migration.name, new Date().toISOString()]);
      done.push(migration.version);
    }
    return done;
  });
}
