import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

/** The PostgreSQL the store tests run against (see test/postgres-setup.js); fails, never skips, without one. */
export function postgresUrl(): string {
  const url = process.env.MCP_REVIEW_TEST_DATABASE_URL;
  if (!url) throw new Error("no PostgreSQL for the store tests: install Debian's postgresql (see .ci/run) or set MCP_REVIEW_TEST_DATABASE_URL");
  return url;
}

/** A database of its own for one test file, dropped by `drop()`. */
export async function freshPostgresDatabase(label: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = postgresUrl();
  const name = `mcp_review_${label}_${process.pid}_${randomBytes(3).toString("hex")}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A SQLite file in a temporary folder of its own. */
export function freshSqliteFile(): { file: string; drop(): void } {
  const dir = mkdtempSync(join(tmpdir(), "mcp-review-sqlite-"));
  return { file: join(dir, "inventory.sqlite"), drop: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The environment that points the store at a backend: DATABASE_URL for PostgreSQL, MCP_REVIEW_SQLITE for SQLite. */
export type Backend = { name: "sqlite" | "postgres"; env(): Promise<{ env: NodeJS.ProcessEnv; drop(): Promise<void> }> };

export const BACKENDS: Backend[] = [
  {
    name: "sqlite",
    async env() {
      const db = freshSqliteFile();
      return { env: { MCP_REVIEW_SQLITE: db.file }, drop: async () => db.drop() };
    },
  },
  {
    name: "postgres",
    async env() {
      const db = await freshPostgresDatabase("store");
      return { env: { DATABASE_URL: db.url }, drop: db.drop };
    },
  },
];
