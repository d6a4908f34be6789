import { Node, SyntaxKind, type CallExpression, type SourceFile } from "ts-morph";
import { mcpEndpoints } from "../http.js";
import { moduleRefOf } from "../imports.js";
import { judgeListen, listenSites } from "../listen.js";
import { headerChecks } from "../origin.js";
import { constantString, descendantsOfKind, propertyName, propertyValue, unwrap } from "../values.js";
import type { Workspace } from "../workspace.js";
import { definitionHash } from "./definition-hash.js";
import type { JsonSchema } from "./json-schema.js";
import type { CapabilityKind, HttpProtections, InventoryServer, InventoryTool, McpTransport, ServerLanguage } from "./types.js";
import { declarationAcross, followAcross, stringAcross } from "./follow.js";
import { literalValue, zodToJsonSchema } from "./zod-schema.js";

/** What one TypeScript or JavaScript file says about MCP servers. */
export interface TsFileInventory {
  servers: InventoryServer[];
  tools: InventoryTool[];
  /** Transports created in this file (whatever server they are connected to). */
  transports: McpTransport[];
  /** HTTP facts of this file, when it serves an MCP transport over HTTP. */
  http?: HttpProtections;
}

const SERVER_CLASSES = /^(?:McpServer|Server|FastMCP)$/;
const TRANSPORTS: readonly [RegExp, McpTransport][] = [
  [/(?:^|\.)StdioServerTransport$/, "stdio"],
  [/(?:^|\.)SSEServerTransport$/, "sse"],
  [/(?:^|\.)(?:WebStandard)?StreamableHTTPServerTransport$/, "streamable-http"],
];
/** FastMCP (TypeScript) `server.start({ transportType })` values. */
const FASTMCP_TRANSPORTS: Record<string, McpTransport> = { stdio: "stdio", httpStream: "streamable-http", sse: "sse" };
const SDK_VALIDATION = /\b(?:hostHeaderValidation|localhostHostValidation|createMcpExpressApp)\b/;
const CORS_MODULES = new Set(["cors", "hono/cors", "@fastify/cors", "@koa/cors"]);

/**
 * The servers a file constructs (`new McpServer({ name })`, the low-level `new Server(...)`, FastMCP's
 * `new FastMCP(...)`), the tools, resources and prompts registered in it, its transports, and for a file
 * that serves MCP over HTTP where it listens and what guards it.
 */
export function tsFileInventory(sourceFile: SourceFile, path: string, language: ServerLanguage, workspace: Workspace): TsFileInventory {
  const servers: InventoryServer[] = [];
  const serverAt = new Map<Node, InventoryServer>();
  for (const created of descendantsOfKind(sourceFile, SyntaxKind.NewExpression)) {
    const callee = unwrap(created.getExpression());
    const className = callee.getText().split(".").pop() ?? "";
    if (!SERVER_CLASSES.test(className)) continue;
    const ref = moduleRefOf(callee);
    const module = ref?.module ?? "";
    const fromSdk = module.startsWith("@modelcontextprotocol/sdk") || module === "fastmcp";
    if (!fromSdk && !(className === "McpServer" || className === "FastMCP")) continue;
    const info = created.getArguments()[0];
    const name = info ? stringProp(info, "name") : undefined;
    const version = info ? stringProp(info, "version") : undefined;
    const line = created.getStartLineNumber();
    const server: InventoryServer = {
      id: `${path}:${line}`,
      ...(name !== undefined ? { name } : {}),
      ...(version !== undefined ? { version } : {}),
      language,
      sdk: `${className}${module ? ` (${module.replace(/\/(?:server\/)?(?:mcp|index)(?:\.js)?$/, "")})` : ""}`,
      path,
      line,
      transports: [],
    };
    servers.push(server);
    serverAt.set(created, server);
  }

  const transports = new Set<McpTransport>();
  for (const created of descendantsOfKind(sourceFile, SyntaxKind.NewExpression)) {
    const text = created.getExpression().getText();
    for (const [pattern, transport] of TRANSPORTS) if (pattern.test(text)) transports.add(transport);
  }
  for (const call of descendantsOfKind(sourceFile, SyntaxKind.CallExpression)) {
    const callee = call.getExpression();
    if (!Node.isPropertyAccessExpression(callee) || callee.getName() !== "start" || !call.getArguments()[0]) continue;
    const kind = stringProp(call.getArguments()[0]!, "transportType");
    if (kind && FASTMCP_TRANSPORTS[kind]) transports.add(FASTMCP_TRANSPORTS[kind]!);
  }

  const isMcpFile = servers.length > 0 || /@modelcontextprotocol\/sdk|\bfastmcp\b|\bMcpServer\b/.test(sourceFile.getFullText());
  const tools = isMcpFile ? registrations(sourceFile, path, language, servers, serverAt) : [];
  const http = transports.has("sse") || transports.has("streamable-http") ? httpProtections(sourceFile, path, workspace) : undefined;
  return { servers, tools, transports: [...transports], ...(http ? { http } : {}) };
}

function stringProp(obj: Node, name: string): string | undefined {
  const value = propertyValue(followAcross(obj), name);
  return value ? stringAcross(value) : undefined;
}

/** The server a registration's receiver refers to: `server.tool(...)` where `const server = new McpServer(...)`. */
function serverOf(receiver: Node, serverAt: ReadonlyMap<Node, InventoryServer>, servers: readonly InventoryServer[]): InventoryServer | undefined {
  const node = unwrap(receiver);
  if (Node.isIdentifier(node)) {
    const decl = declarationAcross(node);
    const init = decl && Node.isVariableDeclaration(decl) ? decl.getInitializer() : undefined;
    const created = init ? unwrap(init) : undefined;
    if (created && serverAt.has(created)) return serverAt.get(created);
  }
  if (Node.isPropertyAccessExpression(node)) {
    // `this.server.tool(...)` with `this.server = new McpServer(...)` in the class.
    const cls = node.getFirstAncestorByKind(SyntaxKind.ClassDeclaration);
    const name = node.getName();
    for (const [created, server] of serverAt) {
      if (created.getFirstAncestorByKind(SyntaxKind.ClassDeclaration) !== cls) continue;
      const parent = created.getParent();
      if (parent && ((Node.isBinaryExpression(parent) && parent.getLeft().getText().endsWith(`.${name}`)) || (Node.isPropertyDeclaration(parent) && parent.getName() === name))) return server;
    }
  }
  return servers.length === 1 ? servers[0] : undefined;
}

/**
 * `tool`, `registerTool`, `resource`, `registerResource`, `prompt`, `registerPrompt` calls with a
 * constant name, FastMCP's `addTool({ name, ... })` family, and low-level tool lists
 * (`{ name, description, inputSchema }` objects, as a `ListToolsRequestSchema` handler returns).
 */
function registrations(sourceFile: SourceFile, path: string, language: ServerLanguage, servers: readonly InventoryServer[], serverAt: ReadonlyMap<Node, InventoryServer>): InventoryTool[] {
  const out: InventoryTool[] = [];
  const seen = new Set<Node>();
  const add = (kind: CapabilityKind, name: string, at: Node, server: InventoryServer | undefined, parts: { description?: string; inputSchema?: JsonSchema; uri?: string; nameComputed?: true }) => {
    const tool: Omit<InventoryTool, "definitionHash"> = {
      kind,
      name,
      ...(parts.nameComputed ? { nameComputed: true as const } : {}),
      ...(parts.uri !== undefined ? { uri: parts.uri } : {}),
      ...(parts.description !== undefined ? { description: parts.description } : {}),
      ...(parts.inputSchema !== undefined ? { inputSchema: parts.inputSchema } : {}),
      path,
      line: at.getStartLineNumber(),
      ...(server ? { server: server.id } : {}),
      language,
    };
    out.push({ ...tool, definitionHash: definitionHash(tool) });
  };
  for (const call of descendantsOfKind(sourceFile, SyntaxKind.CallExpression)) {
    const callee = call.getExpression();
    if (!Node.isPropertyAccessExpression(callee)) continue;
    const method = callee.getName();
    const args = call.getArguments();
    const server = () => serverOf(callee.getExpression(), serverAt, servers);
    if ((method === "addTool" || method === "addPrompt" || method === "addResource" || method === "addResourceTemplate") && args[0] && Node.isObjectLiteralExpression(followAcross(args[0]))) {
      const def = followAcross(args[0]);
      seen.add(def);
      const name = stringProp(def, "name");
      if (name === undefined) continue;
      const parameters = propertyValue(def, method === "addPrompt" ? "arguments" : "parameters");
      const kind: CapabilityKind = method === "addTool" ? "tool" : method === "addPrompt" ? "prompt" : "resource";
      add(kind, name, call, server(), {
        description: stringProp(def, "description"),
        ...(kind === "tool" ? { inputSchema: parameters ? zodToJsonSchema(parameters) : { type: "object", properties: {} } } : {}),
        ...(kind === "resource" ? { uri: stringProp(def, "uri") ?? stringProp(def, "uriTemplate") } : {}),
      });
      continue;
    }
    const nameArg = args[0];
    let name = nameArg ? stringAcross(nameArg) : undefined;
    // `registerTool(meta.name, { description, inputSchema }, handler)`: the SDK's config form says it is a
    // registration even when its name is computed at run time; it is listed under the expression.
    const computed = name === undefined && nameArg !== undefined && (method === "registerTool" || method === "registerPrompt") && isRegistrationConfig(args[1]);
    if (computed) name = nameArg.getText().replace(/\s+/g, " ").slice(0, 120);
    if (name === undefined) continue;
    const nameComputed = computed ? ({ nameComputed: true } as const) : {};
    const rest = args.slice(1);
    const handlerIndex = rest.findIndex((a) => isFunction(a));
    const before = handlerIndex < 0 ? rest : rest.slice(0, handlerIndex);
    if (method === "tool" && rest.length >= 1) {
      const description = before.map((a) => constantString(a)).find((t) => t !== undefined);
      const schemaArg = before.find((a) => constantString(a) === undefined && isSchema(a));
      // An argument in the schema's place that cannot be read (a function's result, a value from a
      // package) leaves the schema unknown: it is not "no arguments".
      const opaque = schemaArg ? !readableSchema(schemaArg) : before.some((a) => constantString(a) === undefined && !Node.isObjectLiteralExpression(followAcross(a)));
      add("tool", name, call, server(), { description, ...(opaque ? {} : { inputSchema: schemaArg ? zodToJsonSchema(schemaArg) : { type: "object", properties: {} } }) });
    } else if (method === "registerTool" && rest[0]) {
      const config = followAcross(rest[0]);
      seen.add(config);
      const schema = propertyValue(config, "inputSchema");
      const inputSchema = schema ? (readableSchema(schema) ? zodToJsonSchema(schema) : undefined) : { type: "object", properties: {} };
      add("tool", name, call, server(), { ...nameComputed, description: stringProp(config, "description"), ...(inputSchema ? { inputSchema } : {}) });
    } else if ((method === "resource" || method === "registerResource") && rest[0]) {
      const uri = uriOf(rest[0]);
      const meta = before.slice(1).find((a) => Node.isObjectLiteralExpression(followAcross(a)));
      add("resource", name, call, server(), { uri, description: meta ? stringProp(meta, "description") : undefined });
    } else if (method === "prompt" && rest.length >= 1) {
      const description = before.map((a) => constantString(a)).find((t) => t !== undefined);
      const schemaArg = before.find((a) => constantString(a) === undefined && isSchema(a));
      add("prompt", name, call, server(), { description, ...(schemaArg && readableSchema(schemaArg) ? { inputSchema: zodToJsonSchema(schemaArg) } : {}) });
    } else if (method === "registerPrompt" && rest[0]) {
      const config = followAcross(rest[0]);
      seen.add(config);
      const schema = propertyValue(config, "argsSchema");
      add("prompt", name, call, server(), { ...nameComputed, description: stringProp(config, "description"), ...(schema && readableSchema(schema) ? { inputSchema: zodToJsonSchema(schema) } : {}) });
    }
  }
  // Low-level servers list their tools as objects: { name, description, inputSchema }.
  for (const obj of descendantsOfKind(sourceFile, SyntaxKind.ObjectLiteralExpression)) {
    if (seen.has(obj)) continue;
    const names = new Set(obj.getProperties().map(propertyName));
    if (!names.has("name") || !names.has("inputSchema")) continue;
    const name = stringProp(obj, "name");
    if (name === undefined) continue;
    const schemaNode = propertyValue(obj, "inputSchema")!;
    const literal = literalValue(schemaNode);
    const inputSchema = literal !== undefined && typeof literal === "object" && !Array.isArray(literal) && literal !== null ? (literal as JsonSchema) : zodOrUnknown(schemaNode);
    add("tool", name, obj, servers.length === 1 ? servers[0] : undefined, { description: stringProp(obj, "description"), ...(inputSchema ? { inputSchema } : {}) });
  }
  return out;
}

/** A schema written as zod (`z.object(...)`, a shape) becomes JSON Schema; `zodToJsonSchema(schema)` calls and the like stay unknown. */
function zodOrUnknown(node: Node): JsonSchema | undefined {
  const n = followAcross(node);
  if (Node.isObjectLiteralExpression(n) || (Node.isCallExpression(n) && /^z\b|\.object$/.test(n.getExpression().getText()))) return zodToJsonSchema(n);
  return undefined;
}

/** The SDK's config object of `registerTool`/`registerPrompt`: `{ description, inputSchema, ... }`. */
function isRegistrationConfig(node: Node | undefined): boolean {
  const config = node ? followAcross(node) : undefined;
  return !!config && Node.isObjectLiteralExpression(config) && config.getProperties().some((p) => /^(?:description|inputSchema|argsSchema|outputSchema|annotations|title)$/.test(propertyName(p) ?? ""));
}

/**
 * Whether a schema can be read from the code: a shape, or a zod chain that starts at `z` (through
 * constants and imports: `Base.extend({...})`). A schema built by a function or taken from a package
 * cannot, and is then unknown rather than "any".
 */
function readableSchema(node: Node, depth = 0): boolean {
  if (depth > 12) return false;
  const n = followAcross(node);
  if (Node.isObjectLiteralExpression(n)) return true;
  if (!Node.isCallExpression(n)) return false;
  const callee = unwrap(n.getExpression());
  if (!Node.isPropertyAccessExpression(callee)) return false;
  const receiver = unwrap(callee.getExpression());
  if (Node.isIdentifier(receiver) && followAcross(receiver) === receiver) return /^(?:z|zod)$/.test(receiver.getText()) || moduleRefOf(receiver)?.module === "zod";
  if (Node.isPropertyAccessExpression(receiver) && receiver.getName() === "coerce") return true;
  return readableSchema(receiver, depth + 1);
}

function isFunction(node: Node): boolean {
  const n = unwrap(node);
  if (Node.isArrowFunction(n) || Node.isFunctionExpression(n)) return true;
  if (Node.isIdentifier(n)) {
    const decl = declarationAcross(n);
    if (decl && Node.isFunctionDeclaration(decl)) return true;
    const init = decl && Node.isVariableDeclaration(decl) ? decl.getInitializer() : undefined;
    return !!init && (Node.isArrowFunction(unwrap(init)) || Node.isFunctionExpression(unwrap(init)));
  }
  return false;
}

function isSchema(node: Node): boolean {
  const n = followAcross(node);
  if (Node.isObjectLiteralExpression(n)) {
    // An annotations object ({ readOnlyHint: true }) is no schema.
    return !n.getProperties().some((p) => /Hint$|^title$/.test(propertyName(p) ?? ""));
  }
  return Node.isCallExpression(n);
}

function uriOf(node: Node): string | undefined {
  const n = followAcross(node);
  const text = constantString(n);
  if (text !== undefined) return text;
  if (Node.isNewExpression(n) && /ResourceTemplate$/.test(n.getExpression().getText())) {
    const first = n.getArguments()[0];
    return first ? constantString(first) : undefined;
  }
  return undefined;
}

/** Where a file's HTTP server listens, whether its MCP endpoints authenticate, validate Host/Origin, and what CORS allows. */
function httpProtections(sourceFile: SourceFile, path: string, workspace: Workspace): HttpProtections {
  const listen = listenSites(sourceFile).map((site) => {
    const verdict = judgeListen(site, workspace);
    const first = site.call.getArguments()[0];
    const port = first ? portOf(first) : undefined;
    const host = verdict.outcome?.value ?? (site.host ? constantString(site.host) : undefined) ?? (verdict.outcome?.kind === "unset" ? (site.defaultHost === "all" ? "0.0.0.0" : "127.0.0.1") : undefined);
    return { ...(host !== undefined ? { host } : {}), ...(port !== undefined ? { port } : {}), exposure: verdict.exposure, path, line: site.call.getStartLineNumber() };
  });
  const endpoints = mcpEndpoints(sourceFile).map((e) => ({
    method: e.method,
    ...(e.route !== undefined ? { route: e.route } : {}),
    authenticated: e.authenticated,
    path,
    line: e.registration.getStartLineNumber(),
  }));
  const text = sourceFile.getFullText();
  const protectionOn = descendantsOfKind(sourceFile, SyntaxKind.PropertyAssignment).some(
    (p) => propertyName(p) === "enableDnsRebindingProtection" && unwrap(p.getInitializerOrThrow()).getKind() === SyntaxKind.TrueKeyword,
  );
  const hostValidation = SDK_VALIDATION.test(text) || protectionOn || headerChecks(sourceFile, workspace).validated.size > 0;
  return { listen, auth: endpoints.length === 0 ? "unknown" : endpoints.every((e) => e.authenticated), hostValidation, cors: corsOf(sourceFile), endpoints };
}

function portOf(node: Node): string | undefined {
  const n = followAcross(node);
  if (Node.isObjectLiteralExpression(n)) {
    const port = propertyValue(n, "port");
    return port ? portOf(port) : undefined;
  }
  const text = constantString(n);
  if (text !== undefined) return text;
  if (Node.isBinaryExpression(n)) {
    // process.env.PORT || 3000: the fallback is the port when nothing is configured.
    const right = constantString(n.getRight());
    return right !== undefined ? right : undefined;
  }
  return undefined;
}

/** CORS of the file's HTTP app: `cors()` / `cors({ origin: "*" | true })` or a `*` header is a wildcard. */
function corsOf(sourceFile: SourceFile): HttpProtections["cors"] {
  let found: HttpProtections["cors"] = "none";
  for (const call of descendantsOfKind(sourceFile, SyntaxKind.CallExpression)) {
    const callee = call.getExpression();
    const ref = moduleRefOf(callee);
    if (ref && CORS_MODULES.has(ref.module)) {
      const options = call.getArguments()[0];
      const origin = options ? propertyValue(options, "origin") : undefined;
      if (!options || !origin || isWildcard(origin)) return "wildcard";
      found = "restricted";
      continue;
    }
    if (Node.isPropertyAccessExpression(callee) && /^(?:setHeader|header|set|append)$/.test(callee.getName())) {
      const [name, value] = call.getArguments();
      if (!name || !value || !/^access-control-allow-origin$/i.test(constantString(name) ?? "")) continue;
      if (isWildcard(value)) return "wildcard";
      found = "restricted";
    }
  }
  return found;
}

function isWildcard(node: Node): boolean {
  const n = unwrap(node);
  return constantString(n) === "*" || n.getKind() === SyntaxKind.TrueKeyword;
}

/** The call that constructs a server, for tests: the `new` expression at a line. */
export type ServerConstruction = CallExpression;
