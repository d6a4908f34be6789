import { hasHttpAuth } from "../python/http.js";
import { listenSites } from "../python/listen.js";
import type { PythonMcpFile } from "../python/mcp.js";
import type { PythonModule } from "../python/module.js";
import type { PyNode } from "../python/parser.js";
import type { PythonProject } from "../python/project.js";
import { possibleValues } from "../python/defaults.js";
import { callArgs, constantString, docstringOf, unwrapPy } from "../python/values.js";
import { definitionHash } from "./definition-hash.js";
import type { JsonSchema } from "./json-schema.js";
import { pyLiteral, signatureSchema } from "./py-schema.js";
import type { CapabilityKind, HttpProtections, InventoryServer, InventoryTool, McpTransport } from "./types.js";

export interface PyFileInventory {
  servers: InventoryServer[];
  tools: InventoryTool[];
  transports: McpTransport[];
  http?: HttpProtections;
}

const SERVER_CLASS = /^(?:mcp\.server\.fastmcp(?:\.server)?\.FastMCP|mcp\.server\.mcpserver(?:\.server)?\.MCPServer|fastmcp\.FastMCP|fastmcp\.server(?:\.server)?\.FastMCP|mcp\.server\.lowlevel(?:\.server)?\.Server|mcp\.server\.Server)$/;
const TRANSPORT_NAMES: Record<string, McpTransport> = { stdio: "stdio", sse: "sse", "streamable-http": "streamable-http", streamable_http: "streamable-http", http: "streamable-http" };
const TRANSPORT_METHODS: Record<string, McpTransport> = {
  run_stdio_async: "stdio",
  run_sse_async: "sse",
  sse_app: "sse",
  run_streamable_http_async: "streamable-http",
  streamable_http_app: "streamable-http",
  http_app: "streamable-http",
  run_http_async: "streamable-http",
};
const TRANSPORT_CLASSES: readonly [RegExp, McpTransport][] = [
  [/(?:^|\.)stdio_server$/, "stdio"],
  [/(?:^|\.)SseServerTransport$/, "sse"],
  [/(?:^|\.)(?:StreamableHTTPSessionManager|StreamableHTTPServerTransport)$/, "streamable-http"],
];
const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);
const ALL_INTERFACES = new Set(["0.0.0.0", "::", "::0", "[::]", "*", ""]);
/** Host or Origin validation written in the module (as the dns-rebinding rule reads it). */
const VALIDATION = /TrustedHostMiddleware|headers\.get\(\s*b?["'](?:host|origin)["']|headers\[\s*b?["'](?:host|origin)["']\s*\]|http_host_origin_protection|HTTP_HOST_ORIGIN_PROTECTION|enable_dns_rebinding_protection\s*=\s*True/i;

/** The servers, tools, resources, prompts and transports of one Python module. */
export function pyFileInventory(module: PythonModule, mcp: PythonMcpFile, project: PythonProject): PyFileInventory {
  const path = module.path;
  const servers: InventoryServer[] = [];
  const byVariable = new Map<string, InventoryServer>();
  for (const call of module.nodesOf("call")) {
    const callee = call.childForFieldName("function")!;
    let qualified = module.qualifiedName(callee) ?? "";
    let defaultName: string | undefined;
    if (!SERVER_CLASS.test(qualified)) {
      const sub = callee.type === "identifier" ? serverSubclass(module, callee.text, project) : undefined;
      if (!sub) continue;
      qualified = `${sub.base} subclass ${callee.text}`;
      defaultName = sub.defaultName;
    }
    const args = callArgs(call);
    const nameNode = args.keywords.get("name") ?? (defaultName === undefined ? args.positional[0] : undefined);
    const name = (nameNode ? constantString(nameNode, module) : undefined) ?? defaultName;
    const versionNode = args.keywords.get("version");
    const version = versionNode ? constantString(versionNode, module) : undefined;
    const line = call.startPosition.row + 1;
    const className = qualified.replace(/ subclass .*/, "").split(".").pop()! + (qualified.includes(" subclass ") ? ` subclass ${callee.text}` : "");
    const server: InventoryServer = {
      id: `${path}:${line}`,
      ...(name !== undefined ? { name } : {}),
      ...(version !== undefined ? { version } : {}),
      language: "python",
      sdk: `${className} (${qualified.startsWith("fastmcp") ? "fastmcp" : "mcp"})`,
      path,
      line,
      transports: [],
    };
    servers.push(server);
    const target = call.parent?.type === "assignment" ? call.parent.childForFieldName("left") : undefined;
    if (target && (target.type === "identifier" || target.type === "attribute")) byVariable.set(target.text, server);
  }

  const transports = new Set<McpTransport>();
  for (const call of module.nodesOf("call")) {
    const callee = call.childForFieldName("function")!;
    if (callee.type === "attribute") {
      const method = callee.childForFieldName("attribute")!.text;
      if (TRANSPORT_METHODS[method]) transports.add(TRANSPORT_METHODS[method]!);
      if (method === "run" || method === "run_async") {
        const receiver = callee.childForFieldName("object")!.text;
        const isServer = byVariable.has(receiver) || (servers.length > 0 && /mcp|server|app/i.test(receiver));
        const args = callArgs(call);
        const transport = args.keywords.get("transport") ?? (isServer ? args.positional[0] : undefined);
        if (transport) {
          // `run(transport=args.transport)`: any of the option's choices may be given at run time, beside its default.
          for (const value of [...(possibleValues(module, transport, project)?.values ?? []), ...argparseChoices(module, transport)]) {
            const t = TRANSPORT_NAMES[value.replace(/^!/, "")];
            if (t && !value.startsWith("!")) transports.add(t);
          }
        } else if (isServer && byVariable.get(receiver)?.sdk.startsWith("FastMCP") !== false && !args.splat) {
          transports.add("stdio"); // FastMCP's run() serves stdio unless told otherwise
        }
      }
    }
    const qualified = module.qualifiedName(callee) ?? callee.text;
    for (const [pattern, transport] of TRANSPORT_CLASSES) if (pattern.test(qualified)) transports.add(transport);
  }

  const tools = capabilities(module, mcp, servers, byVariable);
  const http = transports.has("sse") || transports.has("streamable-http") ? httpProtections(module, project) : undefined;
  return { servers, tools, transports: [...transports], ...(http ? { http } : {}) };
}

/**
 * A class of the project that extends an SDK server class (`class QdrantMCPServer(FastMCP)`): its base,
 * and the server name its constructor defaults to (`name: str = "..."`, or a literal `name=` it passes to `super().__init__`).
 */
function serverSubclass(module: PythonModule, name: string, project: PythonProject, depth = 0): { base: string; defaultName?: string } | undefined {
  if (depth > 4) return undefined;
  const def = project.definitionOf(module, name);
  if (def?.kind !== "class") return undefined;
  // `class Server(FastMCP[Context])`: a generic base is its class; `class Main(ProjectServer)`: a
  // base of the project that extends a server class in turn.
  const bases = (def.node.childForFieldName("superclasses")?.namedChildren ?? []).map((b) => (b?.type === "subscript" ? b.childForFieldName("value") : b)).filter((b): b is PyNode => !!b && (b.type === "identifier" || b.type === "attribute"));
  let base = bases.map((b) => def.module.qualifiedName(b)).find((q) => q && SERVER_CLASS.test(q));
  if (!base) {
    for (const b of bases) {
      if (b.type !== "identifier") continue;
      const inherited = serverSubclass(def.module, b.text, project, depth + 1);
      if (inherited) {
        base = inherited.base;
        break;
      }
    }
  }
  if (!base) return undefined;
  let defaultName: string | undefined;
  for (const fn of def.node.childForFieldName("body")?.namedChildren ?? []) {
    const init = fn?.type === "function_definition" ? fn : fn?.type === "decorated_definition" ? fn.childForFieldName("definition") : undefined;
    if (init?.childForFieldName("name")?.text !== "__init__") continue;
    for (const p of init.childForFieldName("parameters")?.namedChildren ?? []) {
      if (p?.childForFieldName("name")?.text !== "name") continue;
      const value = p.childForFieldName("value");
      defaultName = value ? constantString(value, def.module) : undefined;
    }
    for (const call of init.descendantsOfType("call")) {
      if (!call || !/^super\(\)\.__init__$/.test(call.childForFieldName("function")?.text ?? "")) continue;
      const passed = callArgs(call).keywords.get("name") ?? callArgs(call).positional[0];
      const literal = passed ? constantString(passed, def.module) : undefined;
      if (literal !== undefined) defaultName = literal;
    }
  }
  return { base, ...(defaultName !== undefined ? { defaultName } : {}) };
}

function capabilities(module: PythonModule, mcp: PythonMcpFile, servers: readonly InventoryServer[], byVariable: ReadonlyMap<string, InventoryServer>): InventoryTool[] {
  const path = module.path;
  const out: InventoryTool[] = [];
  const add = (kind: CapabilityKind, name: string, line: number, server: InventoryServer | undefined, parts: { description?: string; inputSchema?: JsonSchema; uri?: string }) => {
    const tool: Omit<InventoryTool, "definitionHash"> = {
      kind,
      name,
      ...(parts.uri !== undefined ? { uri: parts.uri } : {}),
      ...(parts.description !== undefined ? { description: parts.description } : {}),
      ...(parts.inputSchema !== undefined ? { inputSchema: parts.inputSchema } : {}),
      path,
      line,
      ...(server ? { server: server.id } : {}),
      language: "python",
    };
    out.push({ ...tool, definitionHash: definitionHash(tool) });
  };
  const single = servers.length === 1 ? servers[0] : undefined;
  for (const h of mcp.handlers) {
    if (h.kind !== "tool" && h.kind !== "resource" && h.kind !== "prompt") continue;
    if (h.lowLevel) continue;
    const call = registrationCall(h.registration);
    const receiver = call ? receiverOf(call) : undefined;
    const server = (receiver && byVariable.get(receiver)) || single;
    // `server.tool(name=..., description=...)(handler)`: the keywords are the inner call's.
    const inner = call?.childForFieldName("function")?.type === "call" ? call.childForFieldName("function")! : call;
    const args = inner ? callArgs(inner) : undefined;
    const described = args?.keywords.get("description");
    const description = (described ? constantString(described, module) : undefined) ?? dedent(docstringOf(h.fn)?.text);
    const line = h.fn.startPosition.row + 1;
    if (h.kind === "resource") {
      const uriNode = args?.keywords.get("uri") ?? args?.positional[0];
      const uri = uriNode ? constantString(uriNode, module) : undefined;
      const named = args?.keywords.get("name");
      const name = (named ? constantString(named, module) : undefined) ?? h.fn.childForFieldName("name")?.text ?? uri ?? "resource";
      add("resource", name, line, server, { uri, description });
      continue;
    }
    add(h.kind, h.toolName ?? h.fn.childForFieldName("name")?.text ?? h.kind, line, server, { description, inputSchema: signatureSchema(h.fn, module) });
  }
  // `self.tool(find_foo, name="qdrant-find")` where `find_foo = find` or a wrapper of it: the engine's
  // handler discovery follows no such aliases, but the tool is there all the same.
  const named = new Set(out.map((t) => `${t.kind}:${t.name}`));
  for (const call of /\b(?:tool|add_tool|prompt|add_prompt)\s*\(/.test(module.text) ? module.nodesOf("call") : []) {
    const callee = call.childForFieldName("function")!;
    if (callee.type !== "attribute") continue;
    const method = callee.childForFieldName("attribute")!.text;
    const kind: CapabilityKind | undefined = method === "tool" || method === "add_tool" ? "tool" : method === "prompt" || method === "add_prompt" ? "prompt" : undefined;
    const args = callArgs(call);
    const target = args.positional[0];
    const nameNode = args.keywords.get("name");
    const name = nameNode ? constantString(nameNode, module) : undefined;
    if (!kind || !target || target.type !== "identifier" || name === undefined || named.has(`${kind}:${name}`)) continue;
    const fn = aliasedFunction(target);
    const d = args.keywords.get("description");
    const description = (d ? constantString(d, module) : undefined) ?? (d ? undefined : fn ? dedent(docstringOf(fn)?.text) : undefined);
    const receiver = callee.childForFieldName("object")!.text;
    add(kind, name, call.startPosition.row + 1, byVariable.get(receiver) ?? single, { description, ...(fn ? { inputSchema: signatureSchema(fn, module) } : {}) });
    named.add(`${kind}:${name}`);
  }
  // The low-level server lists its tools as `types.Tool(name=..., description=..., inputSchema={...})`.
  for (const call of module.nodesOf("call")) {
    if (!/(?:^|\.)Tool$/.test(call.childForFieldName("function")?.text ?? "")) continue;
    const args = callArgs(call);
    const nameNode = args.keywords.get("name");
    const name = nameNode ? constantString(nameNode, module) : undefined;
    if (name === undefined) continue;
    const d = args.keywords.get("description");
    const schemaNode = args.keywords.get("inputSchema") ?? args.keywords.get("input_schema");
    const schema = schemaNode ? pyLiteral(schemaNode, module) : undefined;
    add("tool", name, call.startPosition.row + 1, single, {
      description: d ? constantString(d, module) : undefined,
      ...(schema && typeof schema === "object" && !Array.isArray(schema) ? { inputSchema: schema as JsonSchema } : {}),
    });
  }
  return out;
}

/** The function a name stands for in its scope: a nested `def`, through `a = b` aliases and `a = wrap(b, ...)` wrappers. */
function aliasedFunction(name: PyNode, depth = 0): PyNode | undefined {
  if (depth > 4) return undefined;
  let scope: PyNode | null = name.parent;
  while (scope && scope.type !== "function_definition" && scope.type !== "module") scope = scope.parent;
  if (!scope) return undefined;
  const body = scope.type === "module" ? scope : scope.childForFieldName("body");
  for (const def of body?.descendantsOfType("function_definition") ?? []) if (def?.childForFieldName("name")?.text === name.text && def.id !== scope.id) return def;
  for (const assign of body?.descendantsOfType("assignment") ?? []) {
    if (assign?.childForFieldName("left")?.text !== name.text) continue;
    let right = assign.childForFieldName("right");
    if (right?.type === "call") right = callArgs(right).positional[0] ?? null;
    if (right?.type === "identifier" && right.text !== name.text) return aliasedFunction(right, depth + 1);
  }
  return undefined;
}

/** The call of a registration: `@mcp.tool(...)`'s call, or `mcp.add_tool(fn, ...)` itself. */
/** The `choices=[...]` of the argparse option an `args.<dest>` expression reads, in this module. */
function argparseChoices(module: PythonModule, expr: PyNode): string[] {
  const node = unwrapPy(expr);
  if (node.type !== "attribute" || !module.text.includes("add_argument")) return [];
  const dest = node.childForFieldName("attribute")!.text;
  for (const call of module.nodesOf("call")) {
    const callee = call.childForFieldName("function")!;
    if (callee.type !== "attribute" || callee.childForFieldName("attribute")!.text !== "add_argument") continue;
    const args = callArgs(call);
    const flags = args.positional.map((a) => constantString(a, module)).filter((f): f is string => f !== undefined);
    const named = args.keywords.get("dest");
    const bound = named ? constantString(named, module) : (flags.find((f) => f.startsWith("--")) ?? flags[0])?.replace(/^-+/, "").replace(/-/g, "_");
    if (bound !== dest) continue;
    const choices = args.keywords.get("choices");
    if (!choices || (choices.type !== "list" && choices.type !== "tuple")) return [];
    return choices.namedChildren.map((c) => (c ? constantString(c, module) : undefined)).filter((c): c is string => c !== undefined);
  }
  return [];
}

function registrationCall(registration: PyNode): PyNode | undefined {
  if (registration.type === "call") return registration;
  if (registration.type === "decorator") {
    const expr = registration.namedChildren[0];
    return expr?.type === "call" ? expr : undefined;
  }
  return undefined;
}

function receiverOf(call: PyNode): string | undefined {
  let callee = call.childForFieldName("function");
  if (callee?.type === "call") callee = callee.childForFieldName("function");
  return callee?.type === "attribute" ? callee.childForFieldName("object")?.text : undefined;
}

function dedent(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const lines = text.split("\n");
  const indents = lines.slice(1).filter((l) => l.trim()).map((l) => /^\s*/.exec(l)![0].length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return [lines[0]!.trim(), ...lines.slice(1).map((l) => l.slice(cut))].join("\n").trim();
}

function httpProtections(module: PythonModule, project: PythonProject): HttpProtections {
  const listen = listenSites(module, project, true).map((site) => {
    const host = site.value.value.trim();
    const node = site.node.type === "call" ? site.node : undefined;
    const portNode = node ? callArgs(node).keywords.get("port") : undefined;
    const port = portNode ? (constantString(portNode, module) ?? (portNode.type === "integer" ? portNode.text : undefined)) : undefined;
    const exposure = ALL_INTERFACES.has(host) ? "all" : LOOPBACK.has(host) ? "loopback" : "specific";
    return { host, ...(port !== undefined ? { port } : {}), exposure: exposure as HttpProtections["listen"][number]["exposure"], path: module.path, line: site.node.startPosition.row + 1 };
  });
  const auth = hasHttpAuth(module);
  return { listen, auth, hostValidation: VALIDATION.test(module.text), cors: corsOf(module), endpoints: [] };
}

function corsOf(module: PythonModule): HttpProtections["cors"] {
  if (!/CORSMiddleware/.test(module.text)) return "none";
  for (const call of module.nodesOf("call")) {
    const args = callArgs(call);
    const origins = args.keywords.get("allow_origins");
    const regex = args.keywords.get("allow_origin_regex");
    if (!origins && !regex) continue;
    const value = origins ? pyLiteral(origins, module) : undefined;
    if (Array.isArray(value) && value.includes("*")) return "wildcard";
    if (regex && /^\.\*$/.test(constantString(unwrapPy(regex), module) ?? "")) return "wildcard";
    return "restricted";
  }
  return "restricted";
}
