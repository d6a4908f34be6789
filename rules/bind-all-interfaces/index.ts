import { Node, SyntaxKind, type CallExpression } from "ts-morph";
import type { Rule } from "../../src/engine/rule.js";
import { abbreviate, constantString, declarationOf, propertyName, propertyValue, unwrap, descendantsOfKind } from "../../src/engine/values.js";
import { checkPython, MENTIONS_PY } from "./python.js";

const ALL_INTERFACES = new Set(["0.0.0.0", "::", "::0", "0:0:0:0:0:0:0:0", "[::]", "*"]);

/** Where the host of a listen() call comes from and whether it means every interface. */
interface HostVerdict {
  all: boolean;
  /** Human description, e.g. "no host (Node listens on all interfaces)". */
  why: string;
  /** A declaration to rewrite instead of the call (`const HOST = "0.0.0.0"`). */
  declaration?: { text: string; fixed: string };
}

export const bindAllInterfaces: Rule = {
  meta: {
    id: "bind-all-interfaces",
    title: "MCP server listens on all network interfaces",
    severity: "high",
    cwe: "CWE-1327",
    confidence: "medium",
    languages: ["typescript", "javascript", "python"],
    references: [
      "https://cwe.mitre.org/data/definitions/1327.html",
      "https://nodejs.org/api/net.html#serverlistenport-host-backlog-callback",
      "https://modelcontextprotocol.io/specification/2025-06-18/basic/transports#security-warning",
      "https://www.backslash.security/blog/hundreds-of-mcp-servers-vulnerable-to-abuse",
    ],
    description:
      "An MCP server over HTTP/SSE that listens on 0.0.0.0, ::, or on no explicit host (Node's default is every interface) can be reached by anyone on the same network — café Wi-Fi, an office LAN, other containers — who can then call its tools (\"NeighborJack\").",
    mentions: /\.listen\s*\(/,
    mentionsPython: MENTIONS_PY,
  },
  checkPython,
  check(ctx) {
    if (!ctx.mcp.isMcpServer) return;
    for (const call of descendantsOfKind(ctx.sourceFile, SyntaxKind.CallExpression)) {
      const callee = call.getExpression();
      if (!Node.isPropertyAccessExpression(callee) || callee.getName() !== "listen") continue;
      const verdict = judge(call);
      if (!verdict?.all) continue;
      const fixed = fixedCall(call);
      const remediation = [
        "Listen on the loopback interface only:",
        "",
        "```ts",
        ...(verdict.declaration ? [verdict.declaration.fixed] : [fixed]),
        "```",
        "",
        "A local MCP server needs no other interface: clients on the same machine reach it at `http://127.0.0.1:<port>`. " +
          "If it must be reachable from other machines, do not expose it directly: put authentication (a bearer token or OAuth check on every request) and TLS in front of it, e.g. a reverse proxy, and bind to that specific interface rather than all of them.",
      ].join("\n");
      ctx.report({
        node: call,
        message:
          `\`${summary(call)}\` makes this MCP server listen on ${verdict.why}. Anyone who can reach this machine over the network — the same Wi-Fi, office LAN or container network — can connect and call its tools with the user's privileges ("NeighborJack").`,
        remediation,
      });
    }
  },
};

function isFunction(node: Node): boolean {
  const n = unwrap(node);
  return Node.isArrowFunction(n) || Node.isFunctionExpression(n);
}

/** Undefined when the call is not a network listen (a socket path, an event name) or the host is unknown. */
function judge(call: CallExpression): HostVerdict | undefined {
  const args = call.getArguments();
  const first = args[0];
  if (!first || isFunction(first)) return { all: true, why: "every interface: no host is given, and Node's default is all interfaces" };
  const firstValue = unwrap(first);
  if (Node.isObjectLiteralExpression(firstValue)) {
    const names = firstValue.getProperties().map(propertyName);
    if (names.includes("path") || !(names.includes("port") || names.length === 0)) return undefined;
    const host = propertyValue(firstValue, "host");
    return host ? hostVerdict(host) : { all: true, why: "every interface: the options have no `host`, and Node's default is all interfaces" };
  }
  const literal = constantString(first);
  if (literal !== undefined && !/^\d+$/.test(literal)) return undefined; // a pipe or socket path
  const second = args[1];
  if (!second || isFunction(second)) return { all: true, why: "every interface: no host is given, and Node's default is all interfaces" };
  return hostVerdict(second);
}

function hostVerdict(expr: Node, depth = 0): HostVerdict | undefined {
  if (depth > 4) return undefined;
  const node = unwrap(expr);
  const literal = constantString(node);
  if (literal !== undefined && Node.isStringLiteral(node)) return classify(literal);
  if (Node.isBinaryExpression(node)) {
    const op = node.getOperatorToken().getKind();
    if (op === SyntaxKind.QuestionQuestionToken || op === SyntaxKind.BarBarToken) {
      const fallback = hostVerdict(node.getRight(), depth + 1);
      if (fallback?.all) return { ...fallback, why: `${fallback.why} whenever \`${node.getLeft().getText()}\` is unset` };
      return fallback;
    }
  }
  if (Node.isIdentifier(node)) {
    if (node.getText() === "undefined") return { all: true, why: "every interface: the host is `undefined`, and Node's default is all interfaces" };
    const decl = declarationOf(node);
    if (decl && Node.isVariableDeclaration(decl) && decl.getInitializer()) {
      const inner = hostVerdict(decl.getInitializer()!, depth + 1);
      if (inner?.all) {
        const statement = decl.getVariableStatement();
        const text = (statement ?? decl).getText();
        const fixed = text.replace(/(["'`])(0\.0\.0\.0|::0?|0:0:0:0:0:0:0:0|\[::\]|\*)\1/, '"127.0.0.1"');
        return { ...inner, why: `${inner.why} (\`${node.getText()}\` is set on line ${decl.getStartLineNumber()})`, declaration: fixed !== text ? { text, fixed } : undefined };
      }
      return inner;
    }
  }
  if (literal !== undefined) return classify(literal);
  return undefined;
}

function classify(host: string): HostVerdict {
  return ALL_INTERFACES.has(host.trim())
    ? { all: true, why: `every interface: \`${JSON.stringify(host)}\` is the wildcard address` }
    : { all: false, why: host };
}

/** The same call, listening on 127.0.0.1. */
function fixedCall(call: CallExpression): string {
  const callee = call.getExpression().getText().replace(/\s+/g, "");
  const args = call.getArguments();
  const first = args[0];
  const loopback = '"127.0.0.1"';
  if (!first || isFunction(first)) return `${callee}(0, ${loopback}${first ? `, ${abbreviate(first)}` : ""})`;
  const firstValue = unwrap(first);
  if (Node.isObjectLiteralExpression(firstValue)) {
    const props = firstValue.getProperties().map((p) => (propertyName(p) === "host" ? `host: ${loopback}` : p.getText()));
    if (!props.some((p) => p.startsWith("host:"))) props.push(`host: ${loopback}`);
    return `${callee}({ ${props.join(", ")} }${args.slice(1).map((a) => `, ${abbreviate(a)}`).join("")})`;
  }
  const second = args[1];
  const rest = second && !isFunction(second) ? args.slice(2) : args.slice(1);
  return `${callee}(${abbreviate(first)}, ${loopback}${rest.map((a) => `, ${abbreviate(a)}`).join("")})`;
}

function summary(call: CallExpression): string {
  return `${call.getExpression().getText().replace(/\s+/g, "")}(${call.getArguments().map((a) => abbreviate(a)).join(", ")})`;
}
