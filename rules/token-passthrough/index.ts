import { Node, SyntaxKind } from "ts-morph";
import type { Rule, RuleContext } from "../../src/engine/rule.js";
import { abbreviate, declarationOf, descendantsOfKind, propertyName, unwrap } from "../../src/engine/values.js";
import { checkPython } from "./python.js";
import { meta } from "./meta.js";
import { passthroughMessage } from "./message.js";

/** The client's credential as the server received it. */
const INCOMING =
  /\bheaders\s*(?:\?\.|\.)\s*authorization\b|\bheaders\s*(?:\?\.)?\[\s*["'`]authorization["'`]\s*\]|\b(?:req|request|c\.req|ctx\.request|ctx\.req)\s*\.\s*(?:get|header)\(\s*["'`]authorization["'`]\s*\)|\bheaders\.get\(\s*["'`]authorization["'`]\s*\)|\bauthInfo\s*(?:\?\.|\.)\s*token\b/i;
/** The whole incoming header set (it carries Authorization along). */
const INCOMING_HEADERS = /^(?:req|request|c\.req|ctx\.request|ctx\.req|extra\.requestInfo)\s*(?:\?\.|\.)\s*headers$/;

export const tokenPassthrough: Rule = {
  meta,
  checkPython,
  check(ctx) {
    if (!ctx.mcp.isMcpServer) return;
    for (const prop of descendantsOfKind(ctx.sourceFile, SyntaxKind.PropertyAssignment)) {
      const name = propertyName(prop)?.toLowerCase();
      const value = prop.getInitializer();
      if (!value) continue;
      if (name === "authorization" && isOutgoingHeaders(prop.getParent()) && derivesFromIncoming(value)) report(ctx, prop, `\`${abbreviate(prop, 60)}\` sends the client's own token`);
      else if (name === "headers" && isIncomingHeaderSet(value) && isOutgoingRequest(prop.getParent())) report(ctx, prop, `\`${abbreviate(prop, 60)}\` forwards every incoming header, the client's Authorization token included,`);
    }
    for (const spread of descendantsOfKind(ctx.sourceFile, SyntaxKind.SpreadAssignment)) {
      if (isIncomingHeaderSet(spread.getExpression()) && isOutgoingHeaders(spread.getParent())) report(ctx, spread, `\`${abbreviate(spread, 60)}\` copies every incoming header, the client's Authorization token included,`);
    }
    for (const call of descendantsOfKind(ctx.sourceFile, SyntaxKind.CallExpression)) {
      const callee = call.getExpression();
      const [key, value] = call.getArguments();
      if (!Node.isPropertyAccessExpression(callee) || !/^(?:set|append)$/.test(callee.getName()) || !key || !value) continue;
      if (!/^["'`]authorization["'`]$/i.test(key.getText()) || !/headers/i.test(callee.getExpression().getText())) continue;
      if (derivesFromIncoming(value)) report(ctx, call, `\`${abbreviate(call, 60)}\` sends the client's own token`);
    }
  },
};

function report(ctx: RuleContext, node: Node, what: string): void {
  ctx.report({
    node,
    message:
      passthroughMessage(what),
    remediation: [
      "Call the upstream with a credential of its own, never the one the client sent you:",
      "",
      "```ts",
      `headers: { Authorization: \`Bearer \${process.env.UPSTREAM_API_TOKEN}\` }`,
      "```",
      "",
      "When the upstream must act as the user, exchange the client's token for one issued for the upstream (OAuth 2.0 token exchange, RFC 8693, or the upstream's own OAuth flow), and validate that tokens you accept were issued for this server (their audience).",
    ].join("\n"),
  });
}

/** An object literal that is the `headers` of a request, or passed to `new Headers(...)`/fetch/axios. */
function isOutgoingHeaders(obj: Node | undefined): boolean {
  if (!obj || !Node.isObjectLiteralExpression(obj)) return false;
  const parent = obj.getParent();
  if (parent && Node.isPropertyAssignment(parent) && /^headers$/i.test(propertyName(parent) ?? "")) return true;
  if (parent && Node.isNewExpression(parent) && /Headers$/.test(parent.getExpression().getText())) return true;
  if (parent && Node.isVariableDeclaration(parent) && /headers/i.test(parent.getName())) return true;
  return false;
}

function isOutgoingRequest(obj: Node | undefined): boolean {
  const call = obj?.getParent();
  return !!call && (Node.isCallExpression(call) || Node.isNewExpression(call)) && /\b(?:fetch|axios|got|request|get|post|put|patch|delete|ky|superagent)\b/i.test(call.getExpression().getText());
}

function isIncomingHeaderSet(expr: Node): boolean {
  return INCOMING_HEADERS.test(unwrap(expr).getText().replace(/\s+/g, ""));
}

/** The expression, or a variable it reads (followed up to four steps), holds the incoming token. */
function derivesFromIncoming(expr: Node, depth = 0): boolean {
  if (INCOMING.test(expr.getText())) return true;
  if (depth > 4) return false;
  const ids = Node.isIdentifier(expr) ? [expr] : descendantsOfKind(expr, SyntaxKind.Identifier);
  for (const id of ids) {
    const decl = declarationOf(id);
    if (!decl) continue;
    if (Node.isVariableDeclaration(decl) && decl.getInitializer() && derivesFromIncoming(decl.getInitializer()!, depth + 1)) return true;
    // function upstreamHeaders(token) { ... } called as upstreamHeaders(req.headers.authorization)
    if (Node.isParameterDeclaration(decl) && argumentsFor(decl).some((arg) => derivesFromIncoming(arg, depth + 1))) return true;
    if (Node.isBindingElement(decl)) {
      const owner = decl.getFirstAncestorByKind(SyntaxKind.VariableDeclaration);
      const init = owner?.getInitializer();
      const key = (decl.getPropertyNameNode()?.getText() ?? decl.getName()).replace(/["']/g, "");
      if (init && /authorization|token/i.test(key) && /headers|authInfo/i.test(init.getText())) return true;
    }
  }
  return false;
}

/** What the calls of a parameter's function (in its file) pass for it. */
function argumentsFor(param: import("ts-morph").ParameterDeclaration): Node[] {
  const fn = param.getParent();
  if (!Node.isFunctionDeclaration(fn) && !Node.isArrowFunction(fn) && !Node.isFunctionExpression(fn)) return [];
  const index = fn.getParameters().indexOf(param);
  const owner = fn.getParent();
  const name = Node.isFunctionDeclaration(fn) ? fn.getName() : owner && Node.isVariableDeclaration(owner) ? owner.getName() : undefined;
  if (!name || index < 0 || param.isRestParameter()) return [];
  const out: Node[] = [];
  for (const call of descendantsOfKind(param.getSourceFile(), SyntaxKind.CallExpression)) {
    const callee = unwrap(call.getExpression());
    if (Node.isIdentifier(callee) && callee.getText() === name && declarationOf(callee) === (Node.isFunctionDeclaration(fn) ? fn : owner)) {
      const arg = call.getArguments()[index];
      if (arg) out.push(arg);
    }
  }
  return out;
}
