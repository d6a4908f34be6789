import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

/** A value bound to a `?` placeholder. */
export type SqlValue = string | number | null;

/**
 * The SQL the store needs from a database, the same for SQLite and PostgreSQL: statements with `?`
 * placeholders, and transactions that either commit whole or leave nothing.
 */
export interface SqlDb {
  readonly dialect: "sqlite" | "postgres";
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Runs `fn` in one transaction; nested calls join the outer one. */
  transaction<T>(fn: (tx: SqlDb) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** `(?, ?, ?)` for a list, and its values; `(NULL)` for an empty one, which matches nothing. */
export function inList(values: readonly (number | string)[]): { sql: string; params: (number | string)[] } {
  return values.length === 0 ? { sql: "(NULL)", params: [] } : { sql: `(${values.map(() => "?").join(", ")})`, params: [...values] };
}

/** Milliseconds SQLite waits for another process's write lock before giving up. */
const BUSY_TIMEOUT_MS = 15_000;

/**
 * SQLite through better-sqlite3: one file, WAL so that readers never wait for the writer, and a
 * busy timeout so that writers of several processes take turns instead of failing. Statements run
 * synchronously; a transaction holds this connection (other calls of this process wait for it)
 * and takes the write lock at its start (`BEGIN IMMEDIATE`), so two processes never deadlock
 * upgrading a read lock.
 */
export async function openSqlite(file: string): Promise<SqlDb> {
  const { default: Database } = await import("better-sqlite3");
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  db.pragma("journal_mode = WAL");
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma("foreign_keys = ON");
  db.pragma("synchronous = NORMAL");
  const statements = new Map<string, import("better-sqlite3").Statement>();
  const prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      if (statements.size > 500) statements.clear();
      statements.set(sql, statement);
    }
    return statement;
  };
  let turn: Promise<unknown> = Promise.resolve();
  /** One operation at a time on this connection: a transaction's awaits must not let another call in. */
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const result = turn.then(fn, fn);
    turn = result.catch(() => {});
    return result;
  };

  const direct: SqlDb = {
    dialect: "sqlite",
    async all<T>(sql: string, params: readonly SqlValue[] = []) {
      return prepare(sql).all(...params) as T[];
    },
    async get<T>(sql: string, params: readonly SqlValue[] = []) {
      return prepare(sql).get(...params) as T | undefined;
    },
    async run(sql, params = []) {
      return { changes: prepare(sql).run(...params).changes };
    },
    async exec(sql) {
      db.exec(sql);
    },
    transaction: (fn) => fn(direct),
    async close() {},
  };
  return {
    dialect: "sqlite",
    all: (sql, params) => exclusive(() => direct.all(sql, params)),
    get: (sql, params) => exclusive(() => direct.get(sql, params)),
    run: (sql, params) => exclusive(() => direct.run(sql, params)),
    exec: (sql) => exclusive(() => direct.exec(sql)),
    transaction: (fn) =>
      exclusive(async () => {
        db.exec("BEGIN IMMEDIATE");
        try {
          const result = await fn(direct);
          db.exec("COMMIT");
          return result;
        } catch (error) {
          if (db.inTransaction) db.exec("ROLLBACK");
          throw error;
        }
      }),
    close: () =>
      exclusive(async () => {
        statements.clear();
        db.close();
      }),
  };
}

/** PostgreSQL errors after which the whole transaction may simply be run again. */
const RETRYABLE = new Set(["40001", "40P01"]);

/**
 * PostgreSQL through a `pg` pool: any number of web and worker processes on any number of machines
 * share it. `?` placeholders become `$1`, `$2`, ...; 64-bit integers come back as numbers (GitHub's
 * ids fit in a double). A transaction that loses a serialization race or a deadlock runs again.
 */
export async function openPostgres(url: string, options: { max?: number } = {}): Promise<SqlDb> {
  const pg = (await import("pg")).default;
  const types = {
    getTypeParser: (oid: number, format?: string) => (oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as "text")),
  };
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 5, types: types as never });
  pool.on("error", () => {}); // an idle client's connection dropped: the pool replaces it
  const numbered = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  type Querier = { query: (sql: string, params?: unknown[]) => Promise<{ rows: unknown[]; rowCount: number | null }> };
  const over = (client: Querier, inTransaction: boolean): SqlDb => {
    const self: SqlDb = {
      dialect: "postgres",
      async all<T>(sql: string, params: readonly SqlValue[] = []) {
        return (await client.query(numbered(sql), [...params])).rows as T[];
      },
      async get<T>(sql: string, params: readonly SqlValue[] = []) {
        return (await client.query(numbered(sql), [...params])).rows[0] as T | undefined;
      },
      async run(sql, params = []) {
        return { changes: (await client.query(numbered(sql), [...params])).rowCount ?? 0 };
      },
      async exec(sql) {
        await client.query(sql);
      },
      async transaction(fn) {
        if (inTransaction) return fn(self);
        for (let attempt = 1; ; attempt++) {
          const connection = await pool.connect();
          try {
            await connection.query("BEGIN");
            const result = await fn(over(connection, true));
            await connection.query("COMMIT");
            return result;
          } catch (error) {
            await connection.query("ROLLBACK").catch(() => {});
            if (attempt < 5 && RETRYABLE.has((error as { code?: string }).code ?? "")) continue;
            throw error;
          } finally {
            connection.release();
          }
        }
      },
      async close() {
        await pool.end();
      },
    };
    return self;
  };
  return over(pool, false);
}

/** Where the inventory lives: PostgreSQL when DATABASE_URL names it, else a SQLite file. */
export function databaseLocation(env: NodeJS.ProcessEnv = process.env): { dialect: "postgres"; url: string } | { dialect: "sqlite"; file: string } {
  const url = env.DATABASE_URL;
  if (url && /^postgres(?:ql)?:\/\//i.test(url)) return { dialect: "postgres", url };
  if (url && /^(?:sqlite|file):/i.test(url)) return { dialect: "sqlite", file: url.replace(/^(?:sqlite|file):(?:\/\/)?/i, "") };
  if (url) throw new Error(`DATABASE_URL must be a postgres:// URL (or sqlite:PATH); got "${url.replace(/\/\/[^@/]*@/, "//…@")}"`);
  return { dialect: "sqlite", file: env.MCP_REVIEW_SQLITE ?? "data/mcp-review.sqlite" };
}

export async function openDatabase(env: NodeJS.ProcessEnv = process.env): Promise<SqlDb> {
  const location = databaseLocation(env);
  return location.dialect === "postgres" ? openPostgres(location.url) : openSqlite(location.file);
}
