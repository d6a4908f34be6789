import { nodesWithin, type PythonModule } from "./module.js";
import type { PyNode } from "./parser.js";
import { callArgs, constantString, unwrapPy } from "./values.js";

export type Piece = { literal: string } | { expr: string; node: PyNode };

/**
 * Flattens a string expression (a command, a URL, a query) into literal and interpolated pieces: f-strings, `+`, `%` and
 * `.format` on a literal, following one local variable.
 */
export function stringPieces(module: PythonModule, expr: PyNode, follow = true): Piece[] | undefined {
  const node = unwrapPy(expr);
  const literal = constantString(node, module);
  if (literal !== undefined) return [{ literal }];
  if (node.type === "string") {
    const pieces: Piece[] = [];
    for (const part of node.namedChildren) {
      if (part?.type === "string_content") pieces.push({ literal: part.text });
      else if (part?.type === "interpolation") {
        const inner = part.namedChildren[0]!;
        pieces.push({ expr: inner.text, node: inner });
      }
    }
    return pieces;
  }
  if (node.type === "binary_operator") {
    const op = node.childForFieldName("operator")!.type;
    const left = node.childForFieldName("left")!;
    const right = node.childForFieldName("right")!;
    if (op === "+") {
      const l = stringPieces(module, left, false) ?? [{ expr: left.text, node: left }];
      const r = stringPieces(module, right, false) ?? [{ expr: right.text, node: right }];
      return [...l, ...r];
    }
    const format = op === "%" ? constantString(left, module) : undefined;
    if (format !== undefined) {
      const r = unwrapPy(right);
      if (r.type === "dictionary") {
        // "... %(name)s ..." % {"name": value}
        const byKey = new Map<string, PyNode>();
        for (const pair of r.namedChildren) {
          const key = pair?.type === "pair" ? constantString(pair.childForFieldName("key")!, module) : undefined;
          if (key !== undefined) byKey.set(key, pair!.childForFieldName("value")!);
        }
        const pieces: Piece[] = [];
        let last = 0;
        for (const m of format.matchAll(/%\(([^)]+)\)[-#0 +]*\d*(?:\.\d+)?[sdrif]/g)) {
          const value = byKey.get(m[1]!);
          if (!value) return undefined;
          pieces.push({ literal: format.slice(last, m.index) }, { expr: value.text, node: value });
          last = m.index! + m[0].length;
        }
        pieces.push({ literal: format.slice(last) });
        return pieces;
      }
      const values = r.type === "tuple" ? r.namedChildren.filter((c): c is PyNode => !!c) : [r];
      return splitFormat(format, /%[-#0 +]*\d*(?:\.\d+)?[sdrif]/g, values);
    }
  }
  if (node.type === "call") {
    const callee = node.childForFieldName("function")!;
    if (callee.type === "attribute" && callee.childForFieldName("attribute")!.text === "format") {
      const format = constantString(callee.childForFieldName("object")!, module);
      if (format !== undefined) {
        const args = callArgs(node);
        let next = 0;
        const pieces: Piece[] = [];
        let last = 0;
        for (const m of format.matchAll(/\{([^{}]*)\}/g)) {
          pieces.push({ literal: format.slice(last, m.index) });
          const key = m[1]!.split(/[!:]/)[0]!;
          const value = key === "" ? args.positional[next++] : /^\d+$/.test(key) ? args.positional[Number(key)] : args.keywords.get(key);
          if (!value) return undefined;
          pieces.push({ expr: value.text, node: value });
          last = m.index! + m[0].length;
        }
        pieces.push({ literal: format.slice(last) });
        return pieces;
      }
    }
  }
  if (follow && node.type === "identifier") {
    const parts = assignmentsBefore(node);
    if (!parts) return undefined;
    const out: Piece[] = [];
    for (const part of parts) {
      const pieces = stringPieces(module, part, false) ?? [{ expr: part.text, node: part }];
      out.push(...pieces);
    }
    return out;
  }
  return undefined;
}

function splitFormat(format: string, placeholder: RegExp, values: PyNode[]): Piece[] | undefined {
  const pieces: Piece[] = [];
  let last = 0;
  let i = 0;
  for (const m of format.matchAll(placeholder)) {
    const value = values[i++];
    if (!value) return undefined;
    pieces.push({ literal: format.slice(last, m.index) }, { expr: value.text, node: value });
    last = m.index! + m[0].length;
  }
  pieces.push({ literal: format.slice(last) });
  return pieces;
}

/** `name = value` then `name += more`...: the only plain assignment to `name` before `use` in its function, and the appends after it. */
function assignmentsBefore(use: PyNode): PyNode[] | undefined {
  let fn: PyNode | null = use.parent;
  while (fn && fn.type !== "function_definition") fn = fn.parent;
  if (!fn) return undefined;
  const out: PyNode[] = [];
  for (const a of nodesWithin(fn, "assignment", "augmented_assignment")) {
    if (!a || a.startIndex > use.startIndex || a.childForFieldName("left")?.text !== use.text) continue;
    if (a.type === "assignment") {
      if (out.length > 0) return undefined;
    } else if (out.length === 0 || a.childForFieldName("operator")?.text !== "+=") return undefined;
    out.push(a.childForFieldName("right")!);
  }
  return out.length > 0 ? out : undefined;
}

/** The elements of a list or tuple literal, or of a list built in a variable before its use (see `builtList`). */
export function listElements(expr: PyNode): PyNode[] | undefined {
  const e = unwrapPy(expr);
  if (e.type === "list" || e.type === "tuple") return e.namedChildren.filter((c): c is PyNode => !!c && c.type !== "comment");
  if (e.type === "identifier") return builtList(e);
  return undefined;
}

/**
 * The elements of an argument list built in a variable before the call, in order:
 * `args = ["git", "log"]`, then `args.append(x)`, `args.extend([...])`, `args += [...]`.
 * Undefined when the list is assigned more than once or changed in another way.
 */
export function builtList(name: PyNode): PyNode[] | undefined {
  let fn: PyNode | null = name.parent;
  while (fn && fn.type !== "function_definition") fn = fn.parent;
  if (!fn) return undefined;
  let out: PyNode[] | undefined;
  const items = (list: PyNode | undefined) => (list && (list.type === "list" || list.type === "tuple") ? list.namedChildren.filter((e): e is PyNode => !!e && e.type !== "comment") : undefined);
  for (const node of nodesWithin(fn, "assignment", "augmented_assignment", "call")) {
    if (!node || node.startIndex >= name.startIndex) continue;
    if (node.type === "assignment" && node.childForFieldName("left")?.text === name.text) {
      if (out) return undefined;
      out = items(unwrapPy(node.childForFieldName("right")!));
      if (!out) return undefined;
    } else if (node.type === "augmented_assignment" && node.childForFieldName("left")?.text === name.text) {
      const more = items(unwrapPy(node.childForFieldName("right")!));
      if (!out || !more || node.childForFieldName("operator")?.text !== "+=") return undefined;
      out.push(...more);
    } else if (node.type === "call" && out) {
      const callee = node.childForFieldName("function")!;
      if (callee.type !== "attribute" || callee.childForFieldName("object")?.text !== name.text) continue;
      const method = callee.childForFieldName("attribute")!.text;
      const arg = callArgs(node).positional[0];
      if (method === "append" && arg) out.push(arg);
      else if (method === "extend" && arg && items(unwrapPy(arg))) out.push(...items(unwrapPy(arg))!);
      else if (method === "insert" || method === "extend" || method === "append") return undefined;
    }
  }
  return out;
}

/**
 * The first element of a list held by a name: the head of its only assignment, a list literal, when nothing
 * inserts before it. Appends and extends that `builtList` cannot follow leave the head as it is.
 */
export function listHead(expr: PyNode): PyNode | undefined {
  const e = unwrapPy(expr);
  if (e.type === "list" || e.type === "tuple") return e.namedChildren.find((c) => !!c && c.type !== "comment") ?? undefined;
  if (e.type !== "identifier") return undefined;
  let fn: PyNode | null = e.parent;
  while (fn && fn.type !== "function_definition") fn = fn.parent;
  if (!fn) return undefined;
  const assignments = nodesWithin(fn, "assignment").filter((a) => a?.childForFieldName("left")?.text === e.text);
  if (assignments.length !== 1 || new RegExp(`\\b${e.text}\\.insert\\(`).test(fn.text)) return undefined;
  const value = unwrapPy(assignments[0]!.childForFieldName("right")!);
  return value.type === "list" || value.type === "tuple" ? (value.namedChildren.find((c) => !!c && c.type !== "comment") ?? undefined) : undefined;
}