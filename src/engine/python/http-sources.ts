import type { PyToolHandler } from "./mcp.js";
import type { PythonModule } from "./module.js";
import type { PyNode } from "./parser.js";
import { callArgs, calleeOf, parametersOf } from "./values.js";

const REQUEST_HANDLER_BASES = /\b(?:BaseHTTPRequestHandler|SimpleHTTPRequestHandler|CGIHTTPRequestHandler)\b/;
const VERB_METHOD = /^do_[A-Z]+$/;
/** What only an `http.server` request handler has: its body stream, its peer, its response calls. */
const HANDLER_USE = /^(?:rfile|client_address|send_response|send_header|end_headers|wfile|requestline)$/;

/**
 * HTTP request handlers of the standard library and Starlette that take no typed `Request`, as route
 * handlers whose request object carries input:
 * - `do_GET`/`do_POST`/... of a `BaseHTTPRequestHandler` subclass: `self` is the request (`self.rfile`, `self.headers`, `self.path`);
 * - a function with a parameter used as such a handler (`handler.rfile.read(...)`, `handler.client_address`,
 *   `handler.send_response(...)`): a route helper of a hand-written HTTP server;
 * - a Starlette endpoint registered by `Route("/path", endpoint=fn)`, `Route("/path", fn)` or `app.add_route("/path", fn)`:
 *   its first parameter is the request.
 */
export function httpRequestHandlers(module: PythonModule): PyToolHandler[] {
  const out: PyToolHandler[] = [];
  const text = module.text;
  if (REQUEST_HANDLER_BASES.test(text)) {
    for (const cls of module.nodesOf("class_definition")) {
      if (!REQUEST_HANDLER_BASES.test(cls.childForFieldName("superclasses")?.text ?? "")) continue;
      for (const stmt of cls.childForFieldName("body")?.namedChildren ?? []) {
        const fn = stmt?.type === "decorated_definition" ? stmt.childForFieldName("definition") : stmt;
        if (fn?.type === "function_definition" && VERB_METHOD.test(fn.childForFieldName("name")!.text)) {
          out.push({ kind: "route", fn, registration: fn, tainted: new Set(["self"]) });
        }
      }
    }
  }
  if (/\.(?:rfile|client_address|send_response)\b/.test(text)) {
    for (const fn of module.nodesOf("function_definition")) {
      const params = parametersOf(fn).filter((p) => p.name !== "self" && p.name !== "cls" && !p.type);
      const handlers = params.filter((p) => usesAsRequestHandler(fn, p.name));
      if (handlers.length > 0) out.push({ kind: "route", fn, registration: fn, tainted: new Set(handlers.map((p) => p.name)) });
    }
  }
  if (/\b(?:Route|add_route)\s*\(/.test(text)) {
    for (const call of module.nodesOf("call")) {
      const callee = calleeOf(call)!;
      const name = callee.type === "attribute" ? callee.childForFieldName("attribute")!.text : callee.text;
      if (name !== "Route" && name !== "add_route") continue;
      const qualified = module.qualifiedName(callee) ?? "";
      if (name === "Route" && !/^starlette\.routing\.Route$|^Route$/.test(qualified)) continue;
      const args = callArgs(call);
      const endpoint = args.keywords.get("endpoint") ?? args.keywords.get("route") ?? args.positional[1];
      const fn = endpoint?.type === "identifier" ? module.functions.get(endpoint.text) : undefined;
      const request = fn ? parametersOf(fn).filter((p) => p.name !== "self")[0] : undefined;
      if (fn && request) out.push({ kind: "route", fn, registration: call, tainted: new Set([request.name]) });
    }
  }
  return out;
}

/** `name.rfile`, `name.client_address`, `name.send_response(...)` in the function's own body. */
function usesAsRequestHandler(fn: PyNode, name: string): boolean {
  for (const attr of fn.childForFieldName("body")?.descendantsOfType("attribute") ?? []) {
    const object = attr?.childForFieldName("object");
    if (object?.type === "identifier" && object.text === name && HANDLER_USE.test(attr!.childForFieldName("attribute")!.text)) return true;
  }
  return false;
}
