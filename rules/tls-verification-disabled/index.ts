import { Node, SyntaxKind } from "ts-morph";
import type { Rule } from "../../src/engine/rule.js";
import { abbreviate, constantString, descendantsOfKind, propertyName, unwrap } from "../../src/engine/values.js";
import { checkPython } from "./python.js";
import { meta } from "./meta.js";

/** Options that switch certificate checks off when false. */
const VERIFY_OPTIONS = new Set(["rejectUnauthorized", "strictSSL", "verifySSL", "sslVerify", "verify"]);
/** Options that switch certificate checks off when true. */
const INSECURE_OPTIONS = new Set(["insecure", "insecureSkipVerify", "allowInsecure", "ignoreHTTPSErrors", "skipTlsVerify", "skipSslVerify"]);

export const tlsVerificationDisabled: Rule = {
  meta,
  checkPython,
  check(ctx) {
        for (const prop of descendantsOfKind(ctx.sourceFile, SyntaxKind.PropertyAssignment)) {
      const name = propertyName(prop);
      const value = unwrap(prop.getInitializer()!);
      if (!name) continue;
      const off =
        (VERIFY_OPTIONS.has(name) && (value.getKind() === SyntaxKind.FalseKeyword || value.getText() === "0")) ||
        (INSECURE_OPTIONS.has(name) && value.getKind() === SyntaxKind.TrueKeyword) ||
        (name === "checkServerIdentity" && acceptsEverything(value));
      if (!off) continue;
      // The verifying value in place of the one that turns it off (a checkServerIdentity override has no such value).
      const on = VERIFY_OPTIONS.has(name) ? (value.getText() === "0" ? "1" : "true") : INSECURE_OPTIONS.has(name) ? "false" : undefined;
      ctx.report({
        node: prop,
        message: `\`${abbreviate(prop, 60)}\` turns off TLS certificate verification for this connection: any certificate is accepted, so anyone on the network path can impersonate the server and read or change the traffic, including credentials sent over it.`,
        remediation: remediation(prop.getText(), name),
        ...(on ? { fix: { node: value, replacement: on } } : {}),
      });
    }
    for (const assignment of descendantsOfKind(ctx.sourceFile, SyntaxKind.BinaryExpression)) {
      if (assignment.getOperatorToken().getKind() !== SyntaxKind.EqualsToken) continue;
      const left = assignment.getLeft().getText().replace(/\s+/g, "");
      const value = constantString(assignment.getRight());
      const envOff = /NODE_TLS_REJECT_UNAUTHORIZED["'\]]*$/.test(left) && value === "0";
      const agentOff = /\.rejectUnauthorized$/.test(left) && unwrap(assignment.getRight()).getKind() === SyntaxKind.FalseKeyword;
      if (!envOff && !agentOff) continue;
      ctx.report({
        node: assignment,
        message: envOff
          ? `\`${abbreviate(assignment, 60)}\` turns off certificate verification for every HTTPS and TLS connection this process makes: any certificate is accepted, so anyone on the network path can read and change all of the server's traffic, including the tokens it sends.`
          : `\`${abbreviate(assignment, 60)}\` turns off certificate verification for every request made through this agent.`,
        remediation: envOff
          ? "Delete this line. If an upstream uses a private CA, trust that CA instead of turning verification off: start Node with `NODE_EXTRA_CA_CERTS=/path/to/ca.pem`, or pass `ca: fs.readFileSync(\"/path/to/ca.pem\")` to the agent that connects to it."
          : remediation(assignment.getText(), "rejectUnauthorized"),
        fix: envOff ? { node: statementOf(assignment), replacement: "" } : { node: assignment.getRight(), replacement: "true" },
      });
    }
  },
};

/** The statement an assignment is, for deleting it whole; the assignment itself when it is part of a larger expression. */
function statementOf(assignment: Node): Node {
  const parent = assignment.getParent();
  return parent && Node.isExpressionStatement(parent) ? parent : assignment;
}

function acceptsEverything(value: Node): boolean {
  if (!(Node.isArrowFunction(value) || Node.isFunctionExpression(value))) return false;
  const body = value.getBody();
  if (!Node.isBlock(body)) return /^(?:undefined|null|void 0)$/.test(body.getText());
  const statements = body.getStatements();
  return statements.length === 0 || (statements.length === 1 && /^return(?:\s+(?:undefined|null))?;?$/.test(statements[0]!.getText()));
}

function remediation(code: string, name: string): string {
  return [
    `Remove \`${code.replace(/\s+/g, " ")}\` and let Node verify certificates (the default). If the other side uses a self-signed or private CA certificate, trust that CA explicitly:`,
    "",
    "```ts",
    `const agent = new https.Agent({ ca: fs.readFileSync(process.env.UPSTREAM_CA_FILE!) });`,
    "```",
    "",
    name === "checkServerIdentity" ? "Do not replace `checkServerIdentity` with a function that accepts everything; if you pin a certificate, compare its fingerprint and return an Error when it differs." : "If verification must be off for local development, gate it on an explicit, off-by-default setting and never ship it on for production.",
  ].join("\n");
}
