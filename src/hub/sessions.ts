import type { Access } from "./access.js";
import type { UserToken } from "./sign-in.js";

/** A signed-in person, kept on the server; the browser holds only the random id. */
export interface Session {
  id: string;
  userId: number;
  login: string;
  token: UserToken;
  /** The repositories GitHub lists for the user, as last asked. */
  access: Access;
  /** The token every form of this session posts back. */
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
}

/** A sign-in under way: created when the browser is sent to GitHub, spent when it comes back. */
export interface PendingSignIn {
  state: string;
  verifier: string;
  returnTo: string;
  createdAt: number;
}

/** Where sessions live: the inventory's database, so that every web process sees them. */
export interface SessionStore {
  putSession(session: Session): Promise<void>;
  getSession(id: string): Promise<Session | undefined>;
  deleteSession(id: string): Promise<void>;
  /** Ends every session of a user (their authorization was revoked); returns how many. */
  deleteSessionsOf(userId: number): Promise<number>;
  putPendingSignIn(pending: PendingSignIn): Promise<void>;
  /** The pending sign-in of a `state`, removed as it is read: a state is good once. */
  takePendingSignIn(state: string): Promise<PendingSignIn | undefined>;
  /** Drops sessions and pending sign-ins older than the given times. */
  prune(sessionsBefore: number, pendingBefore: number): Promise<void>;
}

/** A session ends this long after sign-in, whatever happens (a user token lasts 8 hours). */
export const SESSION_LIFETIME_MS = 8 * 60 * 60 * 1000;
/** And this long after its last request. */
export const SESSION_IDLE_MS = 60 * 60 * 1000;
/** A sign-in must come back from GitHub within this. */
export const PENDING_SIGN_IN_MS = 10 * 60 * 1000;

export const SESSION_COOKIE = "mcp_review_session";
/** Binds a sign-in's `state` to the browser that started it (login CSRF). */
export const SIGN_IN_COOKIE = "mcp_review_sign_in";

/** True while a session may still be used. */
export function isLive(session: Session, now: number): boolean {
  return now - session.createdAt < SESSION_LIFETIME_MS && now - session.lastSeenAt < SESSION_IDLE_MS;
}

/** A `Set-Cookie` value: HttpOnly, SameSite=Lax, scoped to the hub, Secure when the app is served over https. */
export function cookie(name: string, value: string, options: { secure: boolean; maxAgeSeconds?: number }): string {
  const parts = [`${name}=${value}`, "Path=/hub", "HttpOnly", "SameSite=Lax"];
  if (options.secure) parts.push("Secure");
  if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${options.maxAgeSeconds}`);
  return parts.join("; ");
}

/** A cookie's value from a request's `Cookie` header, if it is there and well formed. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) {
      const value = rest.join("=");
      return /^[A-Za-z0-9_-]{16,128}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}
