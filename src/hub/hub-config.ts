import { gitHubHosts, type GitHubHosts } from "./sign-in.js";

/** What the hub needs: the app's OAuth client (Probot's registration writes it) and where people reach the app. */
export interface HubConfig {
  clientId: string;
  clientSecret: string;
  /** The app's public origin, from APP_URL: `https://mcp-review.example.com`. */
  origin: string;
  /** Where GitHub sends people back: `${origin}/hub/callback`, one of the app's callback URLs. */
  callbackUrl: string;
  /** Cookies are `Secure` when the app is served over https. */
  secure: boolean;
  hosts: GitHubHosts;
}

export const HUB_SETTINGS = ["GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET", "APP_URL"] as const;

/** The hub's configuration, or why there is none: the settings that are missing or wrong. */
export function hubConfig(env: NodeJS.ProcessEnv = process.env): { config: HubConfig } | { problem: string } {
  const missing = HUB_SETTINGS.filter((name) => !env[name]?.trim());
  if (missing.length > 0) return { problem: `set ${missing.join(", ")} to serve the hub at /hub (see the README's "The hub")` };
  let url: URL;
  try {
    url = new URL(env.APP_URL!.trim());
  } catch {
    return { problem: `APP_URL must be the app's public URL, like https://mcp-review.example.com; got "${env.APP_URL}"` };
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || (url.pathname !== "/" && url.pathname !== "") || url.search || url.username) {
    return { problem: `APP_URL must be the app's public origin (https://host[:port], no path), as GitHub reaches /hub/callback under it; got "${env.APP_URL}"` };
  }
  return {
    config: {
      clientId: env.GITHUB_CLIENT_ID!.trim(),
      clientSecret: env.GITHUB_CLIENT_SECRET!.trim(),
      origin: url.origin,
      callbackUrl: `${url.origin}/hub/callback`,
      secure: url.protocol === "https:",
      hosts: gitHubHosts(env),
    },
  };
}
