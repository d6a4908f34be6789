import { Node, SyntaxKind, type Node as TsNode } from "ts-morph";
import { moduleRefOf } from "../../src/engine/imports.js";
import { mcpEndpoints } from "../../src/engine/http.js";
import { functionOf } from "../../src/engine/mcp.js";
import { headerChecks, headersOfValue, type HeaderChecks } from "../../src/engine/origin.js";
import type { Rule, RuleContext } from "../../src/engine/rule.js";
import { abbreviate, constantString, descendantsOfKind, propertyName, propertyValue, unwrap } from "../../src/engine/values.js";

const CORS_MODULES = new Set(["cors", "hono/cors", "@fastify/cors", "@koa/cors"]);
const HEADER_METHODS = new Set(["setHeader", "header", "set", "append"]);
const ALLOW_ORIGIN = /^access-control-allow-origin$/i;

export const wildcardCors: Rule = {
  meta: {
    id: "wildcard-cors",
    title: "Any web site may call this MCP endpoint (wildcard CORS)",
    severity: "high",
    cwe: "CWE-346",
    confidence: "medium",
    languages: ["typescript", "javascript"],
    references: [
      "https://cwe.mitre.org/data/definitions/346.html",
      "https://developer.mozilla.org/en-US/docs/Web/HTTP/CORS",
      "https://nvd.nist.gov/vuln/detail/CVE-2025-49596",
      "https://modelcontextprotocol.io/specification/2025-06-18/basic/transports#security-warning",
    ],
    description:
      "An MCP server without authentication answers `Access-Control-Allow-Origin: *` (`cors()`, `cors({ origin: \"*\" })`, `origin: true`, or the header set by hand). Every web page the user opens may then call the server's tools from the browser and read the results — the flaw behind CVE-2025-49596 in MCP Inspector.",
    mentions: /cors|Access-Control-Allow-Origin/i,
  },
  check(ctx) {
    if (!ctx.mcp.isMcpServer) return;
    const endpoints = mcpEndpoints(ctx.sourceFile);
    if (endpoints.length === 0 || endpoints.every((e) => e.authenticated)) return;
    let checks: HeaderChecks | undefined;
    // An Origin the server compared with an allowlist may be echoed back; one it never checked may not.
    const originChecked = () => (checks ??= headerChecks(ctx.sourceFile, ctx.workspace)).validated.has("origin");
    const judgeOrigin = (value: TsNode) => judge(value, originChecked);
    for (const call of descendantsOfKind(ctx.sourceFile, SyntaxKind.CallExpression)) {
      const callee = call.getExpression();
      const ref = moduleRefOf(callee);
      if (ref && CORS_MODULES.has(ref.module) && (ref.name === "*" || ref.name === "default" || ref.name === "cors")) {
        const options = call.getArguments()[0];
        const origin = options ? propertyValue(options, "origin") : undefined;
        if (options && !Node.isObjectLiteralExpression(unwrap(options))) continue;
        const verdict = !options || !origin ? "allows every origin by default" : judgeOrigin(origin);
        if (!verdict) continue;
        report(ctx, call, `\`${abbreviate(call, 60)}\` ${verdict}`, fixedCors(call.getExpression().getText(), options));
        continue;
      }
      if (Node.isPropertyAccessExpression(callee) && HEADER_METHODS.has(callee.getName())) {
        const [name, value] = call.getArguments();
        if (!name || !value || !ALLOW_ORIGIN.test(constantString(name) ?? "")) continue;
        const verdict = judgeOrigin(value);
        if (!verdict) continue;
        report(ctx, call, `\`${abbreviate(call, 60)}\` ${verdict}`, `Answer with one fixed, trusted origin instead of \`${value.getText()}\`: \`${callee.getText()}("Access-Control-Allow-Origin", "http://localhost:6274")\` — or send no CORS headers at all if no browser client needs this server.`);
      }
    }
    for (const prop of descendantsOfKind(ctx.sourceFile, SyntaxKind.PropertyAssignment)) {
      if (!ALLOW_ORIGIN.test(propertyName(prop) ?? "")) continue;
      const verdict = judgeOrigin(prop.getInitializerOrThrow());
      if (verdict) report(ctx, prop, `\`${abbreviate(prop, 60)}\` ${verdict}`, `Answer with one fixed, trusted origin instead: \`"Access-Control-Allow-Origin": "http://localhost:6274"\` — or drop the header if no browser client needs this server.`);
    }
  },
};

function judge(value: TsNode, originChecked: () => boolean): string | undefined {
  const node = unwrap(value);
  const literal = constantString(node);
  if (literal === "*") return "allows every origin (`*`)";
  if (node.getKind() === SyntaxKind.TrueKeyword) return "reflects whatever origin the request names (`origin: true`), which allows every origin";
  if (/\bheaders\s*(?:\.\s*origin|\[\s*["']origin["']\s*\])|\.get\(\s*["']origin["']\s*\)|\.header\(\s*["']origin["']\s*\)/i.test(node.getText()) && !originChecked()) return "echoes the request's Origin header back, which allows every origin";
  if (headersOfValue(node).has("origin") && !originChecked()) return `echoes the request's Origin header back (\`${abbreviate(node, 30)}\` holds it, and nothing compares it with an allowlist), which allows every origin`;
  if (allowsEveryOrigin(node)) return "accepts every origin in its `origin` callback, which reflects it back";
  return undefined;
}

/** `origin: (origin, callback) => callback(null, true)`: a callback that never refuses. */
function allowsEveryOrigin(node: TsNode): boolean {
  const fn = Node.isIdentifier(node) ? functionOf(node) : Node.isArrowFunction(node) || Node.isFunctionExpression(node) ? node : undefined;
  if (!fn) return false;
  const params = fn.getParameters();
  const callback = params[1]?.getName();
  if (!callback) return false;
  const body = fn.getBody();
  if (!body || descendantsOfKind(body, SyntaxKind.IfStatement).length > 0 || descendantsOfKind(body, SyntaxKind.ConditionalExpression).length > 0 || descendantsOfKind(body, SyntaxKind.BinaryExpression).some((b) => /^(?:&&|\|\|)$/.test(b.getOperatorToken().getText()))) return false;
  const calls = [...(Node.isCallExpression(body) ? [body] : []), ...descendantsOfKind(body, SyntaxKind.CallExpression)].filter((c) => c.getExpression().getText() === callback);
  const origin = params[0]?.getName();
  return calls.length > 0 && calls.every((c) => {
    const allowed = c.getArguments()[1];
    return !!allowed && (allowed.getKind() === SyntaxKind.TrueKeyword || unwrap(allowed).getText() === origin);
  });
}

function fixedCors(fn: string, options: TsNode | undefined): string {
  const kept = options && Node.isObjectLiteralExpression(unwrap(options))
    ? (unwrap(options) as import("ts-morph").ObjectLiteralExpression).getProperties().filter((p) => propertyName(p) !== "origin").map((p) => p.getText().replace(/\s+/g, " "))
    : [];
  return [
    "Allow only the origins of the browser clients you trust, or no cross-origin access at all:",
    "",
    "```ts",
    `${fn}({ ${["origin: [\"http://localhost:6274\"]", ...kept].join(", ")} })`,
    "```",
    "",
    "Also require authentication on the MCP endpoint: a bearer token the attacker's page does not have makes CORS irrelevant.",
  ].join("\n");
}

function report(ctx: RuleContext, node: TsNode, what: string, remediation: string): void {
  ctx.report({
    node,
    message:
      `${what} on an MCP server whose endpoint has no authentication. Any web page the user opens can send MCP requests to it from the browser and read the answers — list and call its tools, read its resources (CVE-2025-49596 in MCP Inspector was this).`,
    remediation,
  });
}
