import { Node, SyntaxKind, type CallExpression, type SourceFile } from "ts-morph";
import { importedModules } from "./imports.js";
import { constantString, declarationOf, followConst, propertyName, propertyValue, unwrap, descendantsOfKind } from "./values.js";

/** A function whose body can be analyzed. */
export type FunctionLike =
  | import("ts-morph").ArrowFunction
  | import("ts-morph").FunctionExpression
  | import("ts-morph").FunctionDeclaration
  | import("ts-morph").MethodDeclaration;

/** Where attacker-controlled input sits inside one parameter of a handler. */
export interface InputShape {
  /** Property path from the parameter to the input: [] for `server.tool`, ["params","arguments"] for CallToolRequest. */
  path: readonly string[];
  /** Arguments whose schema (z.enum, z.number, z.boolean, z.literal, strict regex) cannot carry an attack. */
  safeKeys: ReadonlySet<string>;
  /** Only these properties of the parameter carry input (an HTTP request: query, body, headers, params). */
  fields?: ReadonlySet<string>;
}

/**
 * Kinds of handlers whose parameters carry attacker-influenced input. `remote`: MCP client code
 * given data that the remote server chose (see `findRemoteInputs`).
 */
export type HandlerKind = "tool" | "registerTool" | "callTool" | "resource" | "prompt" | "http" | "remote";

/** A handler whose parameters carry input chosen by the model, a prompt injection or a network peer. */
export interface ToolHandler {
  kind: HandlerKind;
  /** The call that registers the handler; for a `remote` input, the method that receives it. */
  registration: CallExpression | FunctionLike;
  /** The tool, resource or prompt name, or the route of an HTTP handler. */
  toolName?: string;
  fn: FunctionLike;
  /** Input carried by each parameter, by position; `undefined` for a clean parameter. */
  inputs: readonly (InputShape | undefined)[];
}

/** A text the model reads as part of a tool's definition. */
export interface DescriptionText {
  node: Node;
  text: string;
  toolName?: string;
}

/** MCP facts about one file, computed on first use and shared by all rules. */
export interface McpFile {
  /** Imports the MCP SDK or uses its server classes. */
  readonly isMcpServer: boolean;
  readonly handlers: readonly ToolHandler[];
  /** Registrations whose handler function is imported from another module. */
  readonly importedHandlers: readonly ImportedHandler[];
  readonly descriptions: readonly DescriptionText[];
}

const SERVER_MARKERS = /\b(McpServer|SSEServerTransport|StreamableHTTPServerTransport)\b/;

export function createMcpFile(sourceFile: SourceFile): McpFile {
  let isMcp: boolean | undefined;
  let handlers: ToolHandler[] | undefined;
  const importedHandlers: ImportedHandler[] = [];
  let descriptions: DescriptionText[] | undefined;
  const isMcpServer = () => {
    isMcp ??= importedModules(sourceFile).some((m) => m.startsWith("@modelcontextprotocol/sdk")) || SERVER_MARKERS.test(sourceFile.getFullText());
    return isMcp;
  };
  return {
    get isMcpServer() {
      return isMcpServer();
    },
    get handlers() {
      handlers ??= [...findToolHandlers(sourceFile, isMcpServer, importedHandlers), ...findRemoteInputs(sourceFile)];
      return handlers;
    },
    get importedHandlers() {
      handlers ??= [...findToolHandlers(sourceFile, isMcpServer, importedHandlers), ...findRemoteInputs(sourceFile)];
      return importedHandlers;
    },
    get descriptions() {
      descriptions ??= findDescriptions(sourceFile);
      return descriptions;
    },
  };
}

const REGISTRATION_METHODS = new Set(["tool", "registerTool", "setRequestHandler", "resource", "registerResource", "prompt", "registerPrompt"]);
const HTTP_METHODS = new Set(["get", "post", "put", "delete", "patch", "all", "use", "createServer"]);
const HTTP_FIELDS: ReadonlySet<string> = new Set(["query", "body", "headers", "params", "url", "cookies", "originalUrl", "path", "rawHeaders"]);
/** Request schemas of the low-level Server whose handlers receive client input, and where it sits. */
const REQUEST_SCHEMAS: readonly [RegExp, HandlerKind, readonly string[]][] = [
  [/CallToolRequestSchema$/, "callTool", ["params", "arguments"]],
  [/ReadResourceRequestSchema$/, "resource", ["params", "uri"]],
  [/GetPromptRequestSchema$/, "prompt", ["params", "arguments"]],
];

function shape(path: readonly string[], safeKeys: ReadonlySet<string> = new Set()): InputShape {
  return { path, safeKeys };
}

/**
 * Finds the handlers whose parameters carry input: `server.tool(...)` in all its overloads,
 * `registerTool`, `setRequestHandler(CallToolRequestSchema | ReadResourceRequestSchema |
 * GetPromptRequestSchema, ...)`, resource templates (`resource`/`registerResource` with a
 * `ResourceTemplate`), prompts (`prompt`/`registerPrompt`), and, in MCP server files, HTTP route
 * handlers (`app.post("/mcp", (req, res) => ...)`, `createServer((req, res) => ...)`).
 */
export function findToolHandlers(sourceFile: SourceFile, isMcpServer: () => boolean = () => true, imported: ImportedHandler[] = []): ToolHandler[] {
  const out: ToolHandler[] = [];
  for (const call of descendantsOfKind(sourceFile, SyntaxKind.CallExpression)) {
    const callee = call.getExpression();
    const method = Node.isPropertyAccessExpression(callee) ? callee.getName() : Node.isIdentifier(callee) ? callee.getText() : undefined;
    if (method === undefined) continue;
    if (REGISTRATION_METHODS.has(method) && Node.isPropertyAccessExpression(callee)) registration(call, method, out, imported);
    else if (HTTP_METHODS.has(method)) httpHandlers(call, method, isMcpServer, out);
  }
  return out;
}

/**
 * A registration whose handler is named but not defined in this file (`server.tool("x", schema,
 * readFileHandler)` with `readFileHandler` imported). The taint engine binds it when the module
 * defining the handler is among the analyzed files.
 */
export interface ImportedHandler extends Omit<ToolHandler, "fn"> {
  /** The expression naming the handler: an imported identifier or `module.member`. */
  ref: Node;
}

function registration(call: CallExpression, method: string, out: ToolHandler[], imported: ImportedHandler[]): void {
  const args = call.getArguments();
  const add = (handler: Omit<ToolHandler, "fn">, target: Node | undefined) => {
    if (!target) return;
    const fn = functionOf(target);
    if (fn) out.push({ ...handler, fn });
    else if (isHandlerReference(unwrap(target))) imported.push({ ...handler, ref: unwrap(target) });
  };
  if (method === "setRequestHandler") {
    const schema = args[0]?.getText() ?? "";
    const known = REQUEST_SCHEMAS.find(([pattern]) => pattern.test(schema));
    if (known) add({ kind: known[1], registration: call, inputs: [shape(known[2])] }, args[1]);
    return;
  }
  if (args.length < 2) return;
  const name = constantString(args[0]!);
  // The handler is the last argument that is (or names) a function, else the last argument.
  let target: Node | undefined;
  for (let i = args.length - 1; i >= 1 && !target; i--) if (functionOf(args[i]!)) target = args[i];
  if (!target) {
    const last = unwrap(args[args.length - 1]!);
    if (args.length >= 3 && isHandlerReference(last) && !Node.isObjectLiteralExpression(followConst(last)) && !isSchemaCall(last)) target = last;
  }
  if (!target) return;
  if (method === "resource" || method === "registerResource") {
    // A fixed URI gives the handler a fixed URL; only a template's variables come from the client.
    if (!isResourceTemplate(args[1]!)) return;
    add({ kind: "resource", registration: call, toolName: name, inputs: [shape([]), shape([])] }, target);
    return;
  }
  const shapes: Node[] = [];
  if (method === "registerTool" || method === "registerPrompt") {
    const schema = propertyValue(args[1]!, method === "registerTool" ? "inputSchema" : "argsSchema");
    if (schema) shapes.push(schema);
  } else {
    for (const arg of args.slice(1)) if (arg !== target && Node.isObjectLiteralExpression(followConst(arg))) shapes.push(arg);
  }
  const safeKeys = new Set<string>();
  for (const s of shapes) for (const key of constrainedKeys(s)) safeKeys.add(key);
  const kind: HandlerKind = method === "tool" ? "tool" : method === "registerTool" ? "registerTool" : "prompt";
  add({ kind, registration: call, toolName: name, inputs: [shape([], safeKeys)] }, target);
}

/**
 * An expression that names a handler defined elsewhere: an identifier, `tool.handler`,
 * `tools[name].run`, or a wrapper call (`withAuth(handler)`, `createHandler(logic)`). The taint
 * engine resolves it to functions across the analysis.
 */
function isHandlerReference(node: Node): boolean {
  return Node.isIdentifier(node) || Node.isPropertyAccessExpression(node) || Node.isElementAccessExpression(node) || Node.isCallExpression(node);
}

/** `z.object({...})`, `schema.extend(...)`: a schema argument, not a handler. */
function isSchemaCall(node: Node): boolean {
  return Node.isCallExpression(node) && /(?:^|\.)(?:object|extend|strict|passthrough|shape|merge|partial|describe|optional)$|^z\./.test(node.getExpression().getText());
}

function isResourceTemplate(arg: Node): boolean {
  const node = followConst(arg);
  if (Node.isNewExpression(node)) return /ResourceTemplate$/.test(node.getExpression().getText());
  const text = constantString(node);
  return text !== undefined && /\{[^}]+\}/.test(text);
}

/** Route handlers of an HTTP server in an MCP server file: `(req, res) => ...` with two or more parameters. */
function httpHandlers(call: CallExpression, method: string, isMcpServer: () => boolean, out: ToolHandler[]): void {
  const args = call.getArguments();
  if (args.length === 0) return;
  const route = method === "createServer" ? undefined : constantString(args[0]!);
  for (const arg of args) {
    const inner = unwrap(arg);
    if (!(Node.isArrowFunction(inner) || Node.isFunctionExpression(inner)) || inner.getParameters().length < 2) continue;
    if (!isMcpServer()) return;
    out.push({ kind: "http", registration: call, toolName: route, fn: inner, inputs: [{ path: [], safeKeys: new Set(), fields: HTTP_FIELDS }] });
  }
}

/** How a message names where input came from: "Tool `git_log` input", "HTTP request data". */
export function describeSources(handlers: readonly ToolHandler[]): string {
  const kinds = new Set(handlers.map((h) => h.kind));
  const names = (kind: (k: HandlerKind) => boolean) =>
    [...new Set(handlers.filter((h) => kind(h.kind) && h.toolName).map((h) => `\`${h.toolName}\``))].join(", ");
  const parts: string[] = [];
  if (kinds.has("tool") || kinds.has("registerTool") || kinds.has("callTool")) {
    const n = names((k) => k === "tool" || k === "registerTool" || k === "callTool");
    parts.push(n ? `Tool ${n} input` : "Tool input");
  }
  if (kinds.has("resource")) {
    const n = names((k) => k === "resource");
    parts.push(n ? `Resource template ${n} input` : "Resource URI input");
  }
  if (kinds.has("prompt")) {
    const n = names((k) => k === "prompt");
    parts.push(n ? `Prompt ${n} input` : "Prompt input");
  }
  if (kinds.has("http")) {
    const n = names((k) => k === "http");
    parts.push(n ? `HTTP request data (route ${n})` : "HTTP request data");
  }
  if (kinds.has("remote")) {
    const n = [...new Set(handlers.filter((h) => h.kind === "remote" && h.toolName).map((h) => h.toolName!))].join(" and ");
    const text = n ? `${n}, chosen by the remote MCP server,` : "Data chosen by the remote MCP server";
    parts.push(parts.length === 0 ? text.charAt(0).toUpperCase() + text.slice(1) : text);
  }
  return parts.length > 0 ? parts.join(" and ") : "Tool input";
}

/** The function an argument is or names (an inline function, or an identifier declared in this file). */
export function functionOf(arg: Node): FunctionLike | undefined {
  const node = unwrap(arg);
  if (Node.isArrowFunction(node) || Node.isFunctionExpression(node)) return node;
  if (Node.isIdentifier(node)) {
    const decl = declarationOf(node);
    if (decl && Node.isFunctionDeclaration(decl)) return decl;
    if (decl && Node.isVariableDeclaration(decl)) {
      const init = decl.getInitializer();
      const inner = init ? unwrap(init) : undefined;
      if (inner && (Node.isArrowFunction(inner) || Node.isFunctionExpression(inner))) return inner;
      if (inner && Node.isCallExpression(inner)) return functionOf(inner);
    }
  }
  if (Node.isCallExpression(node)) {
    // this.handle.bind(this), promisify(handle)
    const callee = node.getExpression();
    if (/(?:^|\.)promisify$/.test(callee.getText()) && node.getArguments()[0]) return functionOf(node.getArguments()[0]!);
    if (Node.isPropertyAccessExpression(callee) && callee.getName() === "bind") return functionOf(callee.getExpression());
  }
  if (Node.isPropertyAccessExpression(node) && node.getExpression().getKind() === SyntaxKind.ThisKeyword) {
    const method = node.getFirstAncestorByKind(SyntaxKind.ClassDeclaration)?.getMethod(node.getName());
    if (method) return method;
  }
  return undefined;
}

/** Keys of a zod shape (`{ x: z.enum([...]) }` or `z.object({...})`) whose schema cannot carry an attack. */
export function constrainedKeys(shape: Node): string[] {
  let obj = followConst(shape);
  if (Node.isCallExpression(obj) && /\bobject$/.test(obj.getExpression().getText()) && obj.getArguments()[0]) obj = followConst(obj.getArguments()[0]!);
  if (!Node.isObjectLiteralExpression(obj)) return [];
  const keys: string[] = [];
  for (const prop of obj.getProperties()) {
    const name = propertyName(prop);
    if (name !== undefined && Node.isPropertyAssignment(prop) && isConstrainedSchema(prop.getInitializerOrThrow())) keys.push(name);
  }
  return keys;
}

const SAFE_ZOD_TYPES = new Set(["enum", "nativeEnum", "number", "int", "boolean", "literal", "bigint", "date", "nan", "null", "undefined", "void"]);

/** True for a zod schema whose values are drawn from a fixed set or are numbers/booleans. */
export function isConstrainedSchema(expr: Node, depth = 0): boolean {
  if (depth > 6) return false;
  let node = followConst(expr);
  const modifiers: CallExpression[] = [];
  while (Node.isCallExpression(node)) {
    const callee = node.getExpression();
    if (!Node.isPropertyAccessExpression(callee)) return false;
    const receiver = unwrap(callee.getExpression());
    const base = callee.getName();
    const isRoot = Node.isIdentifier(receiver) || (Node.isPropertyAccessExpression(receiver) && receiver.getName() === "coerce");
    if (isRoot) {
      const args = node.getArguments();
      if (SAFE_ZOD_TYPES.has(base)) return true;
      if (base === "union" && args[0] && Node.isArrayLiteralExpression(unwrap(args[0]))) {
        const members = (unwrap(args[0]) as import("ts-morph").ArrayLiteralExpression).getElements();
        return members.length > 0 && members.every((m) => isConstrainedSchema(m, depth + 1));
      }
      if (base === "array" && args[0]) return isConstrainedSchema(args[0], depth + 1);
      if (base === "string") return modifiers.some((m) => isStrictRegexModifier(m));
      return false;
    }
    modifiers.push(node);
    node = receiver;
  }
  return false;
}

function isStrictRegexModifier(call: CallExpression): boolean {
  const callee = call.getExpression();
  const arg = call.getArguments()[0];
  return Node.isPropertyAccessExpression(callee) && callee.getName() === "regex" && !!arg && isStrictRegex(arg);
}

/**
 * A regex literal anchored at both ends whose characters cannot spell shell syntax, a path
 * separator sequence or whitespace, e.g. `/^[A-Za-z0-9_-]+$/`.
 */
export function isStrictRegex(expr: Node): boolean {
  const node = unwrap(expr);
  if (!Node.isRegularExpressionLiteral(node)) return false;
  const text = node.getText();
  const body = text.slice(1, text.lastIndexOf("/"));
  if (!body.startsWith("^") || !body.endsWith("$") || body.includes("[^")) return false;
  const stripped = body
    .slice(1, -1)
    .replace(/\\[wd.\-_/:@]/g, "")
    .replace(/\{\d+(,\d*)?\}/g, "")
    .replace(/\(\?:/g, "(");
  return /^[A-Za-z0-9_\-[\]+*?@:,=()]*$/.test(stripped);
}

/** Every description text the model reads: tool descriptions, `.describe()` texts, tool list objects. */
export function findDescriptions(sourceFile: SourceFile): DescriptionText[] {
  const out: DescriptionText[] = [];
  const seen = new Set<Node>();
  const add = (node: Node | undefined, toolName?: string) => {
    if (!node) return;
    // A description kept in a constant is reported where its text is written.
    const written = Node.isIdentifier(unwrap(node)) ? followConst(node) : node;
    if (seen.has(written)) return;
    const text = constantString(written);
    if (text === undefined || text.trim() === "") return;
    seen.add(written);
    out.push({ node: written, text, toolName });
  };
  const addDescriptionsIn = (root: Node, toolName?: string) => {
    for (const prop of descendantsOfKind(root, SyntaxKind.PropertyAssignment)) {
      if (propertyName(prop) === "description") add(prop.getInitializer(), toolName ?? nameBeside(prop));
    }
  };
  for (const call of descendantsOfKind(sourceFile, SyntaxKind.CallExpression)) {
    const callee = call.getExpression();
    if (!Node.isPropertyAccessExpression(callee)) continue;
    const method = callee.getName();
    const args = call.getArguments();
    if (method === "tool" && args.length >= 3) {
      const name = constantString(args[0]!);
      if (name !== undefined && constantString(args[1]!) !== undefined) add(args[1], name);
    } else if (method === "registerTool" && args[1]) {
      const name = args[0] ? constantString(args[0]) : undefined;
      add(propertyValue(args[1], "description"), name);
      const config = followConst(args[1]);
      if (Node.isObjectLiteralExpression(config)) addDescriptionsIn(config, name);
    } else if (method === "describe" && args[0]) {
      add(args[0]);
    } else if (method === "setRequestHandler" && args[0] && /ListToolsRequestSchema$/.test(args[0].getText()) && args[1]) {
      const fn = functionOf(args[1]);
      if (fn) {
        addDescriptionsIn(fn);
        for (const id of descendantsOfKind(fn, SyntaxKind.Identifier)) {
          const value = followConst(id);
          if (value !== id && (Node.isArrayLiteralExpression(value) || Node.isObjectLiteralExpression(value))) addDescriptionsIn(value);
        }
      }
    }
  }
  // Tool definition objects kept in constants: { name, description, inputSchema }.
  for (const obj of descendantsOfKind(sourceFile, SyntaxKind.ObjectLiteralExpression)) {
    const names = new Set(obj.getProperties().map(propertyName));
    if (names.has("description") && names.has("inputSchema")) addDescriptionsIn(obj);
  }
  return out;
}

function nameBeside(prop: Node): string | undefined {
  const obj = prop.getParent();
  const name = obj ? propertyValue(obj, "name") : undefined;
  return name ? constantString(name) : undefined;
}

// ---- MCP client code: what the remote server chooses ----------------------------------------

/** Members of the SDK's `OAuthClientProvider` interface, by which a provider is recognized when it does not say `implements`. */
const OAUTH_PROVIDER_MEMBERS = new Set(["clientMetadata", "redirectUrl", "clientInformation", "saveClientInformation", "tokens", "saveTokens", "saveCodeVerifier", "codeVerifier", "invalidateCredentials", "state"]);
/** Requests a server sends to a client, and where the data the server chose sits in them. */
const CLIENT_REQUEST_SCHEMAS: readonly [RegExp, string][] = [
  [/ElicitRequestSchema$/, "the elicitation request (`elicitation/create`)"],
  [/CreateMessageRequestSchema$/, "the sampling request (`sampling/createMessage`)"],
];

/** A class or object literal that implements the SDK's OAuthClientProvider. */
function isOAuthProvider(owner: Node | undefined): boolean {
  if (!owner) return false;
  if (Node.isClassDeclaration(owner) || Node.isClassExpression(owner)) {
    if (owner.getImplements().some((i) => /\bOAuthClientProvider\b/.test(i.getText()))) return true;
    return owner.getMembers().filter((m) => "getName" in m && OAUTH_PROVIDER_MEMBERS.has((m as { getName(): string }).getName())).length >= 2;
  }
  if (Node.isObjectLiteralExpression(owner)) {
    const parent = owner.getParent();
    if (parent && Node.isVariableDeclaration(parent) && /\bOAuthClientProvider\b/.test(parent.getTypeNode()?.getText() ?? "")) return true;
    return owner.getProperties().filter((p) => OAUTH_PROVIDER_MEMBERS.has(propertyName(p) ?? "")).length >= 2;
  }
  return false;
}

/**
 * Inputs of MCP client code (proxies, inspectors, CLI clients) that the remote
 * MCP server chooses: the authorization URL handed to an OAuth provider's
 * `redirectToAuthorization(url)` (built from the server's `authorization_endpoint` metadata), and
 * the parameters of the requests a server sends to its client (elicitation, sampling). They are
 * as hostile to the client's machine as tool input is to a server's.
 */
export function findRemoteInputs(sourceFile: SourceFile): ToolHandler[] {
  const out: ToolHandler[] = [];
  const text = sourceFile.getFullText();
  if (text.includes("redirectToAuthorization")) {
    for (const method of descendantsOfKind(sourceFile, SyntaxKind.MethodDeclaration)) {
      if (method.getName() !== "redirectToAuthorization" || !method.getBody() || !isOAuthProvider(method.getParent())) continue;
      out.push({ kind: "remote", registration: method, toolName: "the authorization URL passed to `redirectToAuthorization`", fn: method, inputs: [shape([])] });
    }
    for (const prop of descendantsOfKind(sourceFile, SyntaxKind.PropertyAssignment)) {
      if (propertyName(prop) !== "redirectToAuthorization" || !isOAuthProvider(prop.getParent())) continue;
      const fn = functionOf(prop.getInitializerOrThrow());
      if (fn) out.push({ kind: "remote", registration: fn, toolName: "the authorization URL passed to `redirectToAuthorization`", fn, inputs: [shape([])] });
    }
  }
  if (/ElicitRequestSchema|CreateMessageRequestSchema/.test(text)) {
    for (const call of descendantsOfKind(sourceFile, SyntaxKind.CallExpression)) {
      const callee = call.getExpression();
      if (!Node.isPropertyAccessExpression(callee) || callee.getName() !== "setRequestHandler") continue;
      const [schema, handler] = call.getArguments();
      const known = schema ? CLIENT_REQUEST_SCHEMAS.find(([pattern]) => pattern.test(schema.getText())) : undefined;
      const fn = known && handler ? functionOf(handler) : undefined;
      if (fn) out.push({ kind: "remote", registration: call, toolName: known![1], fn, inputs: [shape(["params"])] });
    }
  }
  return out;
}
