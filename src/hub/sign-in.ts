import { createHash, randomBytes } from "node:crypto";

/**
 * Signing in with the GitHub App's own user authorization (the web flow), with `state` and PKCE
 * (S256). The endpoints follow GHE_HOST and GHE_PROTOCOL as the API does: `/login/oauth/authorize`
 * and `/login/oauth/access_token` on that host. Tokens stay on the server.
 */
export interface GitHubHosts {
  /** Where people sign in: `https://github.com`, or the GitHub Enterprise Server. */
  web: string;
  /** The REST API: `https://api.github.com`, or `<server>/api/v3`. */
  api: string;
}

export function gitHubHosts(env: NodeJS.ProcessEnv): GitHubHosts {
  const host = env.GHE_HOST?.trim();
  if (!host) return { web: "https://github.com", api: "https://api.github.com" };
  const protocol = (env.GHE_PROTOCOL?.trim() || "https").replace(/:$/, "");
  return { web: `${protocol}://${host}`, api: `${protocol}://${host}/api/v3` };
}

/** A random value for `state`, a session id or a CSRF token: 32 bytes, base64url. */
export function randomToken(): string {
  return randomBytes(32).toString("base64url");
}

/** A PKCE verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(48).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export function authorizeUrl(hosts: GitHubHosts, params: { clientId: string; redirectUri: string; state: string; challenge: string }): string {
  const url = new URL("/login/oauth/authorize", hosts.web);
  url.searchParams.set("client_id", params.clientId);
  url.searchParams.set("redirect_uri", params.redirectUri);
  url.searchParams.set("state", params.state);
  url.searchParams.set("code_challenge", params.challenge);
  url.searchParams.set("code_challenge_method", "S256");
  return url.toString();
}

/** A user's token, as GitHub hands it back; GitHub App user tokens expire (8 hours), refresh tokens rotate. */
export interface UserToken {
  accessToken: string;
  expiresAt?: number;
  refreshToken?: string;
  refreshExpiresAt?: number;
}

export class SignInError extends Error {}

/** Trades the authorization code (with the PKCE verifier) for the user's token. */
export async function exchangeCode(
  hosts: GitHubHosts,
  params: { clientId: string; clientSecret: string; code: string; redirectUri: string; verifier: string },
  fetchFn: typeof fetch = fetch,
  now = Date.now(),
): Promise<UserToken> {
  return tokenRequest(hosts, { client_id: params.clientId, client_secret: params.clientSecret, code: params.code, redirect_uri: params.redirectUri, code_verifier: params.verifier }, fetchFn, now);
}

/** A new token from a refresh token, when the user token has expired. */
export async function refreshToken(hosts: GitHubHosts, params: { clientId: string; clientSecret: string; refreshToken: string }, fetchFn: typeof fetch = fetch, now = Date.now()): Promise<UserToken> {
  return tokenRequest(hosts, { client_id: params.clientId, client_secret: params.clientSecret, grant_type: "refresh_token", refresh_token: params.refreshToken }, fetchFn, now);
}

async function tokenRequest(hosts: GitHubHosts, body: Record<string, string>, fetchFn: typeof fetch, now: number): Promise<UserToken> {
  const response = await fetchFn(new URL("/login/oauth/access_token", hosts.web), {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const data = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  // GitHub answers 200 with an `error` field when the code is wrong, expired or the verifier does not match.
  if (!response.ok || typeof data.access_token !== "string") {
    throw new SignInError(`GitHub refused the sign-in${typeof data.error === "string" ? ` (${data.error})` : ` (HTTP ${response.status})`}`);
  }
  const seconds = (key: string) => (typeof data[key] === "number" ? now + (data[key] as number) * 1000 : undefined);
  return {
    accessToken: data.access_token,
    ...(seconds("expires_in") ? { expiresAt: seconds("expires_in") } : {}),
    ...(typeof data.refresh_token === "string" ? { refreshToken: data.refresh_token } : {}),
    ...(seconds("refresh_token_expires_in") ? { refreshExpiresAt: seconds("refresh_token_expires_in") } : {}),
  };
}

/**
 * Where to go after signing in: a path of this app under `/hub`, never another origin. Anything
 * else (`//evil.example`, `https://…`, `/\evil`, a path outside the hub) falls back to `/hub`.
 */
export function safeReturnPath(target: string | null | undefined): string {
  if (!target || !target.startsWith("/hub") || /^\/hub[^/?#]/.test(target)) return "/hub";
  if (/[\\\u0000-\u001f\u007f]/.test(target) || target.startsWith("//")) return "/hub";
  try {
    const url = new URL(target, "http://local.invalid");
    return url.origin === "http://local.invalid" && url.pathname.startsWith("/hub") ? `${url.pathname}${url.search}` : "/hub";
  } catch {
    return "/hub";
  }
}
