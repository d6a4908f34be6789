import { Node, SyntaxKind, type CallExpression, type SourceFile } from "ts-morph";
import { importedModules } from "./imports.js";
import { constantString, declarationOf, followConst, propertyName, propertyValue, unwrap, descendantsOfKind } from "./values.js";

/** A function whose body can be analyzed. */
export type FunctionLike =
  | import("ts-morph").ArrowFunction
  | import("ts-morph").FunctionExpression
  | import("ts-morph").FunctionDeclaration
  | import("ts-morph").MethodDeclaration;

/** Where a handler's tool input sits inside its first parameter. */
export interface InputShape {
  /** Property path from the parameter to the arguments: [] for `server.tool`, ["params","arguments"] for CallToolRequest. */
  path: readonly string[];
  /** Arguments whose schema (z.enum, z.number, z.boolean, z.literal, strict regex) cannot carry an attack. */
  safeKeys: ReadonlySet<string>;
}

/** An MCP tool handler: a function whose first parameter carries tool input. */
export interface ToolHandler {
  kind: "tool" | "registerTool" | "callTool";
  registration: CallExpression;
  toolName?: string;
  fn: FunctionLike;
  input: InputShape;
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
  readonly descriptions: readonly DescriptionText[];
}

const SERVER_MARKERS = /\b(McpServer|SSEServerTransport|StreamableHTTPServerTransport)\b/;

export function createMcpFile(sourceFile: SourceFile): McpFile {
  let isMcp: boolean | undefined;
  let handlers: ToolHandler[] | undefined;
  let descriptions: DescriptionText[] | undefined;
  return {
    get isMcpServer() {
      isMcp ??= importedModules(sourceFile).some((m) => m.startsWith("@modelcontextprotocol/sdk")) || SERVER_MARKERS.test(sourceFile.getFullText());
      return isMcp;
    },
    get handlers() {
      handlers ??= findToolHandlers(sourceFile);
      return handlers;
    },
    get descriptions() {
      descriptions ??= findDescriptions(sourceFile);
      return descriptions;
    },
  };
}

function methodCalls(sourceFile: SourceFile, names: ReadonlySet<string>): { call: CallExpression; method: string }[] {
  const out: { call: CallExpression; method: string }[] = [];
  for (const call of descendantsOfKind(sourceFile, SyntaxKind.CallExpression)) {
    const callee = call.getExpression();
    if (Node.isPropertyAccessExpression(callee) && names.has(callee.getName())) out.push({ call, method: callee.getName() });
  }
  return out;
}

const REGISTRATION_METHODS = new Set(["tool", "registerTool", "setRequestHandler"]);

/** Finds `server.tool(...)`, `server.registerTool(...)` and `setRequestHandler(CallToolRequestSchema, ...)` handlers. */
export function findToolHandlers(sourceFile: SourceFile): ToolHandler[] {
  const out: ToolHandler[] = [];
  for (const { call, method } of methodCalls(sourceFile, REGISTRATION_METHODS)) {
    const args = call.getArguments();
    if (method === "setRequestHandler") {
      if (!args[0] || !/CallToolRequestSchema$/.test(args[0].getText())) continue;
      const fn = args[1] ? functionOf(args[1]) : undefined;
      if (fn) out.push({ kind: "callTool", registration: call, fn, input: { path: ["params", "arguments"], safeKeys: new Set() } });
      continue;
    }
    if (args.length < 2) continue;
    const toolName = constantString(args[0]!);
    let fn: FunctionLike | undefined;
    for (let i = args.length - 1; i >= 1 && !fn; i--) fn = functionOf(args[i]!);
    if (!fn) continue;
    const shapes: Node[] = [];
    if (method === "registerTool") {
      const schema = args[1] ? propertyValue(args[1], "inputSchema") : undefined;
      if (schema) shapes.push(schema);
    } else {
      for (const arg of args.slice(1)) if (Node.isObjectLiteralExpression(followConst(arg))) shapes.push(arg);
    }
    const safeKeys = new Set<string>();
    for (const shape of shapes) for (const key of constrainedKeys(shape)) safeKeys.add(key);
    out.push({ kind: method === "tool" ? "tool" : "registerTool", registration: call, toolName, fn, input: { path: [], safeKeys } });
  }
  return out;
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
    }
  }
  if (Node.isCallExpression(node)) {
    // this.handle.bind(this)
    const callee = node.getExpression();
    if (Node.isPropertyAccessExpression(callee) && callee.getName() === "bind") return functionOf(callee.getExpression());
  }
  if (Node.isPropertyAccessExpression(node) && node.getExpression().getKind() === SyntaxKind.ThisKeyword) {
    const method = node.getFirstAncestorByKind(SyntaxKind.ClassDeclaration)?.getMethod(node.getName());
    if (method) return method;
  }
  return undefined;
}

/** Keys of a zod shape (`{ x: z.enum([...]) }` or `z.object({...})`) whose schema cannot carry an attack. */
function constrainedKeys(shape: Node): string[] {
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
