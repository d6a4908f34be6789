import { Node, SyntaxKind, type IfStatement } from "ts-morph";
import type { Rule, RuleContext } from "../../src/engine/rule.js";
import { isFunctionLike } from "../../src/engine/taint.js";
import { listenExposure, mcpEndpoints, type McpEndpoint } from "../../src/engine/http.js";
import { abbreviate, constantString, declarationOf, descendantsOfKind, unwrap } from "../../src/engine/values.js";
import { checkPython } from "./python.js";
import { meta } from "./meta.js";

export const missingAuth: Rule = {
  meta,
  checkPython,
  check(ctx) {
    checkFailOpenGuards(ctx);
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

/** A function that decides whether a request goes on: its body, its class, and for a middleware the name of its `next`. */
interface Guard {
  fn: Node;
  owner: Node | undefined;
  next: string | undefined;
}

/** A credential the server is configured with (not one the request carries). */
const SECRET_NAME = /key|token|secret|passw|credential/i;
const CONFIG_SOURCE = /process\.env|\bconfig|Config|settings|options|getenv|\benv\b/;
const REQUEST_SOURCE = /\breq\b|request|headers|query|body|cookies/i;
/** What refuses a caller in a guard or middleware. */
const REFUSES = /\b(?:401|403)\b|Unauthori[sz]ed|Forbidden|return\s+false\b|throw\s/;

/** A configured secret read by a condition: `!apiKey` where `apiKey = process.env.MCP_API_KEY` or `this.config.get("MCP_API_KEY")`. */
function configuredSecret(node: Node): string | undefined {
  const n = unwrap(node);
  if (Node.isPropertyAccessExpression(n) || Node.isElementAccessExpression(n)) {
    const text = n.getText();
    return SECRET_NAME.test(text.split(/[.[]/).pop() ?? "") && CONFIG_SOURCE.test(text) && !REQUEST_SOURCE.test(text) ? text : undefined;
  }
  if (!Node.isIdentifier(n) || !SECRET_NAME.test(n.getText())) return undefined;
  const decl = declarationOf(n);
  const init = decl && Node.isVariableDeclaration(decl) ? decl.getInitializer()?.getText() ?? "" : "";
  return CONFIG_SOURCE.test(init) && !REQUEST_SOURCE.test(init) ? n.getText() : undefined;
}

/** The configured secrets whose absence makes the condition true: the `!x` terms of an `&&` chain (or the condition itself). */
function absentSecrets(cond: Node): string[] {
  const n = unwrap(cond);
  if (Node.isBinaryExpression(n) && n.getOperatorToken().getKind() === SyntaxKind.AmpersandAmpersandToken) return [...absentSecrets(n.getLeft()), ...absentSecrets(n.getRight())];
  if (Node.isPrefixUnaryExpression(n) && n.getOperatorToken() === SyntaxKind.ExclamationToken) {
    const secret = configuredSecret(n.getOperand());
    return secret ? [secret] : [];
  }
  return [];
}

/** The condition requires an explicit setting: `mode === "legacy"`, `ALLOW_ANONYMOUS === "true"`, `devMode === true`. */
function explicitOptIn(cond: Node): boolean {
  return descendantsOfKind(cond, SyntaxKind.BinaryExpression)
    .concat(Node.isBinaryExpression(cond) ? [cond] : [])
    .some((b) => /^===?$/.test(b.getOperatorToken().getText()) && [b.getLeft(), b.getRight()].some((side) => constantString(side) !== undefined || unwrap(side).getKind() === SyntaxKind.TrueKeyword));
}

/** The branch lets the request through: `return true` (a guard) or `next()` (a middleware). */
function letsThrough(branch: Node, next: string | undefined): boolean {
  const statements = Node.isBlock(branch) ? branch.getStatements() : [branch];
  return statements.some((s) => {
    if (Node.isReturnStatement(s)) {
      const value = s.getExpression();
      return !!value && (value.getKind() === SyntaxKind.TrueKeyword || (!!next && Node.isCallExpression(value) && value.getExpression().getText() === next));
    }
    return !!next && Node.isExpressionStatement(s) && Node.isCallExpression(s.getExpression()) && (s.getExpression() as import("ts-morph").CallExpression).getExpression().getText() === next;
  });
}

/**
 * An authentication guard that fails open: a NestJS `canActivate`, or a `(req, res, next)`
 * middleware, that refuses callers elsewhere but lets every request through when the server has
 * no credential configured (`if (!apiKey && !bearerToken) return true`), unless an explicit
 * setting asks for that (`mode === "none"`). Whoever deploys it without the secret — or with
 * another method (OAuth) meant to be enforced — serves the MCP endpoint to anyone.
 */
function checkFailOpenGuards(ctx: RuleContext): void {
  const guards: Guard[] = descendantsOfKind(ctx.sourceFile, SyntaxKind.MethodDeclaration)
    .filter((m) => m.getName() === "canActivate")
    .map((m) => ({ fn: m, owner: m.getParent(), next: undefined }));
  for (const fn of [...guards, ...middlewares(ctx)]) {
    const owner = fn.owner && (Node.isClassDeclaration(fn.owner) || Node.isClassExpression(fn.owner)) ? fn.owner.getName() : undefined;
    // About MCP: the file is an MCP server, or the guard or its file names MCP.
    if (!ctx.mcp.isMcpServer && !/mcp/i.test(`${owner ?? ""} ${ctx.path}`)) continue;
    const text = fn.fn.getText();
    if (!REFUSES.test(text)) continue;
    for (const branch of descendantsOfKind(fn.fn, SyntaxKind.IfStatement) as IfStatement[]) {
      if (branch.getFirstAncestor((a) => isFunctionLike(a)) !== fn.fn) continue;
      const cond = branch.getExpression();
      const secrets = absentSecrets(cond);
      if (secrets.length === 0 || explicitOptIn(cond) || !letsThrough(branch.getThenStatement(), fn.next)) continue;
      const guard = owner ? `\`${owner}.canActivate\`` : fn.next ? "This middleware" : "This guard";
      // `mode !== "oauth2"` carves out one setting and opens every other, stricter ones included.
      const excluded = descendantsOfKind(cond, SyntaxKind.BinaryExpression).find((b) => /^!==?$/.test(b.getOperatorToken().getText()) && constantString(b.getRight()) !== undefined);
      ctx.report({
        node: cond,
        severity: excluded ? "high" : "medium",
        message:
          `${guard} lets every request through when ${secrets.map((s) => `\`${s}\``).join(" and ")} ${secrets.length > 1 ? "are" : "is"} not configured (\`if (${abbreviate(cond, 80)})\`), although it refuses callers otherwise. ` +
          (excluded
            ? `Every setting but ${abbreviate(excluded.getRight())} falls open here, including ones that ask for another method (such as OAuth) this branch does not look at: the MCP tools are then served to anyone who can reach them.`
            : "Authentication then depends on a deployment remembering to set a secret: a server started without it serves its MCP tools to anyone who can reach it."),
        remediation: [
          "Fail closed. Let requests through without credentials only when the operator asked for it explicitly, and refuse otherwise:",
          "",
          "```ts",
          `if (${secrets.map((s) => `!${s}`).join(" && ")}) {`,
          `  if (process.env.MCP_AUTH_MODE === "none") return ${fn.next ? `${fn.next}()` : "true"}; // an explicit, documented choice`,
          `  ${fn.next ? `return res.status(401).json({ error: "authentication is not configured" });` : `throw new UnauthorizedException("authentication is not configured");`}`,
          `}`,
          "```",
          "",
          "Better still, refuse to start when no credential is configured and the server listens beyond loopback.",
        ].join("\n"),
      });
    }
  }
}

/** `(req, res, next) => {...}` and `function (req, res, next) {...}` middlewares of the file, with the name of their `next`. */
function middlewares(ctx: RuleContext): Guard[] {
  const out: Guard[] = [];
  for (const kind of [SyntaxKind.ArrowFunction, SyntaxKind.FunctionExpression, SyntaxKind.FunctionDeclaration] as const) {
    for (const fn of descendantsOfKind(ctx.sourceFile, kind)) {
      const params = fn.getParameters();
      if (params.length !== 3 || !/^next$/i.test(params[2]!.getName())) continue;
      out.push({ fn, owner: undefined, next: params[2]!.getName() });
    }
  }
  return out;
}
