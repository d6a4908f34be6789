import semver from "semver";
import { hasHttpAuth } from "../../src/engine/python/http.js";
import type { PythonRuleContext } from "../../src/engine/python/context.js";
import { defaultValue, possibleValues } from "../../src/engine/python/defaults.js";
import { isHttpTransport } from "../../src/engine/python/listen.js";
import type { PythonModule } from "../../src/engine/python/module.js";
import type { PyNode } from "../../src/engine/python/parser.js";
import { abbreviatePy, callArgs, calleeOf, constantString, parametersOf, unwrapPy } from "../../src/engine/python/values.js";
import { pep440ToSemver } from "../vulnerable-mcp-dependency/index.js";

/** Text pre-filter: the SDK's transport security settings, its HTTP transports, or a FastMCP server. */
export const MENTIONS_PY = /dns_rebinding|allowed_hosts|allowed_origins|TransportSecuritySettings|SseServerTransport|StreamableHTTP|FastMCP|\b(?:sse|streamable_http|http)_app\b/;

/** The SDK's low-level HTTP transports: without `security_settings` they check neither Host nor Origin, in every SDK version. */
const LOW_LEVEL = /(?:^|\.)(?:SseServerTransport|StreamableHTTPSessionManager|StreamableHTTPServerTransport)$/;
const OFFICIAL_FASTMCP = /^mcp\.server\.fastmcp(?:\.server)?\.FastMCP$/;
const STANDALONE_FASTMCP = /^fastmcp(?:\.server(?:\.server)?)?\.FastMCP$/;
/** The first `mcp` release whose FastMCP turns the protection on by itself for a loopback host. */
const FASTMCP_PROTECTED_SINCE = "1.23.0";
const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);
/** Host or Origin validation written in the module: Starlette's TrustedHostMiddleware, a header check, fastmcp's own option. */
const VALIDATION = /TrustedHostMiddleware|headers\.get\(\s*b?["'](?:host|origin)["']|headers\[\s*b?["'](?:host|origin)["']\s*\]|http_host_origin_protection|HTTP_HOST_ORIGIN_PROTECTION/i;
const SERVING_METHODS = new Set(["sse_app", "streamable_http_app", "http_app", "run_sse_async", "run_streamable_http_async", "run_http_async"]);

/**
 * The Python check of dns-rebinding:
 * - `TransportSecuritySettings(enable_dns_rebinding_protection=False)` or wildcard allowed hosts/origins;
 * - `SseServerTransport(...)`, `StreamableHTTPSessionManager(...)`, `StreamableHTTPServerTransport(...)` built without `security_settings`;
 * - a FastMCP server served over HTTP without `transport_security` on an `mcp` release before 1.23 (read from the
 *   nearest lockfile or manifest), or a standalone `fastmcp` server served over HTTP without its host/origin protection;
 * - a constructor that takes `TransportSecuritySettings | None = None` and passes the `None` on, so that callers who
 *   omit it get no protection (an SDK or framework whose default is off);
 * in modules without authentication or Host/Origin validation of their own.
 */
export function checkPython(ctx: PythonRuleContext): void {
  const guarded = hasHttpAuth(ctx.module) || VALIDATION.test(ctx.module.text);
  if (ctx.mcp.isMcpServer && !guarded) {
    settingsOff(ctx);
    lowLevelTransports(ctx);
  }
  if (!guarded) fastMcpServers(ctx);
  if (ctx.mcp.isMcpServer) forwardedNone(ctx);
}

function settingsOff(ctx: PythonRuleContext): void {
  for (const call of ctx.module.nodesOf("call")) {
    const fn = ctx.module.qualifiedName(calleeOf(call)!) ?? "";
    if (!/(?:^|\.)TransportSecuritySettings$/.test(fn)) continue;
    const args = callArgs(call);
    const enabled = args.keywords.get("enable_dns_rebinding_protection");
    if (enabled?.text === "False") report(ctx, call, "`enable_dns_rebinding_protection=False` turns off the SDK's Host and Origin checks", "settings");
    else for (const key of ["allowed_hosts", "allowed_origins"]) {
      const list = args.keywords.get(key);
      if (list && wildcard(ctx, list)) report(ctx, call, `\`${key}\` contains \`"*"\`, which accepts any ${key === "allowed_hosts" ? "Host header" : "Origin"}`, "settings");
    }
  }
}

function lowLevelTransports(ctx: PythonRuleContext): void {
  for (const call of ctx.module.nodesOf("call")) {
    const callee = calleeOf(call)!;
    const fn = ctx.module.qualifiedName(callee) ?? "";
    if (!LOW_LEVEL.test(fn)) continue;
    const args = callArgs(call);
    const given = args.keywords.get("security_settings");
    if (args.splat || (given && given.type !== "none")) continue;
    // `T(path, security_settings=s) if s is not None else T(path)`: the bare branch is a fallback for SDKs without the option.
    const choice = unwrapParent(call);
    if (choice?.type === "conditional_expression" && /\bsecurity_settings\s*=/.test(choice.text)) continue;
    const name = callee.text.split(".").pop()!;
    report(ctx, call, `\`${abbreviatePy(call, 60)}\` is built without \`security_settings\`, and the SDK's ${name} then checks neither the Host nor the Origin header (its default leaves DNS-rebinding protection off, in every SDK version)`, "transport");
  }
}

function unwrapParent(node: PyNode): PyNode | null {
  let p = node.parent;
  while (p?.type === "parenthesized_expression") p = p.parent;
  return p;
}

/** A FastMCP server built in this module or imported into it, with the module it lives in. */
interface Server {
  module: PythonModule;
  call: PyNode;
  standalone: boolean;
}

function fastMcpServers(ctx: PythonRuleContext): void {
  if (!/FastMCP|\bmcp\b/.test(ctx.module.text)) return;
  for (const call of ctx.module.nodesOf("call")) {
    const callee = calleeOf(call)!;
    if (callee.type !== "attribute") continue;
    const method = callee.childForFieldName("attribute")!.text;
    let serves = SERVING_METHODS.has(method);
    if (!serves && (method === "run" || method === "run_async")) {
      const args = callArgs(call);
      const transport = args.keywords.get("transport") ?? args.positional[0];
      const values = transport ? possibleValues(ctx.module, transport, ctx.project) : undefined;
      serves = !!values && isHttpTransport(values.values);
    }
    if (!serves) continue;
    const server = serverOf(ctx, callee.childForFieldName("object")!);
    if (!server || server.module !== ctx.module && (hasHttpAuth(server.module) || VALIDATION.test(server.module.text))) continue;
    const args = callArgs(server.call);
    if (args.splat) continue;
    const host = callArgs(call).keywords.get("host") ?? args.keywords.get("host");
    const hostValue = host ? defaultValue(host === args.keywords.get("host") ? server.module : ctx.module, host, ctx.project)?.value : "127.0.0.1";
    if (server.standalone) {
      report(ctx, call, `\`${abbreviatePy(call, 60)}\` serves the \`fastmcp\` server \`${abbreviatePy(server.call, 40)}\` over HTTP, and \`fastmcp\` checks neither the Host nor the Origin header unless its \`http_host_origin_protection\` setting is turned on`, "standalone");
      continue;
    }
    if (args.keywords.has("transport_security")) continue;
    // From 1.23 on, FastMCP protects a server on a loopback host by itself; on any other host, in no release.
    const elsewhere = hostValue !== undefined && !LOOPBACK.has(hostValue);
    const version = sdkVersion(ctx);
    if (!elsewhere && !version?.old) continue;
    const why = !version?.old
      ? `FastMCP turns its Host/Origin checks on by itself only for a loopback host, and this one listens on ${JSON.stringify(hostValue)} by default`
      : `on \`mcp\` ${version!.written} (before ${FASTMCP_PROTECTED_SINCE}) FastMCP then checks neither the Host nor the Origin header`;
    report(ctx, call, `\`${abbreviatePy(call, 60)}\` serves the FastMCP server \`${abbreviatePy(server.call, 40)}\` over HTTP without \`transport_security\`, and ${why}`, "fastmcp");
  }
}

/** The FastMCP constructor call behind a server expression: `mcp` assigned in this module, or imported from another. */
function serverOf(ctx: PythonRuleContext, expr: PyNode): Server | undefined {
  const node = unwrapPy(expr);
  if (node.type !== "identifier") return undefined;
  const local = topLevelValue(ctx.module, node.text);
  if (local) return fastMcpCall(ctx.module, local);
  const binding = ctx.module.imports.get(node.text);
  const target = binding ? ctx.project.target(binding) : undefined;
  const module = target?.name ? ctx.project.moduleAt(target.path) : undefined;
  const value = module ? topLevelValue(module, target!.name!) : undefined;
  return module && value ? fastMcpCall(module, value) : undefined;
}

function fastMcpCall(module: PythonModule, value: PyNode): Server | undefined {
  const call = unwrapPy(value);
  if (call.type !== "call") return undefined;
  const fn = module.qualifiedName(calleeOf(call)!) ?? "";
  if (OFFICIAL_FASTMCP.test(fn)) return { module, call, standalone: false };
  if (STANDALONE_FASTMCP.test(fn)) return { module, call, standalone: true };
  return undefined;
}

function topLevelValue(module: PythonModule, name: string): PyNode | undefined {
  let found: PyNode | undefined;
  for (const stmt of module.root.namedChildren) {
    const expr = stmt?.type === "expression_statement" ? stmt.namedChildren[0] : undefined;
    if (expr?.type === "assignment" && expr.childForFieldName("left")?.text === name) found = expr.childForFieldName("right") ?? undefined;
  }
  return found;
}

/** The `mcp` release the nearest lockfile or manifest pins, when it is known whether it comes before 1.23. */
function sdkVersion(ctx: PythonRuleContext): { old: boolean; written: string } | undefined {
  for (const dep of ctx.declared("mcp")) {
    const range = pep440ToSemver(dep.spec);
    if (!range) continue;
    if (dep.exact) {
      const version = semver.coerce(range.replace(/^=+/, ""))?.version;
      if (version) return { old: semver.lt(version, FASTMCP_PROTECTED_SINCE), written: version };
      continue;
    }
    const valid = semver.validRange(range);
    // A range that cannot reach 1.23 (`mcp<1.20`) is old; any other range may install a protected release.
    if (valid && valid !== "*" && semver.subset(valid, `<${FASTMCP_PROTECTED_SINCE}`)) return { old: true, written: dep.spec };
  }
  return undefined;
}

/**
 * `def __init__(self, ..., transport_security: TransportSecuritySettings | None = None)` whose `None` is passed on
 * unchanged: whoever omits the argument gets a transport whose DNS-rebinding protection is off.
 */
function forwardedNone(ctx: PythonRuleContext): void {
  if (!ctx.module.text.includes("TransportSecuritySettings")) return;
  for (const fn of ctx.module.nodesOf("function_definition")) {
    for (const param of parametersOf(fn)) {
      if (!param.type || !/TransportSecuritySettings/.test(param.type) || !/None/.test(param.type)) continue;
      const value = param.node.childForFieldName("value");
      if (value?.type !== "none") continue;
      const body = fn.childForFieldName("body");
      if (!body || !usedAsIs(body, param.name) || handedToFastMcp(ctx, body, param.name)) continue;
      report(ctx, param.node, `\`${ownerName(fn)}(…, ${abbreviatePy(param.node, 60)})\` passes its \`None\` default on as is, so a server built without \`${param.name}\` gets a transport that checks neither the Host nor the Origin header (DNS-rebinding protection off by default)`, "default");
    }
  }
}

/** `FastMCP` for its `__init__`, `Server.sse_app` for another method, the name of a plain function. */
function ownerName(fn: PyNode): string {
  const name = fn.childForFieldName("name")!.text;
  let cls: PyNode | null = fn.parent;
  while (cls && cls.type !== "class_definition" && cls.type !== "function_definition") cls = cls.parent;
  if (cls?.type !== "class_definition") return name;
  const owner = cls.childForFieldName("name")!.text;
  return name === "__init__" ? owner : `${owner}.${name}`;
}

/** `FastMCP(..., transport_security=param)`: FastMCP chooses the default itself (protected for loopback from 1.23). */
function handedToFastMcp(ctx: PythonRuleContext, body: PyNode, name: string): boolean {
  for (const call of body.descendantsOfType("call")) {
    const fn = call ? ctx.module.qualifiedName(calleeOf(call)!) ?? "" : "";
    if (!/(?:^|\.)(?:FastMCP|MCPServer)$/.test(fn)) continue;
    if ([...callArgs(call!).keywords.values()].some((v) => v.text === name)) return true;
  }
  return false;
}

/** The parameter is read, and never replaced, tested against None, or given a fallback with `or`. */
function usedAsIs(body: PyNode, name: string): boolean {
  let read = false;
  for (const ident of body.descendantsOfType("identifier")) {
    if (ident?.text !== name) continue;
    const parent = ident.parent!;
    if ((parent.type === "assignment" || parent.type === "augmented_assignment") && parent.childForFieldName("left")?.id === ident.id) return false;
    if (parent.type === "boolean_operator" || parent.type === "conditional_expression" || parent.type === "not_operator") return false;
    if (parent.type === "comparison_operator" && /\bis\b/.test(parent.text)) return false;
    if (parent.type === "attribute" && parent.childForFieldName("attribute")?.id === ident.id) continue;
    read = true;
  }
  return read;
}

function wildcard(ctx: PythonRuleContext, list: PyNode): boolean {
  return list.namedChildren.some((e) => !!e && /^\*(?::\*)?$/.test(constantString(e, ctx.module) ?? ""));
}

type Kind = "settings" | "transport" | "fastmcp" | "standalone" | "default";

function report(ctx: PythonRuleContext, node: PyNode, what: string, kind: Kind): void {
  ctx.report({
    node,
    message:
      `${what}${kind === "default" ? "" : ", and this MCP server has no authentication"}. A web page the user visits can rebind its own domain name to 127.0.0.1 and call the local server's tools from the browser (DNS rebinding); the MCP specification requires servers to validate the Origin header.`,
    remediation: REMEDIATION[kind],
  });
}

const SETTINGS = [
  "```python",
  "from mcp.server.transport_security import TransportSecuritySettings",
  "",
  "security = TransportSecuritySettings(",
  "    enable_dns_rebinding_protection=True,",
  '    allowed_hosts=["127.0.0.1:8000", "localhost:8000"],',
  '    allowed_origins=["http://127.0.0.1:8000", "http://localhost:8000"],',
  ")",
  "```",
];

const REMEDIATION: Record<Kind, string> = {
  settings: ["Keep DNS-rebinding protection on and list the hosts and origins the server really answers to:", "", ...SETTINGS, "", "and require a bearer token on the endpoint if it is reachable from anywhere but this machine."].join("\n"),
  transport: [
    "Pass security settings that turn the protection on and list the hosts and origins the server answers to:",
    "",
    ...SETTINGS,
    "",
    '```python\nsse = SseServerTransport("/messages/", security_settings=security)\nmanager = StreamableHTTPSessionManager(app=server, security_settings=security)\n```',
    "",
    "Requiring a bearer token on the endpoint also defeats the attack: the attacker's page does not have it.",
  ].join("\n"),
  fastmcp: [
    "Upgrade `mcp` to 1.23.0 or later, where FastMCP on a loopback host validates Host and Origin by itself, or pass the settings explicitly:",
    "",
    ...SETTINGS,
    "",
    '```python\nmcp = FastMCP("server", transport_security=security)\n```',
  ].join("\n"),
  standalone: [
    "Turn on fastmcp's Host/Origin protection where your fastmcp release has it (`FASTMCP_HTTP_HOST_ORIGIN_PROTECTION=true`, or `fastmcp.settings.http_host_origin_protection = True` with `http_allowed_hosts`), or validate the Host header in a middleware:",
    "",
    "```python",
    "from starlette.middleware import Middleware",
    "from starlette.middleware.trustedhost import TrustedHostMiddleware",
    "",
    'mcp.run(transport="http", middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost"])])',
    "```",
    "",
    "Requiring a bearer token (`auth=` on the server) also defeats the attack.",
  ].join("\n"),
  default: [
    "Give the parameter a protective default instead of passing `None` on: when the caller gives no settings and the server listens on a loopback host, enable the protection with the loopback hosts and origins:",
    "",
    "```python",
    'if transport_security is None and host in ("127.0.0.1", "localhost", "::1"):',
    "    transport_security = TransportSecuritySettings(",
    "        enable_dns_rebinding_protection=True,",
    '        allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],',
    '        allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],',
    "    )",
    "```",
  ].join("\n"),
};
