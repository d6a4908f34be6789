import type { PythonModule } from "./module.js";
import type { PyNode } from "./parser.js";
import { callArgs, constantString, moduleConstant, unwrapPy } from "./values.js";

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
    const callee = call.childForFieldName("function")!;
    if (callee.type !== "attribute" || !/^run/.test(callee.childForFieldName("attribute")!.text)) continue;
    const transport = callArgs(call).keywords.get("transport") ?? callArgs(call).positional[0];
    const value = transport ? constantString(transport, module) : undefined;
    if (value && HTTP_TRANSPORTS.has(value)) return true;
  }
  return false;
}

/**
 * `FastMCP(host=...)`, `mcp.run(host=...)`, `uvicorn.run(app, host=...)` with a host that is
 * not loopback (a wildcard, a LAN address, or an environment variable whose default is one).
 */
export function networkListens(module: PythonModule): NetworkListen[] {
  const out: NetworkListen[] = [];
  for (const call of module.nodesOf("call")) {
    const callee = call.childForFieldName("function")!;
    const fn = module.qualifiedName(callee) ?? "";
    const isListener = /(?:^|\.)(?:FastMCP|MCPServer)$/.test(fn) || fn === "uvicorn.run" || fn === "uvicorn.Config" || (callee.type === "attribute" && /^run/.test(callee.childForFieldName("attribute")!.text));
    if (!isListener) continue;
    const host = callArgs(call).keywords.get("host");
    const value = host ? hostValue(module, host) : undefined;
    if (value !== undefined && !LOOPBACK.has(value.trim())) out.push({ node: call, host: value });
  }
  return out;
}

function hostValue(module: PythonModule, host: PyNode, depth = 0): string | undefined {
  const node = unwrapPy(host);
  const literal = constantString(node, module);
  if (literal !== undefined) return literal;
  if (node.type === "call" && /^(?:os\.environ\.get|os\.getenv)$/.test(module.qualifiedName(node.childForFieldName("function")!) ?? "")) {
    const fallback = callArgs(node).positional[1];
    return fallback ? constantString(fallback, module) : undefined;
  }
  if (node.type === "identifier" && depth < 3) {
    const value = moduleConstant(module, node.text);
    return value ? hostValue(module, value, depth + 1) : undefined;
  }
  return undefined;
}
