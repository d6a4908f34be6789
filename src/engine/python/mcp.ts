import { handRolledMcpServer, httpRequestHandlers } from "./http-sources.js";
import type { PythonModule } from "./module.js";
import type { PyNode } from "./parser.js";
import { callArgs, constantString, docstringOf, parametersOf } from "./values.js";

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
  readonly descriptions: readonly PyDescription[];
}

const REGISTRATIONS = new Set(["tool", "resource", "prompt", "call_tool", "custom_route"]);
/** The low-level server's constructor handlers (`on_call_tool=`), and what their params carry. */
const LOW_LEVEL_HANDLERS: readonly (readonly [string, PyToolHandler["kind"]])[] = [
  ["on_call_tool", "callTool"],
  ["on_get_prompt", "prompt"],
  ["on_read_resource", "resource"],
];
const HTTP_ROUTES = new Set(["get", "post", "put", "patch", "delete", "api_route", "route", "websocket"]);
const SAFE_SCALARS = /^(?:int|float|bool|complex|decimal\.Decimal|Decimal|UUID|uuid\.UUID|datetime|date|time|timedelta|datetime\.\w+|None)$/;
const CONTEXT_TYPES = /^(?:Context|fastmcp\.Context|RequestContext)\b/;

export function createPythonMcpFile(module: PythonModule): PythonMcpFile {
  let isMcp: boolean | undefined;
  let handlers: PyToolHandler[] | undefined;
  let descriptions: PyDescription[] | undefined;
  return {
    get isMcpServer() {
      isMcp ??= module.importsModule("mcp", "fastmcp") || handRolledMcpServer(module.text);
      return isMcp;
    },
    get handlers() {
      handlers ??= this.isMcpServer ? findHandlers(module) : [];
      return handlers;
    },
    get descriptions() {
      descriptions ??= this.isMcpServer ? findDescriptions(module, this.handlers) : [];
      return descriptions;
    },
  };
}

function findHandlers(module: PythonModule): PyToolHandler[] {
  const out: PyToolHandler[] = [];
  const enums = enumClasses(module);
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
      const callee = call ? call.childForFieldName("function") : expr;
      if (callee?.type !== "attribute") continue;
      const method = callee.childForFieldName("attribute")!.text;
      if (REGISTRATIONS.has(method)) {
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

  // Text checks first: walking every call crosses into WebAssembly for each node.
  for (const call of module.text.includes("add_tool") ? module.nodesOf("call") : []) {
    const callee = call.childForFieldName("function");
    if (callee?.type !== "attribute" || callee.childForFieldName("attribute")?.text !== "add_tool") continue;
    const args = callArgs(call);
    const target = args.positional[0] ?? args.keywords.get("fn");
    if (target?.type !== "identifier") continue;
    const fn = module.functions.get(target.text);
    if (!fn) continue;
    const named = args.keywords.get("name");
    add({ kind: "tool", fn, registration: call, toolName: (named && constantString(named, module)) ?? target.text, tainted: taintedParams(fn, "tool", enums), patterns: parameterPatterns(fn) });
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
  return out;
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
export function safeModelFields(module: PythonModule): Map<string, Set<string>> {
  const enums = enumClasses(module);
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

function enumClasses(module: PythonModule): Set<string> {
  const out = new Set<string>();
  for (const cls of module.nodesOf("class_definition")) {
    const bases = cls.childForFieldName("superclasses")?.text ?? "";
    if (/\b(?:Enum|IntEnum|StrEnum|Flag|IntFlag)\b/.test(bases)) out.add(cls.childForFieldName("name")!.text);
  }
  return out;
}

function findDescriptions(module: PythonModule, handlers: readonly PyToolHandler[]): PyDescription[] {
  const out: PyDescription[] = [];
  for (const h of handlers) {
    if (h.kind === "callTool" || h.kind === "route") continue;
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
        if (!call || !/(?:^|\.)Field$/.test(call.childForFieldName("function")?.text ?? "")) continue;
        const d = callArgs(call).keywords.get("description");
        const t = d ? constantString(d, module) : undefined;
        if (d && t !== undefined) out.push({ node: d, text: t, toolName: h.toolName });
      }
    }
  }
  // The low-level server lists tools as `types.Tool(name=..., description=..., inputSchema={...})`.
  for (const call of module.nodesOf("call")) {
    if (!/(?:^|\.)Tool$/.test(call.childForFieldName("function")?.text ?? "")) continue;
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
