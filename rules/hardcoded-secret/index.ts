import { Node, SyntaxKind, ts } from "ts-morph";
import { looksLikeSecret } from "../../src/engine/config/index.js";
import type { Rule } from "../../src/engine/rule.js";
import { descendantsOfKindWhere, propertyName } from "../../src/engine/values.js";
import { checkPython } from "./python.js";
import { verifiableCredential } from "./verifiable.js";
import { meta } from "./meta.js";
import { secretKind } from "./secret-kind.js";

/** Shorter literals are never reported. */
const MIN_SECRET_LENGTH = 16;

/** A PEM private key with its body: a bare header is a parser's constant, not a key. */
const PRIVATE_KEY = /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----(?:\\n|\s)*[A-Za-z0-9+/=]{40,}/;

export const hardcodedSecret: Rule = {
  meta,
  checkPython,
  check(ctx) {
    // Test code holds fake credentials on purpose: there, only a verifiable one is reported.
    const inTest = ctx.context === "test";
    const text = ctx.sourceFile.getFullText();
    // Most literals are short: test their text before wrapping them.
    const longEnough = (node: ts.Node) => (node as ts.LiteralLikeNode).text.length >= MIN_SECRET_LENGTH;
    const literals = [
      ...descendantsOfKindWhere(ctx.sourceFile, SyntaxKind.StringLiteral, longEnough),
      ...descendantsOfKindWhere(ctx.sourceFile, SyntaxKind.NoSubstitutionTemplateLiteral, longEnough),
    ];
    for (const literal of literals) {
      const value = literal.getLiteralValue();
      const parent = literal.getParent();
      // Module specifiers, property names and type positions are not values.
      if (!parent || Node.isImportDeclaration(parent) || Node.isExportDeclaration(parent) || Node.isLiteralTypeNode(parent) || (Node.isPropertyAssignment(parent) && parent.getNameNode() === literal)) continue;
      const name = nameOf(literal);
      const kind = PRIVATE_KEY.test(value) ? "private key" : secretKind(value, name);
      if (!kind) continue;
      const verified = verifiableCredential(value, text);
      if (inTest && !verified) continue;
      const envName = envNameFor(name, kind);
      const shown = `${value.slice(0, 4)}…`;
      ctx.report({
        node: literal,
        message:
          `A ${kind} (\`${shown}\`, ${value.length} characters) is written literally in the code${name ? ` as \`${name}\`` : ""}. ` +
          (verified ? `It is a ${verified}, so it is real${inTest ? " even in test code" : ""}. ` : "") +
          "Everyone who can read the repository, a fork or the published package can use it, and it stays in the git history after it is removed.",
        ...(verified ? { countsEverywhere: true } : {}),
        // Read from the environment where it is written; the value must still be rotated (the message says so).
        ...(/^[A-Z_][A-Z0-9_]*$/.test(envName) ? { fix: { node: literal, replacement: `process.env.${envName}` } } : {}),
        remediation: [
          `Revoke and rotate this ${kind} now: it is exposed already. Then read it from the environment (or the platform's secret store) at startup:`,
          "",
          "```ts",
          `const ${camel(name) ?? "token"} = process.env.${envName};`,
          `if (!${camel(name) ?? "token"}) throw new Error("${envName} is not set");`,
          "```",
          "",
          `and have the MCP client pass it: \`"env": { "${envName}": "\${input:${envName.toLowerCase()}}" }\` in its config, never the value itself.`,
        ].join("\n"),
      });
    }
  },
};

/** The variable, property or parameter the literal is the value of. */
function nameOf(literal: Node): string | undefined {
  const parent = literal.getParent();
  if (!parent) return undefined;
  if (Node.isVariableDeclaration(parent) || Node.isPropertyDeclaration(parent) || Node.isParameterDeclaration(parent)) return parent.getName();
  if (Node.isPropertyAssignment(parent)) return propertyName(parent);
  if (Node.isBinaryExpression(parent) && parent.getOperatorToken().getKind() === SyntaxKind.EqualsToken) {
    const left = parent.getLeft();
    return Node.isPropertyAccessExpression(left) ? left.getName() : left.getText();
  }
  if (Node.isTemplateSpan(parent) || Node.isBinaryExpression(parent)) return nameOf(parent.getParent()!);
  return undefined;
}

function envNameFor(name: string | undefined, kind: string): string {
  if (name && /^[A-Z0-9_]+$/.test(name)) return name;
  if (name) return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[^A-Za-z0-9]+/g, "_").toUpperCase();
  return kind.toUpperCase().replace(/[^A-Z0-9]+/g, "_");
}

function camel(name: string | undefined): string | undefined {
  if (!name) return undefined;
  if (/^[A-Z0-9_]+$/.test(name)) return name.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : undefined;
}
