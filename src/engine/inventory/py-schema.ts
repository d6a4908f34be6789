import type { PythonModule } from "../python/module.js";
import type { PyNode } from "../python/parser.js";
import { callArgs, constantString, parametersOf, unwrapPy } from "../python/values.js";
import { objectSchema, type JsonSchema, type JsonValue } from "./json-schema.js";

const CONTEXT_TYPE = /^(?:Context|fastmcp\.Context|RequestContext|mcp\.server\.fastmcp\.Context)\b/;
const MAX_DEPTH = 10;

/**
 * The JSON Schema of a FastMCP function's arguments, as FastMCP derives it from the signature:
 * each parameter a property (its annotation as the type), required unless it has a default;
 * `self`, `cls` and the `Context` parameter are not arguments. `Annotated[..., Field(description=...)]`
 * and `= Field(...)` give descriptions and defaults.
 */
export function signatureSchema(fn: PyNode, module: PythonModule): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  const params = fn.childForFieldName("parameters");
  for (const p of parametersOf(fn)) {
    if (p.name === "self" || p.name === "cls") continue;
    if (p.node.type === "list_splat_pattern" || p.node.type === "dictionary_splat_pattern") continue;
    const type = p.node.childForFieldName("type");
    if (type && CONTEXT_TYPE.test(type.text.trim())) continue;
    let schema: JsonSchema = type ? typeSchema(type, module, 0) : {};
    const value = p.node.childForFieldName("value");
    let hasDefault = !!value;
    if (value) {
      const field = fieldCall(value);
      if (field) {
        const args = callArgs(field);
        const d = args.keywords.get("description");
        const text = d ? constantString(d, module) : undefined;
        if (text !== undefined) schema = { ...schema, description: text };
        const def = args.keywords.get("default") ?? args.positional[0];
        hasDefault = !!def && def.text !== "...";
        const literal = def && hasDefault ? pyLiteral(def, module) : undefined;
        if (literal !== undefined) schema = { ...schema, default: literal };
      } else {
        const literal = pyLiteral(value, module);
        if (literal !== undefined) schema = { ...schema, default: literal };
      }
    }
    properties[p.name] = schema;
    if (!hasDefault) required.push(p.name);
  }
  void params;
  return objectSchema(properties, required);
}

function fieldCall(node: PyNode): PyNode | undefined {
  const n = unwrapPy(node);
  return n.type === "call" && /(?:^|\.)Field$/.test(n.childForFieldName("function")?.text ?? "") ? n : undefined;
}

/** A Python type annotation as JSON Schema. An unknown class (a pydantic model, an enum) gives `{}`. */
export function typeSchema(node: PyNode, module: PythonModule, depth: number): JsonSchema {
  if (depth > MAX_DEPTH) return {};
  const n = unwrapPy(node.type === "type" && node.namedChildren[0] ? node.namedChildren[0] : node);
  if (n.type === "binary_operator" && n.childForFieldName("operator")?.type === "|") {
    const members = unionMembers(n).map((m) => typeSchema(m, module, depth + 1));
    return anyOf(members);
  }
  if (n.type === "none") return { type: "null" };
  if (n.type === "string") {
    // A forward reference: "MyModel".
    return {};
  }
  if (n.type === "identifier" || n.type === "attribute") return scalar(n.text.replace(/^typing\./, ""));
  if (n.type === "generic_type" || n.type === "subscript") {
    const head = (n.type === "subscript" ? n.childForFieldName("value") : n.namedChildren[0])?.text.replace(/^typing\./, "") ?? "";
    const params = typeParams(n);
    switch (head) {
      case "Optional":
        return params[0] ? anyOf([typeSchema(params[0], module, depth + 1), { type: "null" }]) : {};
      case "Union":
        return anyOf(params.map((p) => typeSchema(p, module, depth + 1)));
      case "Annotated": {
        let schema = params[0] ? typeSchema(params[0], module, depth + 1) : {};
        for (const extra of params.slice(1)) {
          const field = fieldCall(extra);
          const d = field ? callArgs(field).keywords.get("description") : undefined;
          const text = d ? constantString(d, module) : constantString(extra, module);
          if (text !== undefined) schema = { ...schema, description: text };
        }
        return schema;
      }
      case "Literal": {
        const values = params.map((p) => pyLiteral(p, module));
        if (values.some((v) => v === undefined)) return {};
        const types = new Set(values.map((v) => (typeof v === "string" ? "string" : typeof v === "number" ? "number" : typeof v === "boolean" ? "boolean" : "null")));
        return { ...(types.size === 1 ? { type: [...types][0]! } : {}), enum: values as JsonValue[] };
      }
      case "list":
      case "List":
      case "Sequence":
      case "set":
      case "Set":
      case "frozenset":
      case "Iterable":
        return { type: "array", items: params[0] ? typeSchema(params[0], module, depth + 1) : {} };
      case "tuple":
      case "Tuple":
        return { type: "array", ...(params.length > 0 && params[params.length - 1]?.text !== "..." ? { prefixItems: params.map((p) => typeSchema(p, module, depth + 1)) } : {}) };
      case "dict":
      case "Dict":
      case "Mapping":
        return { type: "object", ...(params[1] ? { additionalProperties: typeSchema(params[1], module, depth + 1) } : {}) };
      default:
        return {};
    }
  }
  return {};
}

function scalar(name: string): JsonSchema {
  switch (name) {
    case "str":
      return { type: "string" };
    case "int":
      return { type: "integer" };
    case "float":
    case "Decimal":
    case "decimal.Decimal":
      return { type: "number" };
    case "bool":
      return { type: "boolean" };
    case "bytes":
      return { type: "string", format: "binary" };
    case "dict":
    case "Dict":
      return { type: "object" };
    case "list":
    case "List":
      return { type: "array" };
    case "None":
      return { type: "null" };
    case "datetime":
    case "datetime.datetime":
      return { type: "string", format: "date-time" };
    case "date":
    case "datetime.date":
      return { type: "string", format: "date" };
    case "UUID":
    case "uuid.UUID":
      return { type: "string", format: "uuid" };
    default:
      return {};
  }
}

function anyOf(members: JsonSchema[]): JsonSchema {
  return members.length === 1 ? members[0]! : { anyOf: members };
}

function unionMembers(node: PyNode): PyNode[] {
  const n = unwrapPy(node);
  if (n.type === "binary_operator" && n.childForFieldName("operator")?.type === "|") return [...unionMembers(n.childForFieldName("left")!), ...unionMembers(n.childForFieldName("right")!)];
  return [n];
}

/** The parameters of `X[a, b]` in either of tree-sitter's spellings (a generic type, or a subscript). */
function typeParams(node: PyNode): PyNode[] {
  if (node.type === "subscript") {
    const subs = node.childrenForFieldName("subscript").filter((c): c is PyNode => !!c);
    if (subs.length === 1 && subs[0]!.type === "tuple") return subs[0]!.namedChildren.filter((c): c is PyNode => !!c);
    return subs;
  }
  const params = node.namedChildren.find((c) => c?.type === "type_parameter");
  return (params?.namedChildren ?? []).filter((c): c is PyNode => !!c).map((c) => (c.type === "type" && c.namedChildren[0] ? c.namedChildren[0] : c));
}

/** A Python literal as JSON: strings, numbers, booleans, None, and lists, tuples and dicts of them. */
export function pyLiteral(node: PyNode, module: PythonModule, depth = 0): JsonValue | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const n = unwrapPy(node);
  const text = constantString(n, module);
  if (text !== undefined) return text;
  switch (n.type) {
    case "integer":
      return Number(n.text.replace(/_/g, ""));
    case "float":
      return Number(n.text.replace(/_/g, ""));
    case "true":
      return true;
    case "false":
      return false;
    case "none":
      return null;
    case "unary_operator": {
      const inner = n.namedChildren[0] ? pyLiteral(n.namedChildren[0], module, depth + 1) : undefined;
      return typeof inner === "number" && n.text.trim().startsWith("-") ? -inner : undefined;
    }
    case "list":
    case "tuple": {
      const out: JsonValue[] = [];
      for (const c of n.namedChildren) {
        if (!c || c.type === "comment") continue;
        const v = pyLiteral(c, module, depth + 1);
        if (v === undefined) return undefined;
        out.push(v);
      }
      return out;
    }
    case "dictionary": {
      const out: Record<string, JsonValue> = {};
      for (const pair of n.namedChildren) {
        if (!pair || pair.type === "comment") continue;
        if (pair.type !== "pair") return undefined;
        const key = constantString(pair.childForFieldName("key")!, module);
        const value = pyLiteral(pair.childForFieldName("value")!, module, depth + 1);
        if (key === undefined || value === undefined) return undefined;
        out[key] = value;
      }
      return out;
    }
    default:
      return undefined;
  }
}
