import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { INSTALLATION, installationRepositories, type FakeUser } from "./hub-fixture.js";

/**
 * GitHub's sign-in and the user endpoints the hub reads, as a real server on loopback, for a real
 * browser: GHE_HOST points the hub here (so this is also the Enterprise Server path). Authorizing
 * is automatic for `user`, as if they had clicked "Authorize"; the token endpoint checks the
 * client, the redirect URI and the PKCE verifier as GitHub does.
 */
export interface FakeGitHubSignIn {
  host: string;
  /** Every authorization the browser was sent to, with its parameters. */
  authorizations: URLSearchParams[];
  close(): Promise<void>;
}

export async function startFakeGitHubSignIn(options: { clientId: string; clientSecret: string; user: FakeUser }): Promise<FakeGitHubSignIn> {
  const codes = new Map<string, { challenge: string; redirectUri: string }>();
  const authorizations: URLSearchParams[] = [];
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const authorized = () => req.headers.authorization === `Bearer ${options.user.token}`;
    if (req.method === "GET" && url.pathname === "/login/oauth/authorize") {
      authorizations.push(url.searchParams);
      const redirect = url.searchParams.get("redirect_uri")!;
      if (url.searchParams.get("client_id") !== options.clientId || url.searchParams.get("code_challenge_method") !== "S256") return json(400, { error: "bad request" });
      const code = randomBytes(10).toString("hex");
      codes.set(code, { challenge: url.searchParams.get("code_challenge")!, redirectUri: redirect });
      const back = new URL(redirect);
      back.searchParams.set("code", code);
      back.searchParams.set("state", url.searchParams.get("state")!);
      res.writeHead(302, { location: back.toString() });
      return res.end();
    }
    if (req.method === "POST" && url.pathname === "/login/oauth/access_token") {
      const body = JSON.parse(await read(req)) as Record<string, string>;
      const grant = codes.get(body.code ?? "");
      codes.delete(body.code ?? "");
      const verified = grant && createHash("sha256").update(body.code_verifier ?? "").digest("base64url") === grant.challenge;
      if (body.client_id !== options.clientId || body.client_secret !== options.clientSecret || !verified || body.redirect_uri !== grant.redirectUri) return json(200, { error: "bad_verification_code" });
      return json(200, { access_token: options.user.token, token_type: "bearer", expires_in: 28800, refresh_token: "ghr_fake", refresh_token_expires_in: 15897600 });
    }
    if (req.method === "GET" && url.pathname === "/api/v3/user") return authorized() ? json(200, { id: options.user.id, login: options.user.login }) : json(401, { message: "Bad credentials" });
    if (req.method === "GET" && url.pathname === "/api/v3/user/installations") return authorized() ? json(200, { total_count: 1, installations: [{ id: INSTALLATION }] }) : json(401, { message: "Bad credentials" });
    if (req.method === "GET" && url.pathname === `/api/v3/user/installations/${INSTALLATION}/repositories`) return authorized() ? json(200, installationRepositories(options.user)) : json(401, { message: "Bad credentials" });
    json(404, { message: "Not Found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    authorizations,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function read(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
