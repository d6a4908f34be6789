import type { ApplicationFunctionOptions, Probot } from "probot";
import type { ScanQueue } from "../queue/scan-queue.js";
import { migrate } from "../store/migrations.js";
import { openDatabase, type SqlDb } from "../store/sql.js";
import { hubConfig } from "./hub-config.js";
import { hubHandler } from "./hub-handler.js";
import { HubQueries } from "./hub-queries.js";
import { SqlSessionStore } from "./session-store.js";

export interface HubAppOptions {
  env?: NodeJS.ProcessEnv;
  /** Where a rescan goes; undefined while the organization inventory is off. */
  scans: () => ScanQueue | undefined;
  /** The inventory's database, opened on first use (tests pass their own). */
  database?: () => Promise<SqlDb>;
  now?: () => number;
  fetch?: typeof fetch;
}

/**
 * The hub in the app's own web process: registered where Probot's server is made (it needs
 * `addHandler`). With GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET and APP_URL it answers under /hub and
 * ends a person's sessions when they revoke the app's authorization; without them it says once
 * what to set, and /hub is Probot's 404. Returns a closer for the database it opened.
 */
export function hubApp(app: Probot, options: ApplicationFunctionOptions, hub: HubAppOptions): { enabled: boolean; close(): Promise<void> } {
  const found = hubConfig(hub.env ?? process.env);
  if ("problem" in found) {
    app.log.info(`the hub is off: ${found.problem}`);
    return { enabled: false, close: async () => {} };
  }
  const { config } = found;
  let opened: Promise<SqlDb> | undefined;
  const database = () =>
    (opened ??= (async () => {
      const db = await (hub.database ?? (() => openDatabase(hub.env ?? process.env)))();
      await migrate(db);
      return db;
    })());
  let queries: HubQueries | undefined;
  const sessions = new SqlSessionStore(database, config.clientSecret);

  // Reaches every GitHub App without subscribing: the person took back the app's authorization.
  app.on("github_app_authorization.revoked", async (context) => {
    const ended = await sessions.deleteSessionsOf(context.payload.sender.id);
    app.log.info({ user: context.payload.sender.login, sessions: ended }, "hub: the user revoked the app's authorization; their sessions ended");
  });

  const noScans: ScanQueue = {
    enqueue: async () => {
      throw new Error("the organization inventory is off (MCP_REVIEW_INVENTORY): there is no scan queue");
    },
    close: async () => {},
  };
  options.addHandler(
    hubHandler({
      config,
      sessions,
      queries: async () => (queries ??= new HubQueries(await database())),
      scans: { enqueue: (jobs) => (hub.scans() ?? noScans).enqueue(jobs), close: async () => {} },
      log: app.log,
      ...(hub.now ? { now: hub.now } : {}),
      ...(hub.fetch ? { fetch: hub.fetch } : {}),
    }),
  );
  app.log.info({ callback: config.callbackUrl, github: config.hosts.web }, "the hub is served at /hub");
  return {
    enabled: true,
    async close() {
      if (opened) await (await opened).close();
    },
  };
}
