import { Node, SyntaxKind, ts } from "ts-morph";
import { looksLikeSecret } from "../../src/engine/config/index.js";
import type { Rule } from "../../src/engine/rule.js";
import { descendantsOfKindWhere, propertyName } from "../../src/engine/values.js";
import { checkPython, MENTIONS_PY } from "./python.js";
import { verifiableCredential } from "./verifiable.js";

/** Shorter literals are never reported. */
const MIN_SECRET_LENGTH = 16;

/** Names whose value is a credential. Stricter than the config rule's: code has `author`, `authUrl`, `tokenizer`. */
const SECRET_NAME = /(?:token|secret|passw(?:or)?d|^pwd$|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credential|^auth$|authorization|bearer)(?!izer|s?(?:url|uri|path|file|endpoint|header|name|type|count|length|limit|regex|pattern|env|var|key_?name)\b)/i;
/** A PEM private key with its body: a bare header is a parser's constant, not a key. */
const PRIVATE_KEY = /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----(?:\\n|\s)*[A-Za-z0-9+/=]{40,}/;

export const hardcodedSecret: Rule = {
  meta: {
    id: "hardcoded-secret",
    title: "Secret written into server code",
    severity: "high",
    cwe: "CWE-798",
    confidence: "medium",
    languages: ["typescript", "javascript", "python"],
    references: [
      "https://cwe.mitre.org/data/definitions/798.html",
      "https://docs.github.com/en/code-security/secret-scanning/introduction/supported-secret-scanning-patterns",
      "https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html",
    ],
    description:
      "A token, API key, private key or password written literally in server code is readable by everyone who can read the repository, its forks and its published package, and cannot be rotated without a release. MCP servers often hold exactly these: GitHub, OpenAI, Anthropic, Slack, AWS and database credentials.",
    mentions: /gh[pousr]_|github_pat_|\bsk-|\b(?:AKIA|ASIA)[0-9A-Z]{16}|xox[abposr]-|_live_|glpat-|AIza|PRIVATE KEY|:\/\/[^\s:@/"'`]+:[^\s@/"'`]+@|(?:token|secret|passw|pwd|api[_-]?key|apikey|access[_-]?key|credential|auth|bearer)\w*["']?\s*[:=]\s*["'`]/i,
    mentionsPython: MENTIONS_PY,
  },
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

export function secretKind(value: string, name: string | undefined): string | undefined {
  const match = looksLikeSecret(value, name && SECRET_NAME.test(name) ? name : "");
  // Documented sample credentials (AWS's AKIAIOSFODNN7EXAMPLE) and redacted values are not secrets.
  if (!match || /example|redacted|x{6,}|\*{4,}/i.test(value)) return undefined;
  // A regular expression's source (`[A-Za-z0-9._~+/-]+=*`) is a pattern for tokens, not one.
  if (match.kind === "credential" && /[[\](){}\\|\s]/.test(value)) return undefined;
  // client_secret_basic, bearer_token_header: a name of a method or field, not a value.
  if (match.kind === "credential" && (/^[a-z]+(?:[_-][a-z]+)+$/.test(value) || /(?:method|mode|type|scheme|style|kind|format)s?$/i.test(name ?? ""))) return undefined;
  // A URL, a path (`/rest/oauth2/token`, `api/v1/keys`) or a constant's name is where a secret is found, not one.
  if (match.kind === "credential" && (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || isPath(value) || /^[A-Z_]+$/.test(value))) return undefined;
  return match.kind;
}

/**
 * A path of words (`/rest/oauth2/latest/token`), not base64 that happens to hold slashes: no
 * segment mixes cases the way random text does (`wJalrXUtnFEMI/K7MDENG/bPxRfiCY`).
 */
function isPath(value: string): boolean {
  if (!/^\/?[\w.-]+\/[\w./-]+$/.test(value)) return false;
  return value.split("/").every((segment) => (segment.match(/[A-Z]/g)?.length ?? 0) < 2 || !/[a-z]/.test(segment));
}

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
