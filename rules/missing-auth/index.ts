import type { Rule } from "../../src/engine/rule.js";
import { listenExposure, mcpEndpoints, type McpEndpoint } from "../../src/engine/http.js";
import { abbreviate } from "../../src/engine/values.js";
import { checkPython, MENTIONS_PY } from "./python.js";

export const missingAuth: Rule = {
  meta: {
    id: "missing-auth",
    title: "MCP HTTP endpoint without authentication",
    severity: "high",
    cwe: "CWE-306",
    confidence: "medium",
    languages: ["typescript", "javascript", "python"],
    references: [
      "https://cwe.mitre.org/data/definitions/306.html",
      "https://modelcontextprotocol.io/specification/2025-06-18/basic/authorization",
      "https://modelcontextprotocol.io/specification/2025-06-18/basic/security_best_practices",
    ],
    description:
      "An MCP endpoint served over HTTP/SSE to the network has no authentication: no auth middleware on the route or the app, and no check of an Authorization header or API key in the handler. Anyone who can reach the port can list and call the server's tools with the user's privileges.",
    mentions: /\.listen\s*\(|\bserve\s*\(/,
    mentionsPython: MENTIONS_PY,
  },
  checkPython,
  check(ctx) {
    if (!ctx.mcp.isMcpServer) return;
    const { exposure, listen } = listenExposure(ctx.sourceFile, ctx.workspace);
    if (exposure !== "network") return;
    // One finding per file: the routes of one server share the cause and the fix.
    const open = mcpEndpoints(ctx.sourceFile).filter((e) => !e.authenticated);
    const endpoint = open[0];
    if (!endpoint) return;
    const receiver = endpoint.registration.getExpression().getText().replace(/\.\w+$/, "");
    const describe = (e: McpEndpoint) => (e.method === "createServer" ? "this HTTP server's MCP handler" : `\`${e.registration.getExpression().getText().replace(/\s+/g, "")}(${JSON.stringify(e.route)}, …)\``);
    const routes = open.map(describe);
    const rewrites = open
      .filter((e) => e.method !== "createServer")
      .map((e) => {
        const args = e.registration.getArguments();
        return `${e.registration.getExpression().getText().replace(/\s+/g, "")}(${JSON.stringify(e.route)}, auth, ${abbreviate(args[args.length - 1]!)});`;
      });
    ctx.report({
      node: endpoint.registration,
      message:
        `${routes.length === 1 ? routes[0]!.replace(/^t/, "T") : `${routes.length} MCP routes (${routes.join(", ")})`} serve${routes.length === 1 ? "s" : ""} the MCP protocol with no authentication, and the server listens beyond loopback (\`${abbreviate(listen!, 50)}\`). ` +
        "Anyone who can reach this port — the same network, a container neighbour, the internet behind a port forward — can list and call its tools with the user's privileges.",
      remediation: [
        rewrites.length === 0 ? "Check a bearer token before handing the request to the transport, and answer 401 otherwise:" : "Require a bearer token on the MCP routes. With the SDK's OAuth support:",
        "",
        "```ts",
        ...(rewrites.length === 0
          ? [
              `const expected = Buffer.from(\`Bearer \${process.env.MCP_AUTH_TOKEN}\`);`,
              `const given = Buffer.from(req.headers.authorization ?? "");`,
              `if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) { res.writeHead(401).end(); return; }`,
            ]
          : [
              `import { requireBearerAuth } from "@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js";`,
              `const auth = requireBearerAuth({ verifier: tokenVerifier, resourceMetadataUrl });`,
              ...rewrites,
            ]),
        "```",
        "",
        `For a server meant only for this machine, listen on \`127.0.0.1\` instead (\`${receiver}.listen(port, "127.0.0.1")\`) or use the stdio transport; a shared secret token checked with \`crypto.timingSafeEqual\` is the minimum for anything else.`,
      ].join("\n"),
    });
  },
};
