import { Node, SyntaxKind } from "ts-morph";
import type { Rule, RuleContext } from "../../src/engine/rule.js";
import { constantString, descendantsOfKind, propertyName, unwrap } from "../../src/engine/values.js";
import { checkPython } from "./python.js";
import { meta } from "./meta.js";
import { INVISIBLE, poisoningMessage, poisoningReasons, POISONING_REMEDIATION } from "./reasons.js";

export const toolPoisoning: Rule = {
  meta,
  checkPython,
  check(ctx) {
    if (!ctx.mcp.isMcpServer) return;
    for (const { node, text, toolName } of ctx.mcp.descriptions) {
      const reasons = poisoningReasons(text);
      if (reasons.length === 0) continue;
      ctx.report({ node, message: poisoningMessage(toolName, reasons), remediation: POISONING_REMEDIATION, ...cleanedDescription(node, text) });
    }
    runtimeDescriptions(ctx);
  },
};

/** Blocks addressed to the model alone, which a user never sees rendered: `<IMPORTANT>…</IMPORTANT>` and the like. */
const HIDDEN_BLOCK = /\s*<(IMPORTANT|HIDDEN|SYSTEM|INSTRUCTIONS?|SECRET)>[\s\S]*?<\/\1>/gi;

/**
 * The description without what hides instructions in it: invisible characters and blocks
 * addressed to the model. Offered as a fix of the literal; the engine keeps it only if nothing
 * poisoned is left.
 */
function cleanedDescription(node: Node, text: string): { fix?: { node: Node; replacement: string } } {
  if (!Node.isStringLiteral(node) && !Node.isNoSubstitutionTemplateLiteral(node)) return {};
  const cleaned = text.replace(new RegExp(INVISIBLE.source, "gu"), "").replace(HIDDEN_BLOCK, "").trim();
  if (cleaned === text || cleaned === "") return {};
  const replacement = Node.isStringLiteral(node) ? quoteLike(node.getText()[0]!, cleaned) : `\`${cleaned.replace(/[`\\]|\$\{/g, (c) => `\\${c}`)}\``;
  return { fix: { node, replacement } };
}

function quoteLike(quote: string, text: string): string {
  const json = JSON.stringify(text);
  return quote === "'" ? `'${json.slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'` : json;
}

/**
 * Descriptions written at run time: `tool.description = "..."`, `tool["description"] += "..."`, and a
 * registered tool's `update({ description: "..." })`. A review of the definition does not show them.
 */
function runtimeDescriptions(ctx: RuleContext): void {
  const report = (node: Node, target: Node, value: Node) => {
    const text = writtenText(value);
    const reasons = text === undefined ? [] : poisoningReasons(text);
    if (reasons.length === 0) return;
    const name = Node.isIdentifier(unwrap(target)) ? unwrap(target).getText() : undefined;
    const code = node.getText().replace(/\s+/g, " ");
    ctx.report({
      node,
      message: `${poisoningMessage(name, reasons)} The text is set at run time (\`${code.length > 60 ? `${code.slice(0, 59)}…` : code}\`), so a review of the definition does not show it.`,
      remediation: POISONING_REMEDIATION,
    });
  };
  for (const binary of descendantsOfKind(ctx.sourceFile, SyntaxKind.BinaryExpression)) {
    const op = binary.getOperatorToken().getKind();
    if (op !== SyntaxKind.EqualsToken && op !== SyntaxKind.PlusEqualsToken) continue;
    const left = binary.getLeft();
    if (Node.isPropertyAccessExpression(left) && left.getName() === "description") report(binary, left.getExpression(), binary.getRight());
    else if (Node.isElementAccessExpression(left) && constantString(left.getArgumentExpression() ?? left) === "description") report(binary, left.getExpression(), binary.getRight());
  }
  for (const call of descendantsOfKind(ctx.sourceFile, SyntaxKind.CallExpression)) {
    const callee = call.getExpression();
    const options = call.getArguments()[0];
    if (!Node.isPropertyAccessExpression(callee) || callee.getName() !== "update" || !options || !Node.isObjectLiteralExpression(options)) continue;
    for (const prop of options.getProperties()) {
      if (Node.isPropertyAssignment(prop) && propertyName(prop) === "description" && prop.getInitializer()) report(call, callee.getExpression(), prop.getInitializer()!);
    }
  }
}

/** The text a value writes: a constant, or the literal parts of a template. */
function writtenText(value: Node): string | undefined {
  const constant = constantString(value);
  if (constant !== undefined) return constant;
  const node = unwrap(value);
  if (Node.isTemplateExpression(node)) return [node.getHead().getLiteralText(), ...node.getTemplateSpans().map((s) => ` ${s.getLiteral().getLiteralText()}`)].join("");
  if (Node.isBinaryExpression(node) && node.getOperatorToken().getKind() === SyntaxKind.PlusToken) return [node.getLeft(), node.getRight()].map((n) => writtenText(n) ?? " ").join("");
  return undefined;
}
