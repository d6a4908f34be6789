import { Node, SyntaxKind, type CallExpression, type SourceFile } from "ts-morph";
import { importedModules } from "./imports.js";
import { judgeListen, listenSites } from "./listen.js";
import { functionOf } from "./mcp.js";
import { constantString, declarationOf, descendantsOfKind, unwrap } from "./values.js";
import type { Workspace } from "./workspace.js";

/** An HTTP route (or a whole `createServer` handler) that serves the MCP protocol. */
export interface McpEndpoint {
  registration: CallExpression;
  /** `app.post` → "post"; `createServer` for a bare Node server. */
  method: string;
  route?: string;
  /** The functions that handle the request, in order (middleware first). */
  handlers: Node[];
  /** A middleware, a handler check or an app-wide middleware authenticates the request. */
  authenticated: boolean;
}

const ROUTE_METHODS = new Set(["get", "post", "put", "delete", "all", "use"]);
const TRANSPORT_USE = /\.handle(?:Request|PostMessage)\s*\(|new\s+(?:\w+\.)?(?:SSEServerTransport|StreamableHTTPServerTransport|WebStandardStreamableHTTPServerTransport)\b/;
const MCP_ROUTE = /(?:^|\/)(?:mcp|sse|messages?)(?:\/|$|\?)/i;
/** Text of a middleware, or of code in a handler, that authenticates the caller. */
const AUTH_TEXT = /auth|bearer|jwt|passport|api[-_]?key|verify\w*token|token\w*verif|timingSafeEqual|session\w*valid|requireUser|ensureLoggedIn|basicAuth|guard|protect/i;

/**
 * The MCP endpoints of an HTTP server in this file: routes whose path looks like an MCP endpoint
 * (`/mcp`, `/sse`, `/messages`) or whose handler drives an SDK transport, and `createServer`
 * handlers that drive one. Authentication is judged from route middleware, app-wide `use(...)`
 * middleware, and checks of `Authorization`/API-key headers in the handlers.
 */
export function mcpEndpoints(sourceFile: SourceFile): McpEndpoint[] {
  const calls = descendantsOfKind(sourceFile, SyntaxKind.CallExpression);
  const appWideAuth = calls.some((call) => {
    const callee = call.getExpression();
    if (!Node.isPropertyAccessExpression(callee) || callee.getName() !== "use") return false;
    const args = call.getArguments();
    const middleware = args.filter((a) => constantString(a) === undefined);
    const route = args[0] ? constantString(args[0]) : undefined;
    return (route === undefined || MCP_ROUTE.test(route) || route === "/" || route === "*") && middleware.some(authenticates);
  });
  const out: McpEndpoint[] = [];
  for (const call of calls) {
    const callee = call.getExpression();
    const method = Node.isPropertyAccessExpression(callee) ? callee.getName() : Node.isIdentifier(callee) ? callee.getText() : "";
    const args = call.getArguments();
    if (method === "createServer") {
      const handler = args.find((a) => functionOf(a));
      const fn = handler ? functionOf(handler) : undefined;
      if (!fn || !TRANSPORT_USE.test(fn.getText())) continue;
      out.push({ registration: call, method, handlers: [fn], authenticated: appWideAuth || AUTH_TEXT.test(checksIn(fn)) });
      continue;
    }
    if (!ROUTE_METHODS.has(method) || !Node.isPropertyAccessExpression(callee) || args.length < 2) continue;
    const route = constantString(args[0]!);
    if (route === undefined) continue;
    const handlers = args.slice(1);
    const fns = handlers.map((h) => functionOf(h)).filter((f): f is NonNullable<typeof f> => !!f);
    if (fns.length === 0) continue;
    const drivesTransport = fns.some((f) => TRANSPORT_USE.test(f.getText()));
    if (!drivesTransport && !(MCP_ROUTE.test(route) && method !== "use")) continue;
    const middleware = handlers.slice(0, -1);
    const authenticated = appWideAuth || middleware.some(authenticates) || fns.some((f) => AUTH_TEXT.test(checksIn(f)));
    out.push({ registration: call, method, route, handlers: fns, authenticated });
  }
  return out;
}

/** Routers that serve OAuth endpoints or metadata (the SDK's `mcpAuthRouter`, `mcpAuthMetadataRouter`): they authenticate nobody. */
const AUTH_SERVER_ROUTER = /^\s*(?:\w+\.)*\w*(?:Router|Metadata\w*)\s*\(/;

/** A middleware argument that authenticates the request by its name or code. */
function authenticates(middleware: Node): boolean {
  const n = unwrap(middleware);
  if (Node.isCallExpression(n) && AUTH_SERVER_ROUTER.test(n.getText())) return false;
  return AUTH_TEXT.test(middlewareText(middleware));
}

/** What a middleware argument is: its text, or for an identifier the text of its initializer too. */
function middlewareText(node: Node): string {
  const n = unwrap(node);
  if (Node.isIdentifier(n)) {
    const decl = declarationOf(n);
    if (decl && Node.isVariableDeclaration(decl)) return `${n.getText()} ${decl.getInitializer()?.getText().slice(0, 400) ?? ""}`;
    return n.getText();
  }
  if (Node.isArrowFunction(n) || Node.isFunctionExpression(n)) return checksIn(n);
  return n.getText().slice(0, 400);
}

/** A response or error that refuses the caller. */
const REJECTS = /\b(?:401|403)\b|unauthori[sz]ed|forbidden|WWW-Authenticate|throw\s/i;

/**
 * The parts of a handler that can authenticate, as text for AUTH_TEXT: the calls it makes
 * (`verifyToken(...)`, `authenticate(req)`), and its reads of credentials (`req.headers.authorization`,
 * `req.auth`) when it also refuses callers (a 401/403, a throw). A read alone is not a check: a
 * handler that logs `req.auth` set by an optional middleware authenticates nobody. Not its log strings.
 */
function checksIn(fn: Node): string {
  const calls: string[] = [];
  const reads: string[] = [];
  for (const access of descendantsOfKind(fn, SyntaxKind.PropertyAccessExpression)) reads.push(access.getName());
  for (const access of descendantsOfKind(fn, SyntaxKind.ElementAccessExpression)) reads.push(access.getArgumentExpression()?.getText() ?? "");
  for (const call of descendantsOfKind(fn, SyntaxKind.CallExpression)) {
    const callee = call.getExpression();
    const name = Node.isPropertyAccessExpression(callee) ? callee.getName() : callee.getText();
    if (/^(?:get|header)$/.test(name)) reads.push(call.getArguments()[0]?.getText() ?? "");
    else calls.push(name);
  }
  const parts = REJECTS.test(fn.getText()) ? [...calls, ...reads] : calls;
  return parts.filter((p) => !/^(?:author|authors)$/i.test(p)).join(" ");
}

/** Where the HTTP servers of a file listen: on the network, on loopback only, or not said here. */
export function listenExposure(sourceFile: SourceFile, workspace?: Workspace): { exposure: "network" | "loopback" | "unknown"; listen?: CallExpression } {
  let loopback: CallExpression | undefined;
  for (const site of listenSites(sourceFile)) {
    const { exposure } = judgeListen(site, workspace);
    if (exposure === "all" || exposure === "specific") return { exposure: "network", listen: site.call };
    if (exposure === "loopback") loopback = site.call;
  }
  return loopback ? { exposure: "loopback", listen: loopback } : { exposure: "unknown" };
}

/**
 * A file that uses only the client side of the MCP SDK (a proxy's or CLI client's code, with at
 * most its OAuth callback server): whatever it listens on, it does not serve MCP tools.
 */
export function isMcpClientOnly(sourceFile: SourceFile): boolean {
  const sdk = importedModules(sourceFile).filter((m) => m.startsWith("@modelcontextprotocol/sdk"));
  if (!sdk.some((m) => /^@modelcontextprotocol\/sdk\/client\b/.test(m))) return false;
  if (/\b(?:McpServer|SSEServerTransport|StreamableHTTPServerTransport)\b/.test(sourceFile.getFullText())) return false;
  return sdk.every((m) => /^@modelcontextprotocol\/sdk\/(?:client|shared|server\/auth)\b|^@modelcontextprotocol\/sdk\/types(?:\.js)?$/.test(m));
}
