import { Node, SyntaxKind } from "ts-morph";
import { mcpEndpoints } from "../../src/engine/http.js";
import { headerChecks, type SelfComparison } from "../../src/engine/origin.js";
import type { Rule, RuleContext } from "../../src/engine/rule.js";
import { abbreviate, constantString, descendantsOfKind, propertyName, propertyValue, unwrap } from "../../src/engine/values.js";
import { checkPython } from "./python.js";
import { meta } from "./meta.js";

const TRANSPORTS = /^(?:\w+\.)?(?:StreamableHTTPServerTransport|SSEServerTransport|WebStandardStreamableHTTPServerTransport)$/;
/** Host validation by the SDK: its middleware or its express app factory. Hand-written checks are judged by headerChecks. */
const SDK_VALIDATION = /\b(?:hostHeaderValidation|localhostHostValidation|createMcpExpressApp)\b/;
/** An option that turns Host/Origin validation on. */
const PROTECTION_OPTION = /dns[-_]?rebinding|host[-_]?(?:header[-_]?)?(?:validation|check)|origin[-_]?(?:validation|check)/i;

export const dnsRebinding: Rule = {
  meta,
  checkPython,
  check(ctx) {
    checkProtectionDefaults(ctx);
    if (!ctx.mcp.isMcpServer) return;
    const text = ctx.sourceFile.getFullText();
    if (SDK_VALIDATION.test(text)) return;
    // Only a file that serves HTTP: a library that wraps a transport has no endpoint of its own.
    const endpoints = mcpEndpoints(ctx.sourceFile);
    if (endpoints.length === 0 || endpoints.every((e) => e.authenticated)) return;
    const checks = headerChecks(ctx.sourceFile, ctx.workspace);
    if (checks.validated.size > 0) return;
    if (checks.selfComparisons.length > 0) {
      reportSelfComparison(ctx, checks.selfComparisons[0]!);
      return;
    }
    for (const created of descendantsOfKind(ctx.sourceFile, SyntaxKind.NewExpression)) {
      const name = created.getExpression().getText();
      if (!TRANSPORTS.test(name)) continue;
      const options = created.getArguments().find((a) => Node.isObjectLiteralExpression(unwrap(a)));
      const protection = options ? propertyValue(options, "enableDnsRebindingProtection") : undefined;
      if (protection && unwrap(protection).getKind() === SyntaxKind.TrueKeyword) continue;
      const optionsText = options ? unwrap(options).getText().replace(/\s+/g, " ").replace(/^\{\s*|\s*\}$/g, "") : "";
      const isSse = /SSEServerTransport$/.test(name);
      const path = isSse ? constantString(created.getArguments()[0] ?? created) : undefined;
      ctx.report({
        node: created,
        message:
          `\`new ${name}(…)\` accepts requests whatever their Host and Origin headers, and the endpoint has no authentication. ` +
          "A web page the user opens can point its own domain at 127.0.0.1 (DNS rebinding) or simply post cross-origin, and call this server's tools from the browser.",
        remediation: [
          "Validate the Host header of every request. With Express, build the app with the SDK's factory, which does it for localhost servers:",
          "",
          "```ts",
          `import { createMcpExpressApp } from "@modelcontextprotocol/sdk/server/express.js";`,
          `const app = createMcpExpressApp({ host: "127.0.0.1" });`,
          "```",
          "",
          "or add the middleware yourself (`app.use(hostHeaderValidation([\"127.0.0.1\", \"localhost\"]))` from `@modelcontextprotocol/sdk/server/middleware/hostHeaderValidation.js`), or enable the transport's own check:",
          "",
          "```ts",
          isSse
            ? `new ${name}(${JSON.stringify(path ?? "/messages")}, res, { enableDnsRebindingProtection: true, allowedHosts: ["127.0.0.1:3000", "localhost:3000"] })`
            : `new ${name}({ ${optionsText ? `${optionsText}, ` : ""}enableDnsRebindingProtection: true, allowedHosts: ["127.0.0.1:3000", "localhost:3000"], allowedOrigins: ["http://localhost:3000"] })`,
          "```",
          "",
          "Requiring a bearer token on the endpoint also defeats the attack: the attacker's page does not have it.",
        ].join("\n"),
      });
    }
  },
};

/** An Origin check that compares the request's headers with each other: after DNS rebinding both name the attacker's domain. */
function reportSelfComparison(ctx: RuleContext, found: SelfComparison): void {
  const comparison = abbreviate(found.comparison, 60);
  const where = found.helper ? `\`${found.helper}\` (called here) only checks \`${comparison}\`` : `\`${comparison}\` compares`;
  ctx.report({
    node: found.at,
    message:
      `${where}${found.helper ? "," : ""} the request's Origin against its own Host header. Both are chosen by the page that sends the request: after DNS rebinding, a page on \`http://attacker.example:PORT\` sends \`Host: attacker.example:PORT\` and a matching Origin, ` +
      "so the check passes and the page calls this unauthenticated MCP endpoint from the user's browser. (A request without Origin, such as a same-origin GET, does not even reach the comparison in most such checks.)",
    remediation: [
      "Compare the Host header with the names this server is actually served under, not with another header:",
      "",
      "```ts",
      `const ALLOWED_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);`,
      `const host = new URL(\`http://\${req.headers.host ?? ""}\`).hostname;`,
      `if (!ALLOWED_HOSTS.has(host)) return res.status(403).json({ error: "Host not allowed" });`,
      `if (req.headers.origin && !ALLOWED_HOSTS.has(new URL(req.headers.origin).hostname)) return res.status(403).json({ error: "Origin not allowed" });`,
      "```",
      "",
      "With Express, `createMcpExpressApp({ host: \"127.0.0.1\" })` or `hostHeaderValidation([...])` from the MCP SDK do this. Requiring a bearer token on the endpoint also defeats the attack.",
    ].join("\n"),
  });
}

/**
 * A transport (or framework) whose Host/Origin validation is off unless each server turns it on:
 * `options.enableDnsRebindingProtection ?? false`, a fallback `options || { enableDnsRebindingProtection: false }`,
 * a destructuring or parameter default `= false`. Every server built on it with default options is open to DNS rebinding.
 */
function checkProtectionDefaults(ctx: RuleContext): void {
  const reportDefault = (node: Node, option: string) =>
    ctx.report({
      node,
      message:
        `\`${abbreviate(node, 70)}\` makes \`${option}\` default to false: every server built on this transport without opting in accepts requests whatever their Host and Origin headers, ` +
        "so a web page the user opens can rebind its domain to 127.0.0.1 and call a local server's tools (GHSA-w48q-cv73-mx4w: the MCP TypeScript SDK's transports shipped this default).",
      remediation: [
        `Make the protection the default, and let servers that really serve other host names opt out by naming them:`,
        "",
        "```ts",
        `const ${option} = options.${option} ?? true;`,
        `const allowedHosts = options.allowedHosts ?? ["127.0.0.1", "localhost", "[::1]"]; // with the port if the Host header carries one`,
        "```",
        "",
        "If the default cannot change, validate the Host header in the server-building helper every user goes through (the SDK added `createMcpExpressApp` and `hostHeaderValidation` for this).",
      ].join("\n"),
    });
  // An option its library marks @deprecated, pointing users to another protection (a middleware,
  // an app factory), is not what they rely on. The declaration is found through the type when it
  // can be, else by name in this file.
  const deprecatedNames = new Set(descendantsOfKind(ctx.sourceFile, SyntaxKind.PropertySignature).filter(isDeprecated).map((p) => p.getName()));
  const report = (node: Node, option: string, declared: Node | undefined) => {
    if (declared && Node.isPropertySignature(declared) ? !isDeprecated(declared) : !deprecatedNames.has(option)) reportDefault(node, option);
  };
  for (const bin of descendantsOfKind(ctx.sourceFile, SyntaxKind.BinaryExpression)) {
    const op = bin.getOperatorToken().getKind();
    if (op !== SyntaxKind.QuestionQuestionToken && op !== SyntaxKind.BarBarToken) continue;
    const left = unwrap(bin.getLeft());
    const right = unwrap(bin.getRight());
    const name = Node.isPropertyAccessExpression(left) ? left.getName() : Node.isIdentifier(left) ? left.getText() : undefined;
    if (name && PROTECTION_OPTION.test(name) && right.getKind() === SyntaxKind.FalseKeyword) {
      report(bin, name, Node.isPropertyAccessExpression(left) ? left.getNameNode().getSymbol()?.getDeclarations()[0] : undefined);
      continue;
    }
    if (Node.isObjectLiteralExpression(right)) {
      const off = right.getProperties().find((p) => PROTECTION_OPTION.test(propertyName(p) ?? "") && Node.isPropertyAssignment(p) && unwrap(p.getInitializerOrThrow()).getKind() === SyntaxKind.FalseKeyword);
      const option = off ? propertyName(off)! : undefined;
      if (option) report(bin, option, right.getContextualType()?.getProperty(option)?.getDeclarations()[0]);
    }
  }
  for (const element of [...descendantsOfKind(ctx.sourceFile, SyntaxKind.BindingElement), ...descendantsOfKind(ctx.sourceFile, SyntaxKind.Parameter)]) {
    const init = element.getInitializer();
    const name = element.getNameNode().getText();
    if (init && unwrap(init).getKind() === SyntaxKind.FalseKeyword && PROTECTION_OPTION.test(name)) report(element, name, undefined);
  }
}

function isDeprecated(declaration: import("ts-morph").PropertySignature): boolean {
  return declaration.getJsDocs().some((doc) => doc.getTags().some((tag) => tag.getTagName() === "deprecated"));
}
