import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";
import type { SqlDb } from "../store/sql.js";
import type { PendingSignIn, Session, SessionStore } from "./sessions.js";

/**
 * Sessions and sign-ins under way in the inventory's database (migration 2), so that every web
 * process sees them. The database never holds what a browser presents: rows are keyed by a hash
 * of the session id or `state`, and the user's token, access list and CSRF token are sealed with
 * AES-256-GCM under a key derived from GITHUB_CLIENT_SECRET. A copy of the database alone signs
 * no one in and leaks no token; rotating the client secret ends every session.
 */
export class SqlSessionStore implements SessionStore {
  readonly #key: Buffer;

  constructor(
    private readonly db: () => Promise<SqlDb>,
    secret: string,
  ) {
    this.#key = Buffer.from(hkdfSync("sha256", secret, "mcp-review hub", "session sealing", 32));
  }

  async putSession(session: Session): Promise<void> {
    const db = await this.db();
    const { id, userId, createdAt, lastSeenAt, ...rest } = session;
    await db.run(
      `INSERT INTO hub_sessions (id_hash, user_id, created_at, last_seen_at, sealed) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id_hash) DO UPDATE SET last_seen_at = excluded.last_seen_at, sealed = excluded.sealed`,
      [hash(id), userId, createdAt, lastSeenAt, this.#seal(JSON.stringify(rest))],
    );
  }

  async getSession(id: string): Promise<Session | undefined> {
    const db = await this.db();
    const row = await db.get<{ user_id: number; created_at: number; last_seen_at: number; sealed: string }>("SELECT user_id, created_at, last_seen_at, sealed FROM hub_sessions WHERE id_hash = ?", [hash(id)]);
    if (!row) return undefined;
    const opened = this.#open(row.sealed);
    if (opened === undefined) return undefined;
    const rest = JSON.parse(opened) as Omit<Session, "id" | "userId" | "createdAt" | "lastSeenAt">;
    return { id, userId: Number(row.user_id), createdAt: Number(row.created_at), lastSeenAt: Number(row.last_seen_at), ...rest };
  }

  async deleteSession(id: string): Promise<void> {
    await (await this.db()).run("DELETE FROM hub_sessions WHERE id_hash = ?", [hash(id)]);
  }

  async deleteSessionsOf(userId: number): Promise<number> {
    return (await (await this.db()).run("DELETE FROM hub_sessions WHERE user_id = ?", [userId])).changes;
  }

  async putPendingSignIn(pending: PendingSignIn): Promise<void> {
    const { state, createdAt, ...rest } = pending;
    await (await this.db()).run("INSERT INTO hub_sign_ins (state_hash, created_at, sealed) VALUES (?, ?, ?)", [hash(state), createdAt, this.#seal(JSON.stringify(rest))]);
  }

  async takePendingSignIn(state: string): Promise<PendingSignIn | undefined> {
    // Read and removed in one statement: two callbacks with the same state cannot both have it.
    const row = await (await this.db()).get<{ created_at: number; sealed: string }>("DELETE FROM hub_sign_ins WHERE state_hash = ? RETURNING created_at, sealed", [hash(state)]);
    const opened = row && this.#open(row.sealed);
    if (!row || opened === undefined) return undefined;
    return { state, createdAt: Number(row.created_at), ...(JSON.parse(opened) as Omit<PendingSignIn, "state" | "createdAt">) };
  }

  async prune(sessionsBefore: number, pendingBefore: number): Promise<void> {
    const db = await this.db();
    // Idle ones; a session past its lifetime but still in use ends at its next request (isLive).
    await db.run("DELETE FROM hub_sessions WHERE last_seen_at < ?", [sessionsBefore]);
    await db.run("DELETE FROM hub_sign_ins WHERE created_at < ?", [pendingBefore]);
  }

  #seal(text: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv);
    const body = Buffer.concat([cipher.update(text, "utf8"), cipher.final()]);
    return [iv, cipher.getAuthTag(), body].map((b) => b.toString("base64url")).join(".");
  }

  /** The sealed text, or undefined when it was sealed under another key (the client secret changed) or altered. */
  #open(sealed: string): string | undefined {
    try {
      const [iv, tag, body] = sealed.split(".").map((p) => Buffer.from(p, "base64url"));
      const decipher = createDecipheriv("aes-256-gcm", this.#key, iv!);
      decipher.setAuthTag(tag!);
      return Buffer.concat([decipher.update(body!), decipher.final()]).toString("utf8");
    } catch {
      return undefined;
    }
  }
}

function hash(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}
