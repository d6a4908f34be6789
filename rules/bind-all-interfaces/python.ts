import type { PythonRuleContext } from "../../src/engine/python/context.js";
import type { PyNode } from "../../src/engine/python/parser.js";
import { abbreviatePy, callArgs, constantString, moduleConstant, unwrapPy } from "../../src/engine/python/values.js";

const ALL_INTERFACES = new Set(["0.0.0.0", "::", "::0", "0:0:0:0:0:0:0:0", "[::]", "*", ""]);
const HTTP_TRANSPORTS = new Set(["sse", "streamable-http", "http", "streamable_http"]);
const SERVERS = /^(?:mcp\.server\.fastmcp(?:\.server)?\.FastMCP|mcp\.server\.mcpserver(?:\.server)?\.MCPServer|fastmcp\.FastMCP|fastmcp\.server\.FastMCP)$/;
const RUNNERS = new Set(["uvicorn.run", "uvicorn.Config", "hypercorn.Config"]);

/** Text pre-filter: a wildcard address, or a host taken from the environment. */
export const MENTIONS_PY = /0\.0\.0\.0|["']::["']|\bhost\b/i;

/** The Python check of bind-all-interfaces: `FastMCP(host="0.0.0.0")`, `mcp.run(transport="sse", host=...)`, `uvicorn.run(app, host=...)`, `mcp.settings.host = ...`. */
export function checkPython(ctx: PythonRuleContext): void {
  if (!ctx.mcp.isMcpServer) return;
  for (const call of ctx.module.nodesOf("call")) {
    const callee = call.childForFieldName("function")!;
    const fn = ctx.module.qualifiedName(callee) ?? "";
    const args = callArgs(call);
    const host = args.keywords.get("host");
    if (!host) continue;
    const isServer = SERVERS.test(fn);
    const isRun = callee.type === "attribute" && ["run", "run_async", "run_sse_async", "run_streamable_http_async", "run_http_async"].includes(callee.childForFieldName("attribute")!.text) && isHttpRun(ctx, call);
    if (!isServer && !isRun && !RUNNERS.has(fn)) continue;
    const verdict = judge(ctx, host);
    if (!verdict) continue;
    report(ctx, call, host, verdict, `${callee.text.replace(/\s+/g, "")}(${[...args.positional.map((a) => abbreviatePy(a, 24)), ...[...args.keywords].map(([k, v]) => `${k}=${abbreviatePy(v, 24)}`)].join(", ")})`);
  }
  // `mcp.settings.host = "0.0.0.0"`
  for (const assign of ctx.module.nodesOf("assignment")) {
    const left = assign.childForFieldName("left");
    const right = assign.childForFieldName("right");
    if (left?.type !== "attribute" || !right || !/\.settings\.host$/.test(left.text)) continue;
    const verdict = judge(ctx, right);
    if (verdict) report(ctx, assign, right, verdict, assign.text.replace(/\s+/g, " "));
  }
}

/** `mcp.run()` listens only for an HTTP transport; stdio has no socket. */
function isHttpRun(ctx: PythonRuleContext, call: PyNode): boolean {
  const transport = callArgs(call).keywords.get("transport");
  const value = transport ? constantString(transport, ctx.module) : undefined;
  return value === undefined ? true : HTTP_TRANSPORTS.has(value);
}

/** A human description of why the host means every interface, or undefined. */
function judge(ctx: PythonRuleContext, host: PyNode, depth = 0): string | undefined {
  const node = unwrapPy(host);
  const literal = constantString(node, ctx.module);
  if (literal !== undefined) {
    if (!ALL_INTERFACES.has(literal.trim())) return undefined;
    if (node.type === "identifier") return `every interface: \`${node.text}\` is ${JSON.stringify(literal)}, the wildcard address`;
    return literal === "" ? "every interface: an empty host is the wildcard address" : `every interface: ${JSON.stringify(literal)} is the wildcard address`;
  }
  // os.environ.get("HOST", "0.0.0.0"), os.getenv("HOST", "0.0.0.0"), or a name assigned from one.
  if (node.type === "call") {
    const fn = ctx.module.qualifiedName(node.childForFieldName("function")!) ?? "";
    if (fn === "os.environ.get" || fn === "os.getenv") {
      const [name, fallback] = callArgs(node).positional;
      const value = fallback ? constantString(fallback, ctx.module) : undefined;
      if (value !== undefined && ALL_INTERFACES.has(value.trim())) return `every interface whenever the \`${name ? constantString(name, ctx.module) : "host"}\` environment variable is unset (the fallback ${JSON.stringify(value)} is the wildcard address)`;
    }
    return undefined;
  }
  if (node.type === "boolean_operator" && node.childForFieldName("operator")?.type === "or") return judge(ctx, node.childForFieldName("right")!, depth + 1);
  if (node.type === "identifier" && depth < 3) {
    const value = moduleConstant(ctx.module, node.text);
    return value ? judge(ctx, value, depth + 1) : undefined;
  }
  return undefined;
}

function report(ctx: PythonRuleContext, node: PyNode, host: PyNode, why: string, summary: string): void {
  const fixed = node.text.replace(host.text, '"127.0.0.1"');
  ctx.report({
    node,
    message:
      `\`${abbreviatePy(node, 80).length < 80 ? summary : abbreviatePy(node, 80)}\` makes this MCP server listen on ${why}. Anyone who can reach this machine over the network — the same Wi-Fi, office LAN or container network — can connect and call its tools with the user's privileges ("NeighborJack").`,
    remediation: [
      "Listen on the loopback interface only:",
      "",
      "```python",
      fixed,
      "```",
      "",
      "A local MCP server needs no other interface: clients on the same machine reach it at `http://127.0.0.1:<port>`. " +
        "If it must be reachable from other machines, do not expose it directly: put authentication (a bearer token or OAuth check on every request) and TLS in front of it, e.g. a reverse proxy, and bind to that specific interface rather than all of them.",
    ].join("\n"),
  });
}
