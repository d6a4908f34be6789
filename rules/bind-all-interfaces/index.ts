import { Node, type CallExpression } from "ts-morph";
import { isMcpClientOnly } from "../../src/engine/http.js";
import { judgeListen, listenSites, type HostOutcome, type ListenSite } from "../../src/engine/listen.js";
import { whereIs } from "../../src/engine/cross-file.js";
import type { Rule, RuleContext } from "../../src/engine/rule.js";
import { abbreviate, elided, propertyName, unwrap, withoutComments } from "../../src/engine/values.js";
import { checkPython } from "./python.js";
import { meta } from "./meta.js";

export const bindAllInterfaces: Rule = {
  meta,
  checkPython,
  check(ctx) {
    if (!ctx.mcp.isMcpServer || isMcpClientOnly(ctx.sourceFile)) return;
    for (const site of listenSites(ctx.sourceFile)) {
      const verdict = judgeListen(site, ctx.workspace);
      if (verdict.exposure !== "all") continue;
      const outcome = verdict.outcome!;
      const { call } = site;
      const source = outcome.at && outcome.kind === "wildcard" ? writtenAt(outcome.at, call, ctx) : undefined;
      const remediation = [
        source ? `Listen on the loopback interface only: change the default written ${source.where}:` : "Listen on the loopback interface only:",
        "",
        "```ts",
        source ? source.fixed : fixedCall(site, outcome),
        "```",
        "",
        "A local MCP server needs no other interface: clients on the same machine reach it at `http://127.0.0.1:<port>`. " +
          "If it must be reachable from other machines, do not expose it directly: put authentication (a bearer token or OAuth check on every request) and TLS in front of it, e.g. a reverse proxy, and bind to that specific interface rather than all of them.",
      ].join("\n");
      ctx.report({
        node: call,
        message:
          `\`${summary(call)}\` makes this MCP server listen on ${why(site, outcome)}. Anyone who can reach this machine over the network — the same Wi-Fi, office LAN or container network — can connect and call its tools with the user's privileges ("NeighborJack").`,
        remediation,
        ...fixOf(site, outcome, ctx),
      });
    }
  },
};

function isFunction(node: Node): boolean {
  const n = unwrap(node);
  return Node.isArrowFunction(n) || Node.isFunctionExpression(n);
}

/** Why the host means every interface, in the words of the code. */
function why(site: ListenSite, outcome: HostOutcome): string {
  const hostWord = site.framework === "Node" || site.framework === "Fastify" ? "host" : "hostname";
  const frameworkDefault =
    site.framework === "Node" ? "Node's default is all interfaces" : site.framework === "Hono's node server" ? "Hono's node server, like Node, then listens on all interfaces" : `${site.framework} then listens on 0.0.0.0`;
  const when = outcome.when.length > 0 ? ` whenever ${[...new Set(outcome.when)].join(" and ")}` : "";
  const via = outcome.via.length > 0 ? ` (the ${hostWord} comes from ${outcome.via.join(" ← ")})` : "";
  if (!site.host) return `every interface: no ${hostWord} is given, and ${frameworkDefault}`;
  if (outcome.kind === "wildcard") return `every interface${when}: ${JSON.stringify(outcome.value)} is the wildcard address${via}`;
  return `every interface${when}: no ${hostWord} reaches the call${when ? " then" : ""}, and ${frameworkDefault}${via}`;
}

/** The line that writes the wildcard default elsewhere than in the call, rewritten to loopback, and where it is. */
function writtenAt(literal: Node, call: CallExpression, ctx: RuleContext): { where: string; fixed: string } | undefined {
  if (literal.getSourceFile() === call.getSourceFile() && literal.getPos() >= call.getPos() && literal.getEnd() <= call.getEnd()) return undefined;
  const line = literal.getSourceFile().getFullText().split("\n")[literal.getStartLineNumber() - 1]?.trim() ?? "";
  const fixed = line.replace(/(["'`])(0\.0\.0\.0|::0?|0:0:0:0:0:0:0:0|\[::\]|\*)\1/, '"127.0.0.1"');
  if (fixed === line || line.length > 200) return undefined;
  return { where: `on ${whereIs(literal, ctx.sourceFile, ctx.workspace)}`, fixed };
}

/**
 * The rewrite a suggestion offers: the wildcard literal turned into "127.0.0.1" where this file
 * writes it (in the call or in the line that sets the default), or the call with a loopback host
 * when none reaches it. Nothing when the default is written in another file.
 */
function fixOf(site: ListenSite, outcome: HostOutcome, ctx: RuleContext): { fix?: { node: Node; replacement: string } } {
  if (outcome.kind === "wildcard") {
    const at = outcome.at;
    if (!at || at.getSourceFile() !== ctx.sourceFile || !/^(["'`])(?:0\.0\.0\.0|::0?|0:0:0:0:0:0:0:0|\[::\]|\*)\1$/.test(at.getText())) return {};
    const quote = at.getText()[0]!;
    return { fix: { node: at, replacement: `${quote}127.0.0.1${quote}` } };
  }
  // The call rebuilt from its arguments: only where that loses no comment.
  return withoutComments(site.call) ? { fix: { node: site.call, replacement: fixedCall(site, outcome, (n) => n.getText()) } } : {};
}

/** The same call, listening on 127.0.0.1; `shown` writes the other arguments (shortened for prose, whole for a fix). */
function fixedCall(site: ListenSite, outcome: HostOutcome, shown: (n: Node) => string = (n) => elided(n)): string {
  const { call } = site;
  const callee = call.getExpression().getText();
  const args = call.getArguments();
  const first = args[0];
  const loopback = '"127.0.0.1"';
  if (site.host && outcome.kind === "unset" && Node.isExpression(site.host) && !/^(?:undefined|null)$/.test(site.host.getText())) {
    const host = site.host.getText();
    return `${callee}(${args.map((a) => (a === site.host ? `${host} ?? ${loopback}` : shown(a))).join(", ")})`;
  }
  const hostKey = site.framework === "Node" || site.framework === "Fastify" ? "host" : "hostname";
  const options = args.map((a) => unwrap(a)).find((a) => Node.isObjectLiteralExpression(a)) as import("ts-morph").ObjectLiteralExpression | undefined;
  if (options && (hostKey === "hostname" || options === unwrap(first!))) {
    const props = options.getProperties().map((p) => (propertyName(p) === hostKey ? `${hostKey}: ${loopback}` : p.getText()));
    if (!props.some((p) => p.startsWith(`${hostKey}:`))) props.push(`${hostKey}: ${loopback}`);
    const rest = args.filter((a) => unwrap(a) !== options).map((a) => `, ${shown(a)}`).join("");
    return `${callee}({ ${props.join(", ")} }${rest})`;
  }
  if (hostKey === "hostname") return `${callee}({ ${args.length > 0 ? `${shown(args[0]!)}, ` : ""}hostname: ${loopback} })`;
  if (!first || isFunction(first)) return `${callee}(0, ${loopback}${first ? `, ${shown(first)}` : ""})`;
  const second = args[1];
  const rest = second && !isFunction(second) ? args.slice(2) : args.slice(1);
  return `${callee}(${shown(first)}, ${loopback}${rest.map((a) => `, ${shown(a)}`).join("")})`;
}

function summary(call: CallExpression): string {
  return `${call.getExpression().getText().replace(/\s+/g, "")}(${call.getArguments().map((a) => abbreviate(a)).join(", ")})`;
}
