import { defaultValue, hostOfBind, possibleValues, type DefaultValue } from "./defaults.js";
import type { PythonModule } from "./module.js";
import type { PyNode } from "./parser.js";
import type { PythonProject } from "./project.js";
import { abbreviatePy, callArgs, calleeOf } from "./values.js";

/** MCP transports that open a socket, as FastMCP (both packages) spells them. */
export const HTTP_TRANSPORTS = new Set(["sse", "streamable-http", "http", "streamable_http"]);
const MCP_TRANSPORTS = new Set([...HTTP_TRANSPORTS, "stdio"]);
const SERVERS = /^(?:mcp\.server\.fastmcp(?:\.server)?\.FastMCP|mcp\.server\.mcpserver(?:\.server)?\.MCPServer|fastmcp\.FastMCP|fastmcp\.server(?:\.server)?\.FastMCP)$/;
const RUNNERS = new Set(["uvicorn.run", "uvicorn.Config", "hypercorn.Config", "hypercorn.config.Config"]);
const RUN_METHODS = new Set(["run", "run_async", "run_sse_async", "run_streamable_http_async", "run_http_async"]);

/** A place where a server is told which address to listen on, and what that address is when nothing is configured. */
export interface ListenSite {
  /** The call or assignment that makes the server listen (where a finding points). */
  node: PyNode;
  /** The host expression as written. */
  host: PyNode;
  /** The address it holds by default. */
  value: DefaultValue;
  /** A one-line rendering of the listener for messages. */
  summary: string;
}

/**
 * Where the MCP servers of a module listen: `FastMCP(host=...)`, `mcp.run(transport="sse"|"http"|
 * "streamable-http", host=...)` (also when the transport is a variable whose `if` guard or default
 * names an HTTP transport), `uvicorn.run`/`uvicorn.Config(app, host=...)`, hypercorn's
 * `config.bind = [...]`, and `mcp.settings.host = ...`. Uvicorn and hypercorn count only in a module
 * that is an MCP server (`mcpModule`); a `.run(transport=..., host=...)` whose transport names an MCP
 * transport counts anywhere. Sites whose host has no known default are left out.
 */
export function listenSites(module: PythonModule, project: PythonProject | undefined, mcpModule: boolean): ListenSite[] {
  const out: ListenSite[] = [];
  const add = (node: PyNode, host: PyNode, summary: string) => {
    const value = defaultValue(module, host, project);
    if (value) out.push({ node, host, value, summary });
  };
  for (const call of module.nodesOf("call")) {
    const callee = calleeOf(call)!;
    const args = callArgs(call);
    const host = args.keywords.get("host");
    if (!host) continue;
    const fn = module.qualifiedName(callee) ?? "";
    const isServer = SERVERS.test(fn) && mcpModule;
    const isRunner = RUNNERS.has(fn) && mcpModule;
    const isRun = !isServer && !isRunner && callee.type === "attribute" && RUN_METHODS.has(callee.childForFieldName("attribute")!.text) && httpRun(module, call, project, mcpModule);
    if (isServer || isRunner || isRun) add(call, host, callSummary(call));
  }
  for (const assign of module.nodesOf("assignment")) {
    const left = assign.childForFieldName("left");
    const right = assign.childForFieldName("right");
    if (left?.type !== "attribute" || !right) continue;
    // mcp.settings.host = "0.0.0.0"
    if (mcpModule && /\.settings\.host$/.test(left.text)) add(assign, right, abbreviatePy(assign, 80));
    // hypercorn: config.bind = ["0.0.0.0:8000"]
    else if (mcpModule && left.childForFieldName("attribute")!.text === "bind" && module.importsModule("hypercorn")) {
      const items = right.type === "list" || right.type === "tuple" ? right.namedChildren.filter((c): c is PyNode => !!c) : [right];
      for (const item of items) {
        const bound = hostOfBind(module, item);
        if (!bound) continue;
        if (bound.literal !== undefined) out.push({ node: assign, host: item, value: { value: bound.literal, why: "" }, summary: abbreviatePy(assign, 80) });
        else add(assign, bound.node, abbreviatePy(assign, 80));
      }
    }
  }
  return out;
}

/**
 * `x.run(transport=..., host=...)` serves HTTP: the transport is an HTTP one (literal, guard or default), or
 * unknown in an MCP module. Outside an MCP module the transport must be known to be one of MCP's.
 */
function httpRun(module: PythonModule, call: PyNode, project: PythonProject | undefined, mcpModule: boolean): boolean {
  const args = callArgs(call);
  const transport = args.keywords.get("transport") ?? args.positional[0];
  const known = transport ? possibleValues(module, transport, project) : undefined;
  if (!known) return mcpModule;
  if (!known.values.every((v) => MCP_TRANSPORTS.has(v.replace(/^!/, "")))) return false;
  return isHttpTransport(known.values);
}

/** True when a set of possible transport names (from `possibleValues`) is an HTTP one: every name HTTP, or "anything but stdio". */
export function isHttpTransport(values: readonly string[]): boolean {
  if (values.length === 0) return false;
  if (values.every((v) => HTTP_TRANSPORTS.has(v))) return true;
  return values.every((v) => v.startsWith("!")) && values.includes("!stdio");
}

function callSummary(call: PyNode): string {
  const callee = calleeOf(call)!;
  const args = callArgs(call);
  const text = `${callee.text.replace(/\s+/g, "")}(${[...args.positional.map((a) => abbreviatePy(a, 24)), ...[...args.keywords].map(([k, v]) => `${k}=${abbreviatePy(v, 24)}`)].join(", ")})`;
  return text.length <= 100 ? text : abbreviatePy(call, 100);
}
