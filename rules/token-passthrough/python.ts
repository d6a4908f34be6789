import type { PythonRuleContext } from "../../src/engine/python/context.js";
import type { PyNode } from "../../src/engine/python/parser.js";
import { abbreviatePy, callArgs, calleeOf, constantString, enclosingFunction, unwrapPy } from "../../src/engine/python/values.js";
import { passthroughMessage } from "./message.js";

/** Text pre-filter: the incoming Authorization header, a verified access token, or the incoming header set. */
export const MENTIONS_PY = /authorization|get_access_token|get_http_headers|\.headers\b/i;

/** The request the MCP server received: Starlette's, fastmcp's `get_http_request()`, the low-level request context's. */
const INCOMING_REQUEST = /^(?:request|req|http_request|incoming(?:_request)?|get_http_request\(\)|(?:\w+\.)*request_context\.request|ctx\.request)$/;
/** String methods that keep the token: `auth.split()[1]`, `auth.removeprefix("Bearer ")`. */
const KEEPS = new Set(["split", "strip", "lstrip", "rstrip", "replace", "removeprefix", "partition", "rpartition", "encode", "decode", "format"]);
const OUTGOING_CALL = /(?:^|\.)(?:get|post|put|patch|delete|head|options|request|stream|send|build_request|Client|AsyncClient|Session|ClientSession|Request|urlopen)$/;

/**
 * The Python check of token-passthrough: the client's own credential sent on to another service —
 * `headers={"Authorization": request.headers["authorization"]}`, `session.headers["Authorization"] = f"Bearer {token}"`
 * where the token is the incoming header or fastmcp's/the SDK's `get_access_token().token`, and whole incoming header
 * sets (`headers=dict(request.headers)`, `get_http_headers(include_all=True)`) passed to an outgoing request.
 */
export function checkPython(ctx: PythonRuleContext): void {
  if (!ctx.mcp.isMcpServer) return;
  // {"Authorization": <incoming>} as outgoing headers.
  for (const pair of ctx.module.root.descendantsOfType("pair")) {
    if (!pair || !/^authorization$/i.test(constantString(pair.childForFieldName("key")!, ctx.module) ?? "")) continue;
    const value = pair.childForFieldName("value")!;
    if (isOutgoingHeaders(ctx, pair.parent!) && derivesFromIncoming(ctx, value)) report(ctx, pair, `\`${abbreviatePy(pair, 60)}\` sends the client's own token`);
  }
  for (const assign of ctx.module.nodesOf("assignment")) {
    const left = assign.childForFieldName("left");
    const right = assign.childForFieldName("right");
    if (!left || !right) continue;
    // client.headers["Authorization"] = f"Bearer {token}"
    if (left.type === "subscript" && /^authorization$/i.test(constantString(left.childForFieldName("subscript")!, ctx.module) ?? "")) {
      const target = left.childForFieldName("value")!;
      if (/headers/i.test(target.text) && !isIncoming(target) && derivesFromIncoming(ctx, right)) report(ctx, assign, `\`${abbreviatePy(assign, 60)}\` sends the client's own token`);
    }
  }
  // headers=dict(request.headers), headers=get_http_headers(include_all=True) on an outgoing request.
  for (const call of ctx.module.nodesOf("call")) {
    const callee = calleeOf(call)!;
    if (!OUTGOING_CALL.test(callee.text)) continue;
    const headers = callArgs(call).keywords.get("headers");
    if (headers && incomingHeaderSet(ctx, headers)) report(ctx, headers.parent!, `\`${abbreviatePy(headers.parent!, 60)}\` forwards every incoming header, the client's Authorization token included,`);
  }
}

/** A dictionary that is the `headers=` of a call, or assigned to a name or attribute that says headers, or merged into one. */
function isOutgoingHeaders(ctx: PythonRuleContext, dict: PyNode): boolean {
  if (dict.type !== "dictionary") return false;
  const parent = dict.parent;
  if (parent?.type === "keyword_argument") return /headers/i.test(parent.childForFieldName("name")!.text);
  if (parent?.type === "assignment") {
    const left = parent.childForFieldName("left")!;
    return /headers/i.test(left.text) && !isIncoming(left);
  }
  // session.headers.update({...})
  const call = parent?.type === "argument_list" ? parent.parent : undefined;
  const callee = call?.childForFieldName("function");
  return callee?.type === "attribute" && callee.childForFieldName("attribute")!.text === "update" && /headers/i.test(callee.childForFieldName("object")!.text) && !isIncoming(callee.childForFieldName("object")!);
}

/** `request.headers` and its kin: the header set the server received. */
function isIncoming(expr: PyNode): boolean {
  const e = unwrapPy(expr);
  if (e.type !== "attribute" || e.childForFieldName("attribute")!.text !== "headers") return false;
  return INCOMING_REQUEST.test(e.childForFieldName("object")!.text.replace(/\s+/g, ""));
}

/** The incoming Authorization value or the verified token: `request.headers.get("authorization")`, `request.headers["Authorization"]`, `get_access_token().token`. */
function isIncomingToken(ctx: PythonRuleContext, expr: PyNode): boolean {
  const e = unwrapPy(expr);
  if (e.type === "subscript") return isIncomingHeaders(ctx, e.childForFieldName("value")!) && /^authorization$/i.test(constantString(e.childForFieldName("subscript")!, ctx.module) ?? "");
  if (e.type === "call") {
    const callee = e.childForFieldName("function")!;
    if (callee.type === "attribute" && callee.childForFieldName("attribute")!.text === "get") {
      const key = callArgs(e).positional[0];
      return !!key && /^authorization$/i.test(constantString(key, ctx.module) ?? "") && isIncomingHeaders(ctx, callee.childForFieldName("object")!);
    }
    return false;
  }
  if (e.type === "attribute" && e.childForFieldName("attribute")!.text === "token") {
    const object = unwrapPy(e.childForFieldName("object")!);
    if (object.type === "call") return /(?:^|\.)get_access_token$/.test(ctx.module.qualifiedName(object.childForFieldName("function")!) ?? "");
    if (object.type === "identifier") return localValues(object).some((v) => v.type === "call" && /(?:^|\.)get_access_token$/.test(ctx.module.qualifiedName(v.childForFieldName("function")!) ?? ""));
  }
  return false;
}

/** An incoming header set, directly or through a local name: `request.headers`, `headers = request.headers`, `get_http_headers(include_all=True)`. */
function isIncomingHeaders(ctx: PythonRuleContext, expr: PyNode, depth = 0): boolean {
  const e = unwrapPy(expr);
  if (isIncoming(e)) return true;
  if (e.type === "call" && /(?:^|\.)get_http_headers$/.test(ctx.module.qualifiedName(e.childForFieldName("function")!) ?? "")) return true;
  if (e.type === "identifier" && depth < 3) return localValues(e).some((v) => isIncomingHeaders(ctx, v, depth + 1));
  return false;
}

/** The whole incoming header set, Authorization included: `request.headers`, `dict(request.headers)`, `{**request.headers}`, `get_http_headers(include_all=True)` or with `include={"authorization"}`. */
function incomingHeaderSet(ctx: PythonRuleContext, expr: PyNode, depth = 0): boolean {
  const e = unwrapPy(expr);
  if (isIncoming(e)) return true;
  if (e.type === "call") {
    const fn = ctx.module.qualifiedName(e.childForFieldName("function")!) ?? "";
    const args = callArgs(e);
    if (/(?:^|\.)get_http_headers$/.test(fn)) {
      const include = args.keywords.get("include");
      return args.keywords.get("include_all")?.text === "True" || (!!include && /authorization/i.test(include.text));
    }
    if (fn === "dict" && args.positional[0]) return incomingHeaderSet(ctx, args.positional[0], depth);
    return false;
  }
  if (e.type === "dictionary") return e.namedChildren.some((c) => c?.type === "dictionary_splat" && incomingHeaderSet(ctx, c.namedChildren[0]!, depth));
  if (e.type === "identifier" && depth < 3) return localValues(e).some((v) => incomingHeaderSet(ctx, v, depth + 1));
  return false;
}

/** The expression, or a local name it reads (followed four steps), holds the incoming token; string handling keeps it, other calls end it. */
function derivesFromIncoming(ctx: PythonRuleContext, expr: PyNode, depth = 0): boolean {
  if (depth > 4) return false;
  const e = unwrapPy(expr);
  if (isIncomingToken(ctx, e)) return true;
  switch (e.type) {
    case "identifier":
      return localValues(e).some((v) => derivesFromIncoming(ctx, v, depth + 1));
    case "string":
      return e.namedChildren.some((c) => c?.type === "interpolation" && derivesFromIncoming(ctx, c.namedChildren[0]!, depth));
    case "binary_operator":
    case "concatenated_string":
      return e.namedChildren.some((c) => !!c && derivesFromIncoming(ctx, c, depth));
    case "subscript":
      return derivesFromIncoming(ctx, e.childForFieldName("value")!, depth);
    case "conditional_expression":
    case "boolean_operator":
      return e.namedChildren.some((c) => !!c && derivesFromIncoming(ctx, c, depth));
    case "call": {
      const callee = e.childForFieldName("function")!;
      if (callee.type === "attribute" && KEEPS.has(callee.childForFieldName("attribute")!.text)) {
        const receiver = callee.childForFieldName("object")!;
        // "Bearer {}".format(token) keeps its argument; token.split()[1] keeps its receiver.
        return derivesFromIncoming(ctx, receiver, depth) || callArgs(e).positional.some((a) => derivesFromIncoming(ctx, a, depth));
      }
      if (callee.text === "str") return callArgs(e).positional.some((a) => derivesFromIncoming(ctx, a, depth));
      return false;
    }
    default:
      return false;
  }
}

/** Every value assigned to a name in its function (or at module level), for following a variable. */
function localValues(ident: PyNode): PyNode[] {
  const scope = enclosingFunction(ident) ?? rootOf(ident);
  const out: PyNode[] = [];
  for (const assign of scope.descendantsOfType(["assignment", "named_expression"])) {
    if (!assign || enclosingFunction(assign)?.id !== enclosingFunction(ident)?.id) continue;
    const left = assign.childForFieldName(assign.type === "assignment" ? "left" : "name");
    const right = assign.childForFieldName(assign.type === "assignment" ? "right" : "value");
    if (left?.type === "identifier" && left.text === ident.text && right) out.push(right);
  }
  return out;
}

function rootOf(node: PyNode): PyNode {
  let n = node;
  while (n.parent) n = n.parent;
  return n;
}

function report(ctx: PythonRuleContext, node: PyNode, what: string): void {
  ctx.report({
    node,
    message:
      passthroughMessage(what),
    remediation: [
      "Call the upstream with a credential of its own, never the one the client sent you:",
      "",
      "```python",
      'headers = {"Authorization": f"Bearer {os.environ[\'UPSTREAM_API_TOKEN\']}"}',
      "```",
      "",
      "When the upstream must act as the user, exchange the client's token for one issued for the upstream (OAuth 2.0 token exchange, RFC 8693, or the upstream's own OAuth flow), and validate that tokens you accept were issued for this server (their audience). " +
        "With fastmcp, `get_http_headers()` leaves `authorization` out by default: do not ask for it with `include_all=True`.",
    ].join("\n"),
  });
}
