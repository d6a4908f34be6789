import type { PythonModule } from "./module.js";
import type { PyNode } from "./parser.js";
import type { PythonProject } from "./project.js";
import { stringPieces } from "./pieces.js";
import { callArgs, calleeOf, constantString, parametersOf, unwrapPy } from "./values.js";

/** A setting's value when whoever runs the program configures nothing, and where that value comes from. */
export interface DefaultValue {
  value: string;
  /** How the value is reached, for messages: "the fallback when `HOST` is unset". Empty for a literal written in place. */
  why: string;
}

const MAX_DEPTH = 6;
const CLI_OPTIONS = /^(?:typer\.(?:Option|Argument)|click\.(?:option|argument)|typer\.params\.(?:Option|Argument))$/;
const ENV_LOOKUPS = new Set(["os.environ.get", "os.getenv", "os.environ.setdefault"]);

/**
 * The value a string setting (a host, a transport name) takes when nothing is configured:
 * a literal; the fallback of `os.getenv("HOST", "0.0.0.0")`; `A or B`; the dominating assignment
 * of a local name; a parameter's default (plain, `typer.Option("0.0.0.0")`, `@click.option(default=...)`);
 * `args.host` from an `argparse` `add_argument("--host", default=...)`; a field default of a settings
 * class (`settings.host` with `host: str = "0.0.0.0"`); `config.get("host", "0.0.0.0")`; the value a
 * helper function returns when it falls through. Undefined when it cannot be known.
 */
export function defaultValue(module: PythonModule, expr: PyNode, project?: PythonProject, depth = 0): DefaultValue | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const node = unwrapPy(expr);
  const literal = node.type === "identifier" ? undefined : constantString(node, module);
  if (literal !== undefined) return { value: literal, why: "" };
  const next = (n: PyNode, m: PythonModule = module) => defaultValue(m, n, project, depth + 1);
  switch (node.type) {
    case "identifier":
      return nameDefault(module, node, project, depth);
    case "boolean_operator": {
      if (node.childForFieldName("operator")?.type !== "or") return undefined;
      const left = next(node.childForFieldName("left")!);
      return left && left.value !== "" ? left : next(node.childForFieldName("right")!);
    }
    case "attribute":
      return attributeDefault(module, node, project, depth);
    case "call":
      return callDefault(module, node, project, depth);
    case "subscript":
      return subscriptDefault(module, node, project, depth);
    default:
      return undefined;
  }
}

/** `config["host"]` where `config` is a dictionary literal, held by a name or returned by a helper: its entry, or the last `config["host"] = ...` after it. */
function subscriptDefault(module: PythonModule, node: PyNode, project: PythonProject | undefined, depth: number): DefaultValue | undefined {
  const key = constantString(node.childForFieldName("subscript")!, module);
  if (key === undefined) return undefined;
  const entry = dictEntry(module, node.childForFieldName("value")!, key, project, depth);
  if (!entry) return undefined;
  const d = defaultValue(entry.module, entry.value, project, depth + 1);
  return d && { value: d.value, why: d.why || `the default of \`${abbreviate(node)}\`` };
}

function dictEntry(module: PythonModule, container: PyNode, key: string, project: PythonProject | undefined, depth: number): { module: PythonModule; value: PyNode } | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const c = unwrapPy(container);
  if (c.type === "dictionary") {
    for (const pair of c.namedChildren) {
      if (pair?.type === "pair" && constantString(pair.childForFieldName("key")!, module) === key) return { module, value: pair.childForFieldName("value")! };
    }
    return undefined;
  }
  if (c.type === "identifier") {
    const value = dominatingValue(c);
    const assigned = value && value !== "parameter" ? value : value === undefined ? moduleLevelValue(module, c.text) : undefined;
    if (!assigned) return undefined;
    const base = dictEntry(module, assigned, key, project, depth + 1);
    // `config["host"] = os.getenv("HOST", config["host"])` after the literal: the last such statement wins.
    const later = laterItemAssignment(assigned, c, key, module);
    return later ? { module, value: later } : base;
  }
  if (c.type === "call") {
    const callee = c.childForFieldName("function")!;
    const local = callee.type === "identifier" ? module.functions.get(callee.text) : undefined;
    const target = local ? { module, fn: local } : project?.resolveFunction(module, callee);
    const ret = target ? fallThroughReturn(target.fn) : undefined;
    return ret && target ? dictEntry(target.module, ret, key, project, depth + 1) : undefined;
  }
  return undefined;
}

/** The value of the last unconditional `name["key"] = value` after the statement that assigned `name`, in its block, before the use. */
function laterItemAssignment(assigned: PyNode, use: PyNode, key: string, module: PythonModule): PyNode | undefined {
  const name = use.text;
  let stmt: PyNode | null = assigned;
  while (stmt && stmt.type !== "expression_statement") stmt = stmt.parent;
  let found: PyNode | undefined;
  for (let next = stmt?.nextNamedSibling; next && next.endIndex <= use.startIndex; next = next.nextNamedSibling) {
    const expr = next.type === "expression_statement" ? next.namedChildren[0] : undefined;
    const left = expr?.type === "assignment" ? expr.childForFieldName("left") : undefined;
    if (left?.type === "subscript" && left.childForFieldName("value")?.text === name && constantString(left.childForFieldName("subscript")!, module) === key) found = expr!.childForFieldName("right") ?? undefined;
  }
  return found;
}

function abbreviate(node: PyNode): string {
  const flat = node.text.replace(/\s+/g, " ");
  return flat.length > 40 ? `${flat.slice(0, 39)}…` : flat;
}

function nameDefault(module: PythonModule, ident: PyNode, project: PythonProject | undefined, depth: number): DefaultValue | undefined {
  const found = dominatingValue(ident);
  if (found === "parameter") return parameterDefault(module, ident, project, depth);
  if (found) return defaultValue(module, found, project, depth + 1);
  // A global read inside a function, or a name of the module itself.
  const global = moduleLevelValue(module, ident.text);
  if (global) return defaultValue(module, global, project, depth + 1);
  return undefined;
}

/**
 * The value of the last unconditional assignment to a name before its use, in the use's function (or module):
 * assignments inside `if`, `try`, loops and the like are the opt-ins, not the default. "parameter" when
 * the function's parameter of that name is reached first.
 */
export function dominatingValue(use: PyNode): PyNode | "parameter" | undefined {
  const name = use.text;
  let cur: PyNode = use;
  for (let parent = use.parent; parent; cur = parent, parent = parent.parent) {
    if (parent.type === "function_definition" || parent.type === "lambda") {
      return parametersOf(parent).some((p) => p.name === name) ? "parameter" : undefined;
    }
    if (parent.type === "class_definition") return undefined;
    if (parent.type !== "block" && parent.type !== "module") continue;
    // `cur` is the statement of this block that holds the use: read the statements before it, nearest first.
    for (let prev = cur.previousNamedSibling; prev; prev = prev.previousNamedSibling) {
      const value = assignedIn(prev, name);
      if (value) return value;
    }
  }
  return undefined;
}

/** `name = value`, `name: T = value`, or `a = name = value` as a statement of its own. */
function assignedIn(stmt: PyNode, name: string): PyNode | undefined {
  if (stmt.type !== "expression_statement") return undefined;
  let expr: PyNode | null | undefined = stmt.namedChildren[0];
  while (expr?.type === "assignment") {
    const left = expr.childForFieldName("left");
    const right = expr.childForFieldName("right");
    if (left?.type === "identifier" && left.text === name) return right ?? undefined;
    expr = right?.type === "assignment" ? right : undefined;
  }
  return undefined;
}

/** A module-level `NAME = value` (the last unconditional one at top level). */
function moduleLevelValue(module: PythonModule, name: string): PyNode | undefined {
  let found: PyNode | undefined;
  for (const stmt of module.root.namedChildren) {
    const value = stmt ? assignedIn(stmt, name) : undefined;
    if (value) found = value;
  }
  return found;
}

function parameterDefault(module: PythonModule, ident: PyNode, project: PythonProject | undefined, depth: number): DefaultValue | undefined {
  let fn: PyNode | null = ident.parent;
  while (fn && fn.type !== "function_definition") fn = fn.parent;
  if (!fn) return undefined;
  const param = parametersOf(fn).find((p) => p.name === ident.text);
  if (!param) return undefined;
  const value = param.node.childForFieldName("value");
  if (value) {
    const v = unwrapPy(value);
    if (v.type === "call" && CLI_OPTIONS.test(module.qualifiedName(v.childForFieldName("function")!) ?? "")) {
      // typer.Option("0.0.0.0", "--host") / typer.Option(default="0.0.0.0"); `...` means required.
      const args = callArgs(v);
      const given = args.keywords.get("default") ?? args.positional[0];
      if (!given || given.type === "ellipsis") return undefined;
      const d = defaultValue(module, given, project, depth + 1);
      return d && { value: d.value, why: `the default of the \`--${ident.text.replace(/_/g, "-")}\` command-line option` };
    }
    const d = defaultValue(module, value, project, depth + 1);
    return d && { value: d.value, why: d.why || `the default of parameter \`${ident.text}\`` };
  }
  // @click.option("--host", default="0.0.0.0") on the function.
  for (const decorator of fn.parent?.type === "decorated_definition" ? fn.parent.namedChildren : []) {
    const call = decorator?.type === "decorator" ? decorator.namedChildren[0] : undefined;
    if (call?.type !== "call" || !/^click\.option$/.test(module.qualifiedName(calleeOf(call)!) ?? "")) continue;
    const args = callArgs(call);
    const flags = args.positional.map((a) => constantString(a, module)).filter((s): s is string => s !== undefined);
    if (optionDest(flags) !== ident.text) continue;
    const given = args.keywords.get("default");
    const d = given ? defaultValue(module, given, project, depth + 1) : undefined;
    return d && { value: d.value, why: `the default of the \`${flags.find((f) => f.startsWith("--")) ?? flags[0]}\` command-line option` };
  }
  return undefined;
}

/** The Python name an option's flags bind: an explicit name without dashes, else the longest `--flag`. */
function optionDest(flags: readonly string[]): string | undefined {
  const explicit = flags.find((f) => /^[A-Za-z_]\w*$/.test(f));
  if (explicit) return explicit;
  const long = flags.filter((f) => f.startsWith("--")).sort((a, b) => b.length - a.length)[0] ?? flags.find((f) => f.startsWith("-"));
  return long?.replace(/^-+/, "").split("/")[0]!.replace(/-/g, "_");
}

function attributeDefault(module: PythonModule, node: PyNode, project: PythonProject | undefined, depth: number): DefaultValue | undefined {
  const attr = node.childForFieldName("attribute")!.text;
  const object = unwrapPy(node.childForFieldName("object")!);
  // args.host, with `parser.add_argument("--host", default="0.0.0.0")` in this module.
  const option = argparseDefault(module, attr, project, depth);
  if (option && object.type === "identifier" && !module.imports.has(object.text)) return option;
  // settings.host, with `class Settings(BaseSettings): host: str = "0.0.0.0"`.
  const cls = classOfInstance(module, object, project);
  if (cls) {
    const field = fieldDefault(cls.module, cls.node, attr);
    const d = field ? defaultValue(cls.module, field, project, depth + 1) : undefined;
    return d && { value: d.value, why: d.why || `the default of \`${cls.node.childForFieldName("name")!.text}.${attr}\`` };
  }
  return undefined;
}

function argparseDefault(module: PythonModule, dest: string, project: PythonProject | undefined, depth: number): DefaultValue | undefined {
  if (!module.text.includes("add_argument")) return undefined;
  for (const call of module.nodesOf("call")) {
    const callee = calleeOf(call)!;
    if (callee.type !== "attribute" || callee.childForFieldName("attribute")!.text !== "add_argument") continue;
    const args = callArgs(call);
    const flags = args.positional.map((a) => constantString(a, module)).filter((s): s is string => s !== undefined);
    const named = args.keywords.get("dest");
    if ((named ? constantString(named, module) : optionDest(flags)) !== dest) continue;
    const given = args.keywords.get("default");
    const d = given ? defaultValue(module, given, project, depth + 1) : undefined;
    return d && { value: d.value, why: d.why ? `${d.why}, the default of the \`${flags[0]}\` command-line option` : `the default of the \`${flags[0]}\` command-line option` };
  }
  return undefined;
}

/** The class an expression is an instance of: `Settings()`, a name assigned one, or a helper returning one. */
function classOfInstance(module: PythonModule, expr: PyNode, project: PythonProject | undefined, depth = 0): { module: PythonModule; node: PyNode } | undefined {
  if (depth > 3) return undefined;
  const node = unwrapPy(expr);
  if (node.type === "identifier") {
    const value = dominatingValue(node);
    const assigned = value && value !== "parameter" ? value : moduleLevelValue(module, node.text);
    if (assigned) return classOfInstance(module, assigned, project, depth + 1);
    // An instance imported from another module: `from .config import settings`.
    const target = importedModule(module, node.text, project);
    const value2 = target?.name ? moduleLevelValue(target.module, target.name) : undefined;
    return value2 && target ? classOfInstance(target.module, value2, project, depth + 1) : undefined;
  }
  if (node.type !== "call") return undefined;
  const callee = node.childForFieldName("function")!;
  if (callee.type !== "identifier") return undefined;
  const local = module.nodesOf("class_definition").find((c) => c.childForFieldName("name")?.text === callee.text && c.parent?.type === "module");
  if (local) return { module, node: local };
  const fn = module.functions.get(callee.text);
  if (fn) {
    const ret = fallThroughReturn(fn);
    return ret ? classOfInstance(module, ret, project, depth + 1) : undefined;
  }
  const target = importedModule(module, callee.text, project);
  if (target?.name) {
    const cls = target.module.nodesOf("class_definition").find((c) => c.childForFieldName("name")?.text === target.name && c.parent?.type === "module");
    if (cls) return { module: target.module, node: cls };
    const helper = target.module.functions.get(target.name);
    const ret = helper ? fallThroughReturn(helper) : undefined;
    if (ret) return classOfInstance(target.module, ret, project, depth + 1);
  }
  return undefined;
}

function importedModule(module: PythonModule, name: string, project: PythonProject | undefined): { module: PythonModule; name?: string } | undefined {
  const binding = module.imports.get(name);
  const target = binding && project ? project.target(binding) : undefined;
  const found = target ? project!.moduleAt(target.path) : undefined;
  return found && target ? { module: found, name: target.name } : undefined;
}

/** `host: str = "0.0.0.0"`, `host: str = Field("0.0.0.0")` / `Field(default=...)`, `host = "0.0.0.0"` in a class body. */
function fieldDefault(module: PythonModule, cls: PyNode, field: string): PyNode | undefined {
  for (const stmt of cls.childForFieldName("body")?.namedChildren ?? []) {
    const value = stmt ? assignedIn(stmt, field) : undefined;
    if (!value) continue;
    const v = unwrapPy(value);
    if (v.type === "call" && /(?:^|\.)Field$/.test(module.qualifiedName(v.childForFieldName("function")!) ?? "")) {
      const args = callArgs(v);
      return args.keywords.get("default") ?? args.positional[0];
    }
    return value;
  }
  return undefined;
}

/** The value of the last `return` at the top level of a function's body: what it returns when nothing special happens. */
export function fallThroughReturn(fn: PyNode): PyNode | undefined {
  const body = fn.childForFieldName("body");
  const last = body?.namedChildren.filter((c) => c && c.type !== "comment").pop();
  return last?.type === "return_statement" ? last.namedChildren[0] ?? undefined : undefined;
}

function callDefault(module: PythonModule, call: PyNode, project: PythonProject | undefined, depth: number): DefaultValue | undefined {
  const callee = calleeOf(call)!;
  const fn = module.qualifiedName(callee) ?? "";
  const args = callArgs(call);
  if (ENV_LOOKUPS.has(fn)) {
    const [name, fallback] = args.positional;
    const d = fallback ?? args.keywords.get("default");
    const value = d ? defaultValue(module, d, project, depth + 1) : undefined;
    const variable = name ? constantString(name, module) : undefined;
    return value && { value: value.value, why: `the fallback when the \`${variable ?? "host"}\` environment variable is unset` };
  }
  if (fn === "str" && args.positional[0]) return defaultValue(module, args.positional[0], project, depth + 1);
  // config.get("host", "0.0.0.0")
  if (callee.type === "attribute" && callee.childForFieldName("attribute")!.text === "get" && args.positional.length === 2) {
    const key = constantString(args.positional[0]!, module);
    const value = defaultValue(module, args.positional[1]!, project, depth + 1);
    return key !== undefined && value ? { value: value.value, why: value.why || `the fallback of \`.get(${JSON.stringify(key)}, …)\`` } : undefined;
  }
  // A helper: what it returns when it falls through.
  const local = callee.type === "identifier" ? module.functions.get(callee.text) : undefined;
  const target = local ? { module, fn: local } : project?.resolveFunction(module, callee);
  if (target) {
    const ret = fallThroughReturn(target.fn);
    const value = ret ? defaultValue(target.module, ret, project, depth + 1) : undefined;
    return value && { value: value.value, why: value.why ? `${value.why}, returned by \`${callee.text}()\`` : `what \`${callee.text}()\` returns` };
  }
  return undefined;
}

/**
 * The values a string setting may hold where it is used, read from the `if`/`elif` tests that guard
 * the use (`if transport == "sse":`, `elif transport in ("sse", "streamable-http"):`, `else` of
 * `if transport == "stdio"`), else its default. Undefined when unknown.
 */
export function possibleValues(module: PythonModule, expr: PyNode, project?: PythonProject): { values: string[]; guarded: boolean } | undefined {
  const node = unwrapPy(expr);
  const literal = constantString(node, module);
  if (literal !== undefined) return { values: [literal], guarded: false };
  if (node.type === "identifier" || node.type === "attribute") {
    const guard = guardedValues(module, node);
    if (guard) return { values: guard, guarded: true };
  }
  const d = defaultValue(module, node, project);
  return d ? { values: [d.value], guarded: false } : undefined;
}

function guardedValues(module: PythonModule, use: PyNode): string[] | undefined {
  let cur: PyNode = use;
  for (let parent = use.parent; parent; cur = parent, parent = parent.parent) {
    if (parent.type === "function_definition" || parent.type === "module") return undefined;
    let condition: PyNode | null = null;
    let negated = false;
    if ((parent.type === "if_statement" || parent.type === "elif_clause") && parent.childForFieldName("consequence")?.id === cur.id) condition = parent.childForFieldName("condition");
    else if (parent.type === "else_clause" && parent.parent?.type === "if_statement" && parent.parent.namedChildren.filter((c) => c?.type === "elif_clause").length === 0) {
      condition = parent.parent.childForFieldName("condition");
      negated = true;
    }
    const values = condition ? testedValues(module, condition, use.text, negated) : undefined;
    if (values) return values;
  }
  return undefined;
}

/** What a test says of `name`: `name == "a"`, `name in ("a", "b")`, `name == "a" or name == "b"`, `name.lower() == ...`. */
function testedValues(module: PythonModule, test: PyNode, name: string, negated: boolean): string[] | undefined {
  const t = unwrapPy(test);
  if (t.type === "boolean_operator" && !negated && t.childForFieldName("operator")?.type === "or") {
    const l = testedValues(module, t.childForFieldName("left")!, name, false);
    const r = testedValues(module, t.childForFieldName("right")!, name, false);
    return l && r ? [...l, ...r] : undefined;
  }
  if (t.type !== "comparison_operator") return undefined;
  const operands = t.namedChildren.filter((n): n is PyNode => !!n);
  if (operands.length !== 2) return undefined;
  const op = t.children.filter((n): n is PyNode => !!n && !n.isNamed).map((n) => n.type).join(" ");
  const subject = operands[0]!.text.replace(/\.(?:lower|strip|casefold)\(\)$/, "");
  if (subject !== name) return undefined;
  const other = unwrapPy(operands[1]!);
  const listed = other.type === "tuple" || other.type === "list" || other.type === "set" ? other.namedChildren.map((c) => (c ? constantString(c, module) : undefined)) : [constantString(other, module)];
  if (listed.some((v) => v === undefined)) return undefined;
  const values = listed as string[];
  const positive = op === "==" || op === "in";
  const negative = op === "!=" || op === "not in";
  if ((positive && !negated) || (negative && negated)) return values;
  if ((negative && !negated) || (positive && negated)) return values.map((v) => `!${v}`);
  return undefined;
}

/** The host part of a `"host:port"` bind string: written in place (`"0.0.0.0:8000"`), or the expression of `f"{host}:{port}"`. */
export function hostOfBind(module: PythonModule, bind: PyNode): { node: PyNode; literal?: string } | undefined {
  const pieces = stringPieces(module, bind);
  const first = pieces?.[0];
  if (!first) return undefined;
  if ("literal" in first) {
    const m = /^(\[[^\]]*\]|[^:]*):/.exec(first.literal);
    return m ? { node: bind, literal: m[1] } : undefined;
  }
  const second = pieces[1];
  return second && "literal" in second && second.literal.startsWith(":") ? { node: first.node } : undefined;
}
