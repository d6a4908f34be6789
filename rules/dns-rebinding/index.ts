import { Node, SyntaxKind } from "ts-morph";
import { mcpEndpoints } from "../../src/engine/http.js";
import type { Rule } from "../../src/engine/rule.js";
import { constantString, descendantsOfKind, propertyValue, unwrap } from "../../src/engine/values.js";
import { checkPython, MENTIONS_PY } from "./python.js";

const TRANSPORTS = /^(?:\w+\.)?(?:StreamableHTTPServerTransport|SSEServerTransport|WebStandardStreamableHTTPServerTransport)$/;
/** Host or Origin validation somewhere in the file: the SDK's middleware, its express app factory, or a hand-written check. */
const VALIDATION = /\b(?:hostHeaderValidation|localhostHostValidation|createMcpExpressApp)\b|headers\s*(?:\.\s*(?:host|origin)\b|\[\s*["'](?:host|origin)["']\s*\])|\.get\(\s*["'](?:host|origin)["']\s*\)|\.header\(\s*["'](?:host|origin)["']\s*\)/i;

export const dnsRebinding: Rule = {
  meta: {
    id: "dns-rebinding",
    title: "MCP HTTP transport without DNS-rebinding protection",
    severity: "high",
    cwe: "CWE-346",
    confidence: "medium",
    languages: ["typescript", "javascript", "python"],
    references: [
      "https://cwe.mitre.org/data/definitions/346.html",
      "https://modelcontextprotocol.io/specification/2025-06-18/basic/transports#security-warning",
      "https://github.com/modelcontextprotocol/typescript-sdk/security/advisories/GHSA-w48q-cv73-mx4w",
    ],
    description:
      "A Streamable HTTP or SSE MCP transport with no Host/Origin validation and no authentication: a web page the user visits can rebind its own domain name to 127.0.0.1 and call the local server's tools from the browser. The MCP specification requires servers to validate the Origin header.",
    mentions: /StreamableHTTPServerTransport|SSEServerTransport/,
    mentionsPython: MENTIONS_PY,
  },
  checkPython,
  check(ctx) {
    if (!ctx.mcp.isMcpServer) return;
    const text = ctx.sourceFile.getFullText();
    if (VALIDATION.test(text)) return;
    // Only a file that serves HTTP: a library that wraps a transport has no endpoint of its own.
    const endpoints = mcpEndpoints(ctx.sourceFile);
    if (endpoints.length === 0 || endpoints.every((e) => e.authenticated)) return;
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
