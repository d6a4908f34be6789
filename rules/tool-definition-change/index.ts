import { Node, SyntaxKind, type SourceFile } from "ts-morph";
import type { Rule } from "../../src/engine/rule.js";
import { descendantsOfKind } from "../../src/engine/values.js";
import { pythonToolDefinitions } from "./python.js";

const HIDDEN = /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\uFEFF]|[\u{E0000}-\u{E007F}]/u;
const INSTRUCTION =
  /<\/?(?:important|system|instructions?|secret)>|ignore (?:all |any )?(?:previous|prior|above)|do not (?:tell|mention|inform|show)|don'?t (?:tell|mention|inform|show)|without (?:telling|asking|informing)|you (?:must|should) (?:always|first|never)|\b(?:always|first|never) (?:call|use|run|pass|send|read|include)\b|before (?:using|calling) (?:this|any)|~\/\.ssh|id_rsa|\.env\b|mcp\.json|api[_ ]?key|password|credentials?/i;
const TOOL_REFERENCE = /\b(?:call|use|invoke|run|prefer|instead of)\s+(?:the\s+)?[`'"]?[A-Za-z_][\w-]*[`'"]?\s+tool\b/i;

export const toolDefinitionChange: Rule = {
  meta: {
    id: "tool-definition-change",
    title: "MCP tool definition changed",
    severity: "medium",
    cwe: "CWE-1427",
    confidence: "medium",
    languages: ["typescript", "javascript", "python"],
    references: [
      "https://cwe.mitre.org/data/definitions/1427.html",
      "https://invariantlabs.ai/blog/mcp-security-notification-tool-poisoning-attacks",
      "https://modelcontextprotocol.io/specification/2025-06-18/server/tools#security-considerations",
    ],
    description:
      "A tool's name, description and input schema are what users and clients approve and what the model reads as instructions. A change to them after people trusted the tool (a \"rug pull\") changes what the model does without anyone approving it again, so each change deserves a reviewer's eyes — above all when the new text adds instructions, hidden characters or references to other tools.",
    mentions: /\b(?:tool|registerTool|inputSchema)\b/,
  },
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
  checkText(ctx) {
    if (ctx.language !== "python" || ctx.base === undefined) return;
    for (const change of compareTools(pythonToolDefinitions(ctx.base), pythonToolDefinitions(ctx.text))) {
      ctx.report({ offset: change.at.offset, length: change.at.length, severity: change.severity, message: change.message, remediation: change.remediation });
    }
  },
};

/** A tool definition whose parts are located by `T`: a ts-morph node, or a span of Python text. */
export interface Definition<T> {
  name: string;
  nameAt: T;
  description?: { text: string; at: T };
  schema?: { text: string; at: T };
}

export interface DefinitionChange<T> {
  at: T;
  severity?: "high";
  message: string;
  remediation: string;
}

/** Changes between the tools of a file's base and head versions, one per changed tool. */
export function compareTools<T>(before: Definition<T>[], after: Definition<T>[]): DefinitionChange<T>[] {
  const beforeByName = new Map(before.map((t) => [t.name, t]));
  const afterNames = new Set(after.map((t) => t.name));
  const removed = before.filter((t) => !afterNames.has(t.name));
  const added = after.filter((t) => !beforeByName.has(t.name));
  const otherNames = new Set([...before, ...after].map((t) => t.name));
  const out: DefinitionChange<T>[] = [];

  for (const tool of after) {
    let old = beforeByName.get(tool.name);
    let renamedFrom: string | undefined;
    // One tool gone and one new in the same file is a rename.
    if (!old && removed.length === 1 && added.length === 1) {
      old = removed[0]!;
      renamedFrom = old.name;
    }
    if (!old) continue;
    const rows: [string, string, string][] = [];
    if (renamedFrom !== undefined) rows.push(["name", renamedFrom, tool.name]);
    if ((old.description?.text ?? "") !== (tool.description?.text ?? "")) rows.push(["description", old.description?.text ?? "", tool.description?.text ?? ""]);
    if ((old.schema?.text ?? "") !== (tool.schema?.text ?? "")) rows.push(["input schema", old.schema?.text ?? "", tool.schema?.text ?? ""]);
    if (rows.length === 0) continue;

    const oldText = rows.map((r) => r[1]).join("\n");
    const newText = rows.map((r) => r[2]).join("\n");
    const raised: string[] = [];
    if (HIDDEN.test(newText) && !HIDDEN.test(oldText)) raised.push("adds invisible characters");
    if (INSTRUCTION.test(newText) && !INSTRUCTION.test(oldText)) raised.push("adds instructions to the model");
    const mentioned = [...otherNames].filter((n) => n !== tool.name && n !== renamedFrom && mentions(newText, n) && !mentions(oldText, n));
    if (mentioned.length > 0 || (TOOL_REFERENCE.test(newText) && !TOOL_REFERENCE.test(oldText))) raised.push(mentioned.length > 0 ? `refers to other tools (${mentioned.map((n) => `\`${n}\``).join(", ")})` : "refers to other tools");

    const changed = rows.map((r) => r[0]).join(", ");
    const at = rows.some((r) => r[0] === "description") && tool.description ? tool.description.at : rows.some((r) => r[0] === "input schema") && tool.schema ? tool.schema.at : tool.nameAt;
    const table = `| | before | after |\n|---|---|---|\n${rows.map(([what, a, b]) => `| ${what} | ${cell(a)} | ${cell(b)} |`).join("\n")}`;
    out.push({
      at,
      severity: raised.length > 0 ? "high" : undefined,
      message: `Tool \`${tool.name}\` changes its ${changed}${raised.length > 0 ? `, and the new text ${raised.join(" and ")}` : ""}: clients that approved the tool will follow the new definition without asking again.\n\n${table}`,
      remediation:
        raised.length > 0
          ? "Keep the definition to what the tool does and what its parameters mean, in plain visible text; remove instructions to the model, invisible characters and references to other tools. If you did not write this change, treat it as a supply-chain compromise."
          : "Check that the new definition says only what the tool does, and mention the change in the release notes so that users re-approve the tool knowingly.",
    });
  }
  return out;
}

function mentions(text: string, name: string): boolean {
  return new RegExp(`(?:^|[^\\w-])${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?:[^\\w-]|$)`).test(text);
}

function cell(text: string): string {
  const shown = [...text].map((ch) => (HIDDEN.test(ch) ? `\\u${ch.codePointAt(0)!.toString(16).padStart(4, "0")}` : ch)).join("");
  return shown === "" ? "*(none)*" : `\`${shown.replace(/\|/g, "\\|").replace(/`/g, "'").replace(/\s*\n\s*/g, " ⏎ ")}\``;
}

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
