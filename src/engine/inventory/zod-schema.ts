import { Node, SyntaxKind } from "ts-morph";
import { constantString, propertyName, unwrap } from "../values.js";
import { followAcross } from "./follow.js";
import { objectSchema, type JsonSchema, type JsonValue } from "./json-schema.js";

const MAX_DEPTH = 12;

/**
 * The JSON Schema a zod schema written in code stands for, read from the code (nothing is run):
 * what the MCP SDK sends clients as a tool's `inputSchema`. A raw shape (`{ path: z.string() }`,
 * as `server.tool` and `registerTool` take it) and `z.object({...})` both give an object schema.
 * A part that cannot be read statically becomes `{}` (any value).
 */
export function zodToJsonSchema(expr: Node): JsonSchema {
  const node = followAcross(expr);
  if (Node.isObjectLiteralExpression(node)) return shapeSchema(node, 0);
  return convert(node, 0).schema;
}

interface Converted {
  schema: JsonSchema;
  optional: boolean;
}

function shapeSchema(shape: import("ts-morph").ObjectLiteralExpression, depth: number): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const prop of shape.getProperties()) {
    const name = propertyName(prop);
    if (name === undefined) continue;
    let value: Node | undefined;
    if (Node.isPropertyAssignment(prop)) value = prop.getInitializer();
    else if (Node.isShorthandPropertyAssignment(prop)) value = prop.getNameNode();
    if (!value) continue;
    const { schema, optional } = convert(followAcross(value), depth + 1);
    properties[name] = schema;
    if (!optional) required.push(name);
  }
  return objectSchema(properties, required);
}

/** A chain such as `z.string().min(1).describe("...").optional()`, from the outside in. */
function convert(expr: Node, depth: number): Converted {
  if (depth > MAX_DEPTH) return { schema: {}, optional: false };
  const node = unwrap(expr);
  if (Node.isObjectLiteralExpression(node)) return { schema: shapeSchema(node, depth), optional: false };
  if (Node.isIdentifier(node) || (Node.isPropertyAccessExpression(node) && node.getName() === "shape")) {
    const followed = followAcross(node);
    return followed === node ? { schema: {}, optional: false } : convert(followed, depth + 1);
  }
  if (!Node.isCallExpression(node)) return { schema: {}, optional: false };
  const callee = unwrap(node.getExpression());
  if (!Node.isPropertyAccessExpression(callee)) return { schema: {}, optional: false };
  const method = callee.getName();
  const receiver = unwrap(callee.getExpression());
  const args = node.getArguments();
  // `z.string()` starts a chain; `base.optional()` where `base` names a schema constant continues one.
  const isRoot = (Node.isIdentifier(receiver) && followAcross(receiver) === receiver) || (Node.isPropertyAccessExpression(receiver) && receiver.getName() === "coerce");
  if (isRoot) return { schema: base(method, args, depth), optional: false };
  const inner = convert(receiver, depth + 1);
  const schema = { ...inner.schema };
  switch (method) {
    case "optional":
    case "nullish":
      return { schema: method === "nullish" ? nullable(schema) : schema, optional: true };
    case "nullable":
      return { schema: nullable(schema), optional: inner.optional };
    case "default": {
      const value = args[0] ? literalValue(args[0]) : undefined;
      return { schema: value === undefined ? schema : { ...schema, default: value }, optional: true };
    }
    case "describe": {
      const text = args[0] ? constantString(args[0]) : undefined;
      return { schema: text === undefined ? schema : { ...schema, description: text }, optional: inner.optional };
    }
    case "min":
    case "max":
    case "length":
    case "gte":
    case "lte":
    case "gt":
    case "lt": {
      const n = args[0] ? numberValue(args[0]) : undefined;
      if (n === undefined) return { schema, optional: inner.optional };
      return { schema: { ...schema, ...bound(schema.type, method, n) }, optional: inner.optional };
    }
    case "int":
      return { schema: { ...schema, type: "integer" }, optional: inner.optional };
    case "positive":
      return { schema: { ...schema, exclusiveMinimum: 0 }, optional: inner.optional };
    case "nonnegative":
      return { schema: { ...schema, minimum: 0 }, optional: inner.optional };
    case "nonempty":
      return { schema: { ...schema, ...(schema.type === "array" ? { minItems: 1 } : { minLength: 1 }) }, optional: inner.optional };
    case "regex": {
      const pattern = args[0] ? regexSource(args[0]) : undefined;
      return { schema: pattern === undefined ? schema : { ...schema, pattern }, optional: inner.optional };
    }
    case "email":
    case "url":
    case "uuid":
    case "datetime":
    case "date":
    case "ipv4":
    case "ipv6":
      return { schema: { ...schema, format: method === "datetime" ? "date-time" : method === "url" ? "uri" : method }, optional: inner.optional };
    case "array":
      return { schema: { type: "array", items: inner.schema }, optional: false };
    case "or": {
      const other = args[0] ? convert(args[0], depth + 1).schema : {};
      return { schema: { anyOf: [inner.schema, other] }, optional: inner.optional };
    }
    case "strict":
      return { schema: { ...schema, additionalProperties: false }, optional: inner.optional };
    case "extend":
    case "merge": {
      const extra = args[0] ? zodToJsonSchema(args[0]) : {};
      return { schema: mergeObjects(schema, extra), optional: inner.optional };
    }
    default:
      // trim(), toLowerCase(), refine(...), transform(...), brand(): the shape stays what it was.
      return { schema, optional: inner.optional };
  }
}

function base(method: string, args: Node[], depth: number): JsonSchema {
  switch (method) {
    case "string":
      return { type: "string" };
    case "number":
      return { type: "number" };
    case "bigint":
      return { type: "integer" };
    case "int":
      return { type: "integer" };
    case "boolean":
      return { type: "boolean" };
    case "null":
      return { type: "null" };
    case "date":
      return { type: "string", format: "date-time" };
    case "any":
    case "unknown":
      return {};
    case "literal": {
      const value = args[0] ? literalValue(args[0]) : undefined;
      return value === undefined ? {} : { type: jsonType(value), const: value };
    }
    case "enum": {
      const values = args[0] ? arrayOf(args[0]) : undefined;
      return values ? { type: "string", enum: values } : { type: "string" };
    }
    case "nativeEnum":
      return {};
    case "array":
      return { type: "array", items: args[0] ? convert(args[0], depth + 1).schema : {} };
    case "object":
      return args[0] ? zodToJsonSchema(args[0]) : { type: "object" };
    case "record":
      return { type: "object", additionalProperties: args.length > 0 ? convert(args[args.length - 1]!, depth + 1).schema : {} };
    case "union":
    case "discriminatedUnion": {
      const list = args[method === "union" ? 0 : 1];
      const members = list && Node.isArrayLiteralExpression(unwrap(list)) ? (unwrap(list) as import("ts-morph").ArrayLiteralExpression).getElements() : [];
      return { anyOf: members.map((m) => convert(m, depth + 1).schema) };
    }
    case "tuple": {
      const list = args[0];
      const members = list && Node.isArrayLiteralExpression(unwrap(list)) ? (unwrap(list) as import("ts-morph").ArrayLiteralExpression).getElements() : [];
      return { type: "array", items: members.map((m) => convert(m, depth + 1).schema), minItems: members.length, maxItems: members.length };
    }
    default:
      return {};
  }
}

function bound(type: JsonValue | undefined, method: string, n: number): JsonSchema {
  const inclusiveMin = method === "min" || method === "gte";
  const inclusiveMax = method === "max" || method === "lte";
  if (type === "string") return method === "length" ? { minLength: n, maxLength: n } : inclusiveMin ? { minLength: n } : inclusiveMax ? { maxLength: n } : {};
  if (type === "array") return method === "length" ? { minItems: n, maxItems: n } : inclusiveMin ? { minItems: n } : inclusiveMax ? { maxItems: n } : {};
  if (inclusiveMin) return { minimum: n };
  if (inclusiveMax) return { maximum: n };
  if (method === "gt") return { exclusiveMinimum: n };
  if (method === "lt") return { exclusiveMaximum: n };
  return {};
}

function nullable(schema: JsonSchema): JsonSchema {
  return { anyOf: [schema, { type: "null" }] };
}

function mergeObjects(a: JsonSchema, b: JsonSchema): JsonSchema {
  const properties = { ...((a.properties as Record<string, JsonSchema>) ?? {}), ...((b.properties as Record<string, JsonSchema>) ?? {}) };
  const required = [...new Set([...((a.required as string[]) ?? []), ...((b.required as string[]) ?? [])])];
  return objectSchema(properties, required);
}

function jsonType(value: JsonValue): string {
  return value === null ? "null" : typeof value === "number" ? "number" : typeof value === "boolean" ? "boolean" : "string";
}

function numberValue(node: Node): number | undefined {
  const n = unwrap(followAcross(node));
  if (Node.isNumericLiteral(n)) return n.getLiteralValue();
  if (Node.isPrefixUnaryExpression(n) && n.getOperatorToken() === SyntaxKind.MinusToken && Node.isNumericLiteral(n.getOperand())) return -(n.getOperand() as import("ts-morph").NumericLiteral).getLiteralValue();
  return undefined;
}

function regexSource(node: Node): string | undefined {
  const n = unwrap(followAcross(node));
  if (Node.isRegularExpressionLiteral(n)) {
    const text = n.getText();
    return text.slice(1, text.lastIndexOf("/"));
  }
  return undefined;
}

function arrayOf(node: Node): JsonValue[] | undefined {
  const n = unwrap(followAcross(node));
  if (!Node.isArrayLiteralExpression(n)) return undefined;
  const out: JsonValue[] = [];
  for (const element of n.getElements()) {
    const value = literalValue(element);
    if (value === undefined) return undefined;
    out.push(value);
  }
  return out;
}

/**
 * The JSON value of a literal expression: strings, numbers, booleans, null, and arrays and objects
 * of those. Undefined when any part is not a literal.
 */
export function literalValue(expr: Node, depth = 0): JsonValue | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const node = unwrap(expr);
  const text = constantString(node);
  if (text !== undefined && !Node.isNumericLiteral(node)) return text;
  if (Node.isNumericLiteral(node)) return node.getLiteralValue();
  if (Node.isPrefixUnaryExpression(node) && node.getOperatorToken() === SyntaxKind.MinusToken && Node.isNumericLiteral(node.getOperand())) return -(node.getOperand() as import("ts-morph").NumericLiteral).getLiteralValue();
  const kind = node.getKind();
  if (kind === SyntaxKind.TrueKeyword) return true;
  if (kind === SyntaxKind.FalseKeyword) return false;
  if (kind === SyntaxKind.NullKeyword) return null;
  if (Node.isIdentifier(node)) {
    const followed = followAcross(node);
    return followed === node ? undefined : literalValue(followed, depth + 1);
  }
  if (Node.isArrayLiteralExpression(node)) {
    const out: JsonValue[] = [];
    for (const element of node.getElements()) {
      const value = literalValue(element, depth + 1);
      if (value === undefined) return undefined;
      out.push(value);
    }
    return out;
  }
  if (Node.isObjectLiteralExpression(node)) {
    const out: Record<string, JsonValue> = {};
    for (const prop of node.getProperties()) {
      const name = propertyName(prop);
      if (name === undefined || !Node.isPropertyAssignment(prop)) return undefined;
      const value = literalValue(prop.getInitializerOrThrow(), depth + 1);
      if (value === undefined) return undefined;
      out[name] = value;
    }
    return out;
  }
  return undefined;
}
