import type { PythonModule } from "./module.js";
import type { PyNode } from "./parser.js";
import { listenSites } from "./listen.js";
import type { PythonProject } from "./project.js";
import { callArgs, calleeOf, constantString } from "./values.js";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]", "0:0:0:0:0:0:0:1"]);
const HTTP_TRANSPORTS = new Set(["sse", "streamable-http", "http", "streamable_http"]);
const AUTH_TEXT =
  /\b(?:auth|auth_server_provider|token_verifier|auth_provider)\s*=|AuthenticationMiddleware|BearerAuth\w*|(?:add_middleware|Middleware)\([^)]*(?:Auth|Token|Bearer|ApiKey|APIKey|JWT|Jwt)|\brequire_auth\b|\bverify_token\b|\bcheck_api_key\b/;

/** Where an MCP HTTP server is told to listen beyond loopback: the call and a description of the host. */
export interface NetworkListen {
  node: PyNode;
  host: string;
}

/** True when the module configures authentication for its MCP server or HTTP app (by the SDK's parameters or middleware names). */
export function hasHttpAuth(module: PythonModule): boolean {
  return AUTH_TEXT.test(module.text);
}

/** True when the module serves MCP over HTTP (SSE or Streamable HTTP). */
export function servesHttp(module: PythonModule): boolean {
  if (/\b(?:sse_app|streamable_http_app|http_app)\s*\(/.test(module.text)) return true;
  for (const call of module.nodesOf("call")) {
    const callee = calleeOf(call)!;
    if (callee.type !== "attribute" || !/^run/.test(callee.childForFieldName("attribute")!.text)) continue;
    const transport = callArgs(call).keywords.get("transport") ?? callArgs(call).positional[0];
    const value = transport ? constantString(transport, module) : undefined;
    if (value && HTTP_TRANSPORTS.has(value)) return true;
  }
  return false;
}

/**
 * `FastMCP(host=...)`, `mcp.run(host=...)`, `uvicorn.run(app, host=...)` with a host that is
 * not loopback by default (a wildcard, a LAN address, an environment variable's or option's default).
 */
export function networkListens(module: PythonModule, project?: PythonProject): NetworkListen[] {
  return listenSites(module, project, true)
    .filter((site) => !LOOPBACK.has(site.value.value.trim()))
    .map((site) => ({ node: site.node, host: site.value.value }));
}
