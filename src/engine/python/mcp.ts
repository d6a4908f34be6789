import { nestedFunction, type PythonClasses } from "./classes.js";
import { httpRequestHandlers } from "./http-sources.js";
import { handRolledMcpServer } from "./server-text.js";
import type { PythonModule } from "./module.js";
import type { PyNode } from "./parser.js";
import type { PythonProject } from "./project.js";
import { callArgs, calleeOf, constantString, docstringOf, parametersOf, unwrapPy } from "./values.js";

/** A Python function whose parameters carry input an attacker may choose. */
export interface PyToolHandler {
  /** `tool`, `resource` and `prompt` are FastMCP registrations; `callTool` the low-level server; `route` an HTTP endpoint. */
  kind: "tool" | "resource" | "prompt" | "callTool" | "route";
  fn: PyNode;
  /** The decorator or `add_tool(...)` call that registers it. */
  registration: PyNode;
  toolName?: string;
  /** Parameters that carry input: typed `Literal`, `Enum`, `int`, `float`, `bool` and `Context` ones are left out. */
  tainted: ReadonlySet<string>;
  /** Tainted parameters constrained by an anchored pattern (`Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]`), by name. */
  patterns?: ReadonlyMap<string, string>;
  /** A low-level `Server` decorator (`@server.get_prompt()`, `@server.read_resource()`): the SDK publishes no docstring for it. */
  lowLevel?: boolean;
}

/** A function of another module that this module registers (`mcp.tool()(imported_fn)`), with the module it is defined in. */
export interface PyForeignHandler {
  module: PythonModule;
  handler: PyToolHandler;
}

/** What handler discovery may ask of the rest of the analysis: other modules, classes. */
export interface PythonMcpLinks {
  project: PythonProject;
  classes: PythonClasses;
}

/** A text the model reads as part of a tool, prompt or resource definition. */
export interface PyDescription {
  node: PyNode;
  text: string;
  toolName?: string;
}

/** MCP facts about one Python module, computed on first use and shared by all rules. */
export interface PythonMcpFile {
  /** Imports the `mcp` SDK or `fastmcp`. */
  readonly isMcpServer: boolean;
  readonly handlers: readonly PyToolHandler[];
  /** Functions of other modules registered here as tools, resources or prompts. */
  readonly foreignHandlers: readonly PyForeignHandler[];
  readonly descriptions: readonly PyDescription[];
}

const REGISTRATIONS = new Set(["tool", "resource", "prompt", "call_tool", "custom_route", "get_prompt", "read_resource"]);
/** `mcp.add_tool(fn)`, `mcp.tool(fn, name=...)`, `mcp.tool()(fn)` and the like: the method names and what they register. */
const CALL_REGISTRATIONS: Record<string, "tool" | "resource" | "prompt"> = {
  tool: "tool", add_tool: "tool", prompt: "prompt", add_prompt: "prompt", resource: "resource", add_resource_fn: "resource",
};
/** `Tool.from_function(fn)` and its prompt and resource siblings (FastMCP 2). */
const FROM_FUNCTION = /(?:^|\.)(Tool|FunctionTool|Prompt|FunctionPrompt|Resource|FunctionResource|ResourceTemplate)\.from_function$/;
/** The low-level server's constructor handlers (`on_call_tool=`), and what their params carry. */
const LOW_LEVEL_HANDLERS: readonly (readonly [string, PyToolHandler["kind"]])[] = [
  ["on_call_tool", "callTool"],
  ["on_get_prompt", "prompt"],
  ["on_read_resource", "resource"],
];
const HTTP_ROUTES = new Set(["get", "post", "put", "patch", "delete", "api_route", "route", "websocket"]);
const SAFE_SCALARS = /^(?:int|float|bool|complex|decimal\.Decimal|Decimal|UUID|uuid\.UUID|datetime|date|time|timedelta|datetime\.\w+|None)$/;
const CONTEXT_TYPES = /^(?:Context|fastmcp\.Context|RequestContext)\b/;

export function createPythonMcpFile(module: PythonModule, links?: PythonMcpLinks): PythonMcpFile {
  let isMcp: boolean | undefined;
  let found: { handlers: PyToolHandler[]; foreign: PyForeignHandler[] } | undefined;
  let descriptions: PyDescription[] | undefined;
  const discover = (mcp: boolean) => (found ??= mcp ? findHandlers(module, links) : { handlers: [], foreign: [] });
  return {
    get isMcpServer() {
      isMcp ??= module.importsModule("mcp", "fastmcp") || handRolledMcpServer(module.text);
      return isMcp;
    },
    get handlers() {
      return discover(this.isMcpServer).handlers;
    },
    get foreignHandlers() {
      return discover(this.isMcpServer).foreign;
    },
    get descriptions() {
      descriptions ??= this.isMcpServer ? findDescriptions(module, this.handlers) : [];
      return descriptions;
    },
  };
}

function findHandlers(module: PythonModule, links?: PythonMcpLinks): { handlers: PyToolHandler[]; foreign: PyForeignHandler[] } {
  const out: PyToolHandler[] = [];
  const foreign: PyForeignHandler[] = [];
  const enums = enumClasses(module, links);
  const fastapi = module.importsModule("fastapi");
  const seen = new Set<number>();
  const add = (h: PyToolHandler) => {
    if (seen.has(h.fn.id)) return;
    seen.add(h.fn.id);
    out.push(h);
  };

  for (const decorated of module.nodesOf("decorated_definition")) {
    const fn = decorated.childForFieldName("definition");
    if (fn?.type !== "function_definition") continue;
    for (const decorator of decorated.namedChildren) {
      if (decorator?.type !== "decorator") continue;
      const expr = decorator.namedChildren[0];
      if (!expr) continue;
      const call = expr.type === "call" ? expr : undefined;
      const callee = call ? calleeOf(call) : expr;
      if (callee?.type !== "attribute") continue;
      const method = callee.childForFieldName("attribute")!.text;
      if (method === "get_prompt" || method === "read_resource") {
        // The low-level server: `get_prompt(name, arguments)` and `read_resource(uri)`.
        const params = parametersOf(fn).filter((p) => p.name !== "self");
        const input = method === "get_prompt" ? params[1] : params[0];
        if (input) add({ kind: method === "get_prompt" ? "prompt" : "resource", fn, registration: decorator, tainted: new Set([input.name]), lowLevel: true });
      } else if (REGISTRATIONS.has(method)) {
        const kind = method === "call_tool" ? "callTool" : method === "custom_route" ? "route" : (method as "tool" | "resource" | "prompt");
        const named = call ? callArgs(call).keywords.get("name") : undefined;
        // A tool may be named by its first argument (fastmcp); a resource template is named by its URI.
        const firstString = call && (kind === "tool" || kind === "resource") ? callArgs(call).positional[0] ?? (kind === "resource" ? callArgs(call).keywords.get("uri") : undefined) : undefined;
        const toolName = kind === "callTool" || kind === "route" ? undefined : ((named && constantString(named, module)) ?? (firstString && constantString(firstString, module)) ?? fn.childForFieldName("name")?.text);
        add({ kind, fn, registration: decorator, toolName, tainted: taintedParams(fn, kind, enums), patterns: parameterPatterns(fn) });
      } else if (fastapi && HTTP_ROUTES.has(method)) {
        add({ kind: "route", fn, registration: decorator, tainted: taintedParams(fn, "tool", enums) });
      }
    }
  }

  // Registration calls: `mcp.add_tool(fn)`, `mcp.tool(fn, name=...)`, `mcp.tool()(fn)`, `Tool.from_function(fn)`,
  // on functions of this module, nested ones, imported ones and methods, also in a loop over a list of them.
  // Text checks first: walking every call crosses into WebAssembly for each node.
  for (const call of /\b(?:tool|add_tool|prompt|add_prompt|resource|add_resource_fn|from_function)\s*\(/.test(module.text) ? module.nodesOf("call") : []) {
    const registration = registrationOf(module, call);
    if (!registration) continue;
    for (const ref of functionRefs(registration.target)) {
      const target = resolveHandlerFunction(module, ref, links);
      if (!target) continue;
      const targetEnums = target.module === module ? enums : enumClasses(target.module, links);
      const kind = registration.kind;
      const named = registration.options.get("name");
      const toolName = (named && constantString(named, module)) ?? target.fn.childForFieldName("name")?.text;
      const handler: PyToolHandler = { kind, fn: target.fn, registration: call, toolName, tainted: taintedParams(target.fn, kind, targetEnums), patterns: parameterPatterns(target.fn) };
      if (target.module === module) add(handler);
      else if (!foreign.some((f) => f.handler.fn.id === target.fn.id)) foreign.push({ module: target.module, handler });
    }
  }

  // `Server("name", on_call_tool=handle_call_tool)`: the handler's second parameter holds the request params.
  for (const call of /\bon_(?:call_tool|get_prompt|read_resource)\s*=/.test(module.text) ? module.nodesOf("call") : []) {
    if (!/\bon_(?:call_tool|get_prompt|read_resource)\s*=/.test(call.text)) continue;
    const keywords = callArgs(call).keywords;
    for (const [keyword, kind] of LOW_LEVEL_HANDLERS) {
      const target = keywords.get(keyword);
      const fn = target?.type === "identifier" ? module.functions.get(target.text) : undefined;
      if (!fn) continue;
      const params = parametersOf(fn).filter((p) => p.name !== "self");
      if (params.length >= 2) add({ kind, fn, registration: call, tainted: new Set([params[1]!.name]) });
    }
  }

  // Starlette and FastAPI endpoints of an MCP HTTP app: whatever the request carries is input.
  for (const fn of /\bRequest\b/.test(module.text) ? module.nodesOf("function_definition") : []) {
    if (seen.has(fn.id)) continue;
    const requests = parametersOf(fn).filter((p) => p.type && /^(?:starlette\.requests\.)?Request$/.test(p.type.trim()));
    if (requests.length > 0) add({ kind: "route", fn, registration: fn, tainted: new Set(requests.map((p) => p.name)) });
  }
  // http.server request handlers and Starlette endpoints without a typed Request (see http-sources.ts).
  for (const h of httpRequestHandlers(module)) add(h);
  return { handlers: out, foreign };
}

/** A call that registers a function: what kind of handler, the expression naming the function, and the call's keyword options. */
function registrationOf(module: PythonModule, call: PyNode): { kind: "tool" | "resource" | "prompt"; target: PyNode; options: ReadonlyMap<string, PyNode> } | undefined {
  const callee = calleeOf(call)!;
  const args = callArgs(call);
  // `mcp.tool(name="x")(fn)`: the decorator applied by hand.
  if (callee.type === "call") {
    const inner = callee.childForFieldName("function");
    const method = inner?.type === "attribute" ? inner.childForFieldName("attribute")!.text : undefined;
    const kind = method === "tool" || method === "prompt" || method === "resource" ? method : undefined;
    const target = args.positional[0];
    return kind && target ? { kind, target, options: callArgs(callee).keywords } : undefined;
  }
  const from = FROM_FUNCTION.exec(callee.text);
  if (from) {
    const target = args.positional[0] ?? args.keywords.get("fn");
    const kind = /Tool/.test(from[1]!) ? "tool" : /Prompt/.test(from[1]!) ? "prompt" : "resource";
    return target ? { kind, target, options: args.keywords } : undefined;
  }
  if (callee.type !== "attribute") return undefined;
  const kind = CALL_REGISTRATIONS[callee.childForFieldName("attribute")!.text];
  const target = args.positional[0] ?? args.keywords.get("fn");
  // `mcp.tool("name")` names a tool for a decorator; `mcp.add_tool(Tool.from_function(fn))` is read at the inner call.
  if (!kind || !target || constantString(target, module) !== undefined) return undefined;
  const t = unwrapPy(target);
  if (t.type !== "identifier" && t.type !== "attribute") return undefined;
  return { kind, target, options: args.keywords };
}

/** The function expressions a registered expression stands for: itself, or the elements of the list a loop variable runs over. */
function functionRefs(target: PyNode): PyNode[] {
  const t = unwrapPy(target);
  if (t.type !== "identifier") return [t];
  for (let n = t.parent; n; n = n.parent) {
    if (n.type === "function_definition") break;
    if (n.type !== "for_statement" || n.childForFieldName("left")?.text !== t.text) continue;
    const list = unwrapPy(n.childForFieldName("right")!);
    if (list.type === "list" || list.type === "tuple") return list.namedChildren.filter((e): e is PyNode => !!e && (e.type === "identifier" || e.type === "attribute"));
  }
  return [t];
}

/** The function a registered name refers to: nested, of this module, imported, or a method (`self.search`, `tools.search`). */
function resolveHandlerFunction(module: PythonModule, ref: PyNode, links?: PythonMcpLinks): { module: PythonModule; fn: PyNode } | undefined {
  if (ref.type === "identifier") {
    const nested = nestedFunction(ref);
    if (nested) return { module, fn: nested };
    const local = module.functions.get(ref.text);
    if (local && !links) return { module, fn: local };
  }
  if (!links) return undefined;
  const fn = links.project.resolveFunction(module, ref);
  if (fn) return fn;
  if (ref.type !== "attribute") return undefined;
  const name = ref.childForFieldName("attribute")!.text;
  for (const cls of links.classes.typeOf(module, ref.childForFieldName("object")!)) {
    const method = links.classes.lookup(cls, name);
    if (method) return method;
  }
  return undefined;
}

function taintedParams(fn: PyNode, kind: PyToolHandler["kind"], enums: ReadonlySet<string>): Set<string> {
  const params = parametersOf(fn).filter((p) => p.name !== "self" && p.name !== "cls");
  if (kind === "callTool") return new Set(params.slice(1, 2).map((p) => p.name));
  if (kind === "route") return new Set(params.filter((p) => !p.type || /Request\b/.test(p.type)).map((p) => p.name).slice(0, 1));
  return new Set(params.filter((p) => !p.type || !isSafeType(p.type, enums)).map((p) => p.name));
}

/** `pattern=`/`regex=` of `Field(...)`/`constr(...)` in each parameter's annotation or default. */
function parameterPatterns(fn: PyNode): Map<string, string> {
  const out = new Map<string, string>();
  for (const param of parametersOf(fn)) {
    if (!/\b(?:pattern|regex)\s*=/.test(param.node.text)) continue;
    for (const call of param.node.descendantsOfType("call")) {
      const value = call ? callArgs(call).keywords.get("pattern") ?? callArgs(call).keywords.get("regex") : undefined;
      const pattern = value ? constantString(value) : undefined;
      if (pattern !== undefined) out.set(param.name, pattern);
    }
  }
  return out;
}

/** `Literal[...]`, an Enum class of the module, numbers, booleans, `Context`: types that cannot carry an attack string. */
export function isSafeType(type: string, enums: ReadonlySet<string>): boolean {
  let t = type.replace(/\s+/g, "");
  for (;;) {
    const inner = /^(?:typing\.)?(?:Optional|Annotated)\[(.*)\]$/.exec(t);
    if (!inner) break;
    t = splitTop(inner[1]!)[0]!;
  }
  const union = t.split("|");
  if (union.length > 1) return union.every((u) => isSafeType(u, enums));
  if (/^(?:typing\.)?Literal\[/.test(t)) return true;
  if (CONTEXT_TYPES.test(t)) return true;
  const list = /^(?:list|List|tuple|Tuple|set|Set|Sequence|typing\.List)\[(.*)\]$/.exec(t);
  if (list) return splitTop(list[1]!).every((e) => e === "..." || isSafeType(e, enums));
  return SAFE_SCALARS.test(t) || enums.has(t);
}

function splitTop(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "[" || c === "(") depth++;
    else if (c === "]" || c === ")") depth--;
    else if (c === "," && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

/**
 * Fields of the module's classes (pydantic models, dataclasses, TypedDicts) whose annotation
 * cannot carry an attack string: `class Query(BaseModel): limit: int` → Query → {limit}.
 */
export function safeModelFields(module: PythonModule, enums: ReadonlySet<string> = enumClasses(module)): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const cls of module.nodesOf("class_definition")) {
    const fields = new Set<string>();
    for (const stmt of cls.childForFieldName("body")?.namedChildren ?? []) {
      const assign = stmt?.type === "expression_statement" ? stmt.namedChildren[0] : undefined;
      const type = assign?.type === "assignment" ? assign.childForFieldName("type")?.text : undefined;
      const name = assign?.childForFieldName("left");
      if (type && name?.type === "identifier" && isSafeType(type, enums)) fields.add(name.text);
    }
    if (fields.size > 0) out.set(cls.childForFieldName("name")!.text, fields);
  }
  return out;
}

/** Names of Enum classes usable in this module: its own, and (with links) imported ones of the analysis. */
export function enumClasses(module: PythonModule, links?: PythonMcpLinks): Set<string> {
  const out = new Set<string>();
  const isEnum = (cls: PyNode) => /\b(?:Enum|IntEnum|StrEnum|Flag|IntFlag)\b/.test(cls.childForFieldName("superclasses")?.text ?? "");
  for (const cls of module.nodesOf("class_definition")) if (isEnum(cls)) out.add(cls.childForFieldName("name")!.text);
  if (!links) return out;
  for (const [local, binding] of module.imports) {
    if (binding.relative?.name === undefined && !/\./.test(binding.qualified)) continue;
    if (!/^[A-Z]/.test(local) || !module.text.includes(`${local}`)) continue;
    const def = links.project.definitionOf(module, local);
    if (def?.kind === "class" && links.classes.mro(links.classes.classAt(def.module, def.node)).some((c) => isEnum(c.node))) out.add(local);
  }
  return out;
}

function findDescriptions(module: PythonModule, handlers: readonly PyToolHandler[]): PyDescription[] {
  const out: PyDescription[] = [];
  for (const h of handlers) {
    if (h.kind === "callTool" || h.kind === "route" || h.lowLevel) continue;
    // Only FastMCP registrations publish the function's docstring; a low-level `on_get_prompt=` handler's does not.
    if (h.registration.type === "call" && !/add_tool$/.test(h.registration.childForFieldName("function")?.text ?? "")) continue;
    const args = h.registration.type === "call" ? callArgs(h.registration) : h.registration.namedChildren[0]?.type === "call" ? callArgs(h.registration.namedChildren[0]) : undefined;
    const description = args?.keywords.get("description");
    const text = description ? constantString(description, module) : undefined;
    if (description && text !== undefined) out.push({ node: description, text, toolName: h.toolName });
    else {
      const doc = docstringOf(h.fn);
      if (doc) out.push({ ...doc, toolName: h.toolName });
    }
    // Parameter descriptions: `Annotated[str, Field(description=...)]` and `= Field(description=...)`.
    for (const param of parametersOf(h.fn)) {
      for (const call of param.node.descendantsOfType("call")) {
        if (!call || !/(?:^|\.)Field$/.test(calleeOf(call)?.text ?? "")) continue;
        const d = callArgs(call).keywords.get("description");
        const t = d ? constantString(d, module) : undefined;
        if (d && t !== undefined) out.push({ node: d, text: t, toolName: h.toolName });
      }
    }
  }
  // The low-level server lists tools as `types.Tool(name=..., description=..., inputSchema={...})`.
  for (const call of module.nodesOf("call")) {
    if (!/(?:^|\.)Tool$/.test(calleeOf(call)?.text ?? "")) continue;
    const args = callArgs(call);
    const nameNode = args.keywords.get("name");
    const toolName = nameNode ? constantString(nameNode, module) : undefined;
    const d = args.keywords.get("description");
    const t = d ? constantString(d, module) : undefined;
    if (d && t !== undefined) out.push({ node: d, text: t, toolName });
    const schema = args.keywords.get("inputSchema") ?? args.keywords.get("input_schema");
    for (const pair of schema?.descendantsOfType("pair") ?? []) {
      if (!pair || constantString(pair.childForFieldName("key")!) !== "description") continue;
      const value = pair.childForFieldName("value")!;
      const text = constantString(value, module);
      if (text !== undefined) out.push({ node: value, text, toolName });
    }
  }
  return out;
}
