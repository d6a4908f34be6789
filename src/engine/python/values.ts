import type { PythonModule } from "./module.js";
import { perNode, type PyNode } from "./parser.js";

/** Positional and keyword arguments of a call. */
export interface CallArgs {
  readonly positional: readonly PyNode[];
  readonly keywords: ReadonlyMap<string, PyNode>;
  /** `*args` or `**kwargs` present: arguments cannot all be known. */
  readonly splat: boolean;
  /** The expressions spread with `*` (`f(*args)`) and `**` (`Model(**arguments)`). */
  readonly listSplats: readonly PyNode[];
  readonly dictSplats: readonly PyNode[];
}

/** The arguments of a call, read once per call. */
export const callArgs: (call: PyNode) => CallArgs = perNode(readCallArgs);

/** What most calls have none of, shared: a call's arguments are kept for as long as its tree. */
const NONE: readonly PyNode[] = Object.freeze([]);
const NO_KEYWORDS: ReadonlyMap<string, PyNode> = new Map();

function readCallArgs(call: PyNode): CallArgs {
  const positional: PyNode[] = [];
  let keywords: Map<string, PyNode> | undefined;
  let listSplats: PyNode[] | undefined;
  let dictSplats: PyNode[] | undefined;
  let splat = false;
  const list = call.childForFieldName("arguments");
  if (list?.type === "argument_list") {
    for (const arg of list.namedChildren) {
      // A node's type is a call into WebAssembly each time it is read.
      const type = arg?.type;
      if (!arg || type === "comment") continue;
      if (type === "keyword_argument") {
        const name = arg.childForFieldName("name")?.text;
        const value = arg.childForFieldName("value");
        if (name && value) (keywords ??= new Map()).set(name, value);
      } else if (type === "list_splat" || type === "dictionary_splat") {
        splat = true;
        const inner = arg.namedChildren[0];
        if (inner && type === "list_splat") (listSplats ??= []).push(inner);
        else if (inner) (dictSplats ??= []).push(inner);
      } else positional.push(arg);
    }
  } else if (list) positional.push(list); // a generator expression
  return { positional: positional.length > 0 ? positional : NONE, keywords: keywords ?? NO_KEYWORDS, splat, listSplats: listSplats ?? NONE, dictSplats: dictSplats ?? NONE };
}

/** The callee of a call (`subprocess.run` of `subprocess.run(cmd)`), read once per call: every rule asks it of every call. */
export const calleeOf: (call: PyNode) => PyNode | null = perNode((call) => call.childForFieldName("function"));

/** Argument `index`, or keyword `name`. */
export function argument(call: PyNode, index: number, name?: string): PyNode | undefined {
  const args = callArgs(call);
  return (name ? args.keywords.get(name) : undefined) ?? args.positional[index];
}

/** Strips parentheses and `await`. */
export function unwrapPy(node: PyNode): PyNode {
  let n = node;
  for (;;) {
    const type = n.type;
    if ((type !== "parenthesized_expression" && type !== "await") || n.namedChildren.length !== 1 || !n.namedChildren[0]) return n;
    n = n.namedChildren[0];
  }
}

/**
 * The value of a string expression made only of literals: plain strings (escapes decoded),
 * implicit concatenation, `+`, and names assigned a constant once at module level. Undefined
 * for anything else, f-strings with interpolations included.
 */
export function constantString(node: PyNode, module?: PythonModule, depth = 0): string | undefined {
  const n = unwrapPy(node);
  if (n.type === "string") return stringLiteral(n);
  if (n.type === "concatenated_string") {
    let out = "";
    for (const part of n.namedChildren) {
      const value = part ? stringLiteral(part) : undefined;
      if (value === undefined) return undefined;
      out += value;
    }
    return out;
  }
  if (n.type === "binary_operator" && n.childForFieldName("operator")?.type === "+") {
    const left = constantString(n.childForFieldName("left")!, module, depth);
    const right = left === undefined ? undefined : constantString(n.childForFieldName("right")!, module, depth);
    return left !== undefined && right !== undefined ? left + right : undefined;
  }
  if (n.type === "identifier" && module && depth < 3) {
    const value = moduleConstant(module, n.text);
    return value ? constantString(value, module, depth + 1) : undefined;
  }
  return undefined;
}

/** The value assigned to a module-level name, when it is assigned exactly once at top level. */
export function moduleConstant(module: PythonModule, name: string): PyNode | undefined {
  let constants = moduleConstants.get(module);
  if (!constants) moduleConstants.set(module, (constants = readModuleConstants(module)));
  return constants.get(name) ?? undefined;
}

const moduleConstants = new WeakMap<PythonModule, Map<string, PyNode | null | undefined>>();

/** Each name assigned at top level → its value; null once a second assignment after one with a value makes it no constant. */
function readModuleConstants(module: PythonModule): Map<string, PyNode | null | undefined> {
  const out = new Map<string, PyNode | null | undefined>();
  for (const stmt of module.root.namedChildren) {
    const expr = stmt?.type === "expression_statement" ? stmt.namedChildren[0] : undefined;
    if (expr?.type !== "assignment") continue;
    const left = expr.childForFieldName("left");
    if (left?.type !== "identifier") continue;
    const name = left.text;
    const found = out.get(name);
    if (found === null) continue;
    out.set(name, found ? null : (expr.childForFieldName("right") ?? undefined));
  }
  return out;
}

/** A plain string literal's value: undefined for f-strings with interpolations and bytes. */
export const stringLiteral: (node: PyNode) => string | undefined = perNode(readStringLiteral);

function readStringLiteral(node: PyNode): string | undefined {
  if (node.type !== "string") return undefined;
  const parts = node.namedChildren;
  const types = parts.map((c) => c?.type);
  const start = parts[types.indexOf("string_start")]?.text ?? '"';
  const prefix = start.replace(/["']+$/, "").toLowerCase();
  if (prefix.includes("b")) return undefined;
  if (types.includes("interpolation")) return undefined;
  const raw = prefix.includes("r");
  let out = "";
  parts.forEach((part, i) => {
    if (types[i] !== "string_content") return;
    out += raw ? part!.text : decodeEscapes(part!.text);
  });
  return out;
}

const SIMPLE_ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"', a: "\x07", b: "\b", f: "\f", v: "\v", "0": "\0", "\n": "" };

function decodeEscapes(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{[^}]+\}|[\s\S])/g, (whole, esc: string) => {
    const kind = esc[0]!;
    if (kind === "x" || kind === "u" || kind === "U") return String.fromCodePoint(parseInt(esc.slice(1), 16));
    if (kind === "N") return whole;
    return SIMPLE_ESCAPES[esc] ?? whole;
  });
}

/** The docstring of a function or class body, with its node. */
export function docstringOf(fn: PyNode): { node: PyNode; text: string } | undefined {
  const body = fn.childForFieldName("body");
  const first = body?.namedChildren.find((c) => c?.type !== "comment");
  if (first?.type !== "expression_statement") return undefined;
  const expr = first.namedChildren[0];
  if (!expr || (expr.type !== "string" && expr.type !== "concatenated_string")) return undefined;
  const text = constantString(expr);
  return text === undefined ? undefined : { node: expr, text };
}

/** A short one-line rendering of code for messages. */
export function abbreviatePy(node: PyNode, max = 48): string {
  const flat = node.text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The innermost function definition (or lambda) containing a node. */
export const enclosingFunction: (node: PyNode) => PyNode | undefined = perNode(findEnclosingFunction);

function findEnclosingFunction(node: PyNode): PyNode | undefined {
  for (let n = node.parent; n; n = n.parent) if (n.type === "function_definition" || n.type === "lambda") return n;
  return undefined;
}

/** A parameter of a function definition: its name, its annotation's text and its node. */
export interface PyParameter {
  readonly name: string;
  readonly type?: string;
  readonly node: PyNode;
}

/** Parameter names of a function definition, with their annotation text and node; read once per function. */
export const parametersOf: (fn: PyNode) => readonly PyParameter[] = perNode(readParameters);

function readParameters(fn: PyNode): PyParameter[] {
  const params = fn.childForFieldName("parameters");
  const out: PyParameter[] = [];
  for (const p of params?.namedChildren ?? []) {
    if (!p) continue;
    let name: string | undefined;
    if (p.type === "identifier") name = p.text;
    else if (p.type === "typed_parameter") name = p.namedChildren.find((c) => c?.type === "identifier")?.text ?? p.namedChildren[0]?.namedChildren[0]?.text;
    else if (p.type === "default_parameter" || p.type === "typed_default_parameter") name = p.childForFieldName("name")?.text;
    else if (p.type === "list_splat_pattern" || p.type === "dictionary_splat_pattern") name = p.namedChildren[0]?.text;
    if (name) out.push({ name, type: p.childForFieldName("type")?.text, node: p });
  }
  return out;
}
