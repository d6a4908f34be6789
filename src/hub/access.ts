import type { GitHubHosts } from "./sign-in.js";

/**
 * What one person may see: the repositories GitHub lists for them in each installation of this
 * app, by numeric id, and those they may write to (a rescan is a write).
 */
export interface Access {
  repositoryIds: number[];
  writable: number[];
  /** When GitHub was asked (ms since the epoch): asked again after ACCESS_TTL_MS at most. */
  checkedAt: number;
}

/** How long a person's repository list is trusted before GitHub is asked again. */
export const ACCESS_TTL_MS = 15 * 60 * 1000;

export class AccessError extends Error {
  constructor(
    message: string,
    /** 401: the token is no longer good (revoked, expired): the session ends. */
    readonly status: number,
  ) {
    super(message);
  }
}

const WRITE = ["admin", "maintain", "push"] as const;

/** Asks GitHub which repositories of this app's installations the token's user may read: `GET /user/installations`, then each one's repositories. */
export async function readAccess(hosts: GitHubHosts, token: string, fetchFn: typeof fetch = fetch, now = Date.now()): Promise<Access> {
  const installations = await pages<{ id: number }>(hosts, "/user/installations", "installations", token, fetchFn);
  const readable = new Set<number>();
  const writable = new Set<number>();
  for (const installation of installations) {
    const repos = await pages<{ id: number; permissions?: Record<string, boolean> }>(hosts, `/user/installations/${installation.id}/repositories`, "repositories", token, fetchFn);
    for (const repo of repos) {
      readable.add(repo.id);
      if (WRITE.some((p) => repo.permissions?.[p])) writable.add(repo.id);
    }
  }
  return { repositoryIds: [...readable].sort((a, b) => a - b), writable: [...writable].sort((a, b) => a - b), checkedAt: now };
}

/** Every page of a list, following `Link: rel="next"` (at most 50 pages of 100). */
async function pages<T>(hosts: GitHubHosts, path: string, key: string, token: string, fetchFn: typeof fetch): Promise<T[]> {
  const out: T[] = [];
  let url: string | undefined = `${hosts.api}${path}?per_page=100`;
  for (let page = 0; url && page < 50; page++) {
    const response: Response = await fetchFn(url, {
      headers: { accept: "application/vnd.github+json", authorization: `Bearer ${token}`, "x-github-api-version": "2022-11-28", "user-agent": "mcp-review-hub" },
    });
    if (!response.ok) throw new AccessError(`GitHub answered ${response.status} for ${path}`, response.status);
    const data = (await response.json()) as Record<string, unknown>;
    out.push(...((data[key] as T[] | undefined) ?? []));
    url = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get("link") ?? "")?.[1];
    // Follow only links on the API host: a Link header is data, not a place to send the token.
    if (url && !url.startsWith(`${hosts.api}/`)) url = undefined;
  }
  return out;
}
