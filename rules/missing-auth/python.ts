import { hasHttpAuth, networkListens, servesHttp } from "../../src/engine/python/http.js";
import type { PythonRuleContext } from "../../src/engine/python/context.js";
import { abbreviatePy } from "../../src/engine/python/values.js";

/** Text pre-filter: an HTTP transport or an ASGI server. */
export const MENTIONS_PY = /sse|streamable|http|uvicorn|hypercorn/i;

/** The Python check of missing-auth: a FastMCP server served over HTTP beyond loopback with no `auth=`, token verifier or auth middleware. */
export function checkPython(ctx: PythonRuleContext): void {
  if (!ctx.mcp.isMcpServer || !servesHttp(ctx.module) || hasHttpAuth(ctx.module)) return;
  for (const { node, host } of networkListens(ctx.module, ctx.project)) {
    ctx.report({
      node,
      message:
        `\`${abbreviatePy(node, 70)}\` serves this MCP server over HTTP on ${JSON.stringify(host)}, beyond loopback, with no authentication: no \`auth=\` or \`token_verifier=\` on the server and no auth middleware on the app. ` +
        "Anyone who can reach this port — the same network, a container neighbour, the internet behind a port forward — can list and call its tools with the user's privileges.",
      remediation: [
        "Require a bearer token. With the MCP SDK's FastMCP, give the server a token verifier and auth settings:",
        "",
        "```python",
        "from mcp.server.auth.settings import AuthSettings",
        "",
        "mcp = FastMCP(",
        '    "server",',
        "    token_verifier=MyTokenVerifier(),  # implements mcp.server.auth.provider.TokenVerifier",
        '    auth=AuthSettings(issuer_url="https://auth.example.com", resource_server_url="https://mcp.example.com", required_scopes=["mcp"]),',
        ")",
        "```",
        "",
        "(the standalone `fastmcp` package takes `auth=BearerAuthProvider(...)`). For a server meant only for this machine, listen on `127.0.0.1` or use the stdio transport; " +
          "a shared secret checked with `hmac.compare_digest` in a Starlette middleware is the minimum for anything else.",
      ].join("\n"),
    });
  }
}
