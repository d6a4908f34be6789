import { Node, SyntaxKind, type SourceFile } from "ts-morph";
import type { Rule } from "../../src/engine/rule.js";
import { descendantsOfKind } from "../../src/engine/values.js";
import { compareTools, type Definition } from "./compare.js";
import { meta } from "./meta.js";
import { checkText } from "./python.js";

export const toolDefinitionChange: Rule = {
  meta,
  check(ctx) {
    if (ctx.baseText === undefined) return;
    const after = toolDefinitions(ctx.sourceFile);
    // Only tools of the new version are reported. One written wholly outside the changed text is
    // in the base word for word, so the base is parsed only when a definition touches the change.
    const changed = changedRange(ctx.baseText, ctx.sourceFile.getFullText());
    const touched = (tool: TsDefinition) =>
      tool.extent.start <= changed.end && changed.start <= tool.extent.end && !tool.handlerBodies.some((body) => body.start <= changed.start && changed.end <= body.end);
    if (!after.some(touched)) return;
    for (const change of compareTools(toolDefinitions(ctx.base!), after)) {
      ctx.report({ node: change.at, severity: change.severity, message: change.message, remediation: change.remediation });
    }
  },
  checkText,
};

/** Where the text of `after` differs from `before`: after their common prefix, before their common suffix. */
export function changedRange(before: string, after: string): { start: number; end: number } {
  const limit = Math.min(before.length, after.length);
  let start = 0;
  while (start < limit && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let suffix = 0;
  while (suffix < limit - start && before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)) suffix++;
  return { start, end: after.length - suffix };
}

interface TsDefinition extends Definition<Node> {
  /** The whole call or object literal: every part of the definition is written inside it. */
  extent: { start: number; end: number };
  /**
   * The insides of the call's function arguments (the handler's body): a change wholly in there
   * leaves the argument a function, so the definition is the same.
   */
  handlerBodies: Array<{ start: number; end: number }>;
}

function handlerBodies(args: Node[]): TsDefinition["handlerBodies"] {
  const out: TsDefinition["handlerBodies"] = [];
  for (const arg of args) {
    if (!Node.isArrowFunction(arg) && !Node.isFunctionExpression(arg)) continue;
    const body = arg.getBody();
    // Inside the braces of a block body; the whole of an expression body.
    out.push(Node.isBlock(body) ? { start: body.getStart() + 1, end: body.getEnd() - 1 } : { start: body.getStart(), end: body.getEnd() });
  }
  return out;
}

/** Tools defined in a file: `server.tool(...)`, `server.registerTool(...)` and `{ name, description, inputSchema }` objects. */
export function toolDefinitions(sourceFile: SourceFile): TsDefinition[] {
  const out: TsDefinition[] = [];
  for (const call of descendantsOfKind(sourceFile, SyntaxKind.CallExpression)) {
    const callee = call.getExpression();
    if (!Node.isPropertyAccessExpression(callee)) continue;
    const method = callee.getName();
    const args = call.getArguments();
    const nameNode = args[0];
    const name = nameNode ? literal(nameNode) : undefined;
    if (!nameNode || name === undefined) continue;
    const extent = { start: call.getStart(), end: call.getEnd() };
    if (method === "tool" && args.length >= 2) {
      const tool: TsDefinition = { name, nameAt: nameNode, extent, handlerBodies: handlerBodies(args) };
      for (const arg of args.slice(1)) {
        const text = literal(arg);
        if (text !== undefined && !tool.description && !tool.schema) tool.description = { text, at: arg };
        else if (Node.isObjectLiteralExpression(arg) && !tool.schema) tool.schema = { text: normalize(arg.getText()), at: arg };
      }
      out.push(tool);
    } else if (method === "registerTool" && args[1] && Node.isObjectLiteralExpression(args[1])) {
      out.push({ name, nameAt: nameNode, extent, handlerBodies: handlerBodies(args), ...fieldsOf(args[1]) });
    }
  }
  for (const obj of descendantsOfKind(sourceFile, SyntaxKind.ObjectLiteralExpression)) {
    const nameProp = property(obj, "name");
    if (!nameProp || !property(obj, "inputSchema")) continue;
    const name = literal(nameProp);
    if (name !== undefined) out.push({ name, nameAt: nameProp, extent: { start: obj.getStart(), end: obj.getEnd() }, handlerBodies: [], ...fieldsOf(obj) });
  }
  return out;
}

function fieldsOf(obj: Node): Pick<Definition<Node>, "description" | "schema"> {
  const description = property(obj, "description");
  const schema = property(obj, "inputSchema");
  const text = description ? literal(description) : undefined;
  return {
    description: description && text !== undefined ? { text, at: description } : undefined,
    schema: schema ? { text: normalize(schema.getText()), at: schema } : undefined,
  };
}

function property(obj: Node, name: string): Node | undefined {
  if (!Node.isObjectLiteralExpression(obj)) return undefined;
  const prop = obj.getProperty(name);
  return prop && Node.isPropertyAssignment(prop) ? prop.getInitializer() : undefined;
}

/** The text of a string literal, a template without substitutions, or a `+` of those. */
function literal(node: Node): string | undefined {
  if (Node.isStringLiteral(node) || Node.isNoSubstitutionTemplateLiteral(node)) return node.getLiteralText();
  if (Node.isParenthesizedExpression(node)) return literal(node.getExpression());
  if (Node.isBinaryExpression(node) && node.getOperatorToken().getKind() === SyntaxKind.PlusToken) {
    const left = literal(node.getLeft());
    const right = literal(node.getRight());
    return left !== undefined && right !== undefined ? left + right : undefined;
  }
  return undefined;
}

function normalize(code: string): string {
  return code.replace(/\s+/g, " ").replace(/,\s*([}\]])/g, " $1").trim();
}
