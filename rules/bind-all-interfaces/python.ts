import type { PythonRuleContext } from "../../src/engine/python/context.js";
import { listenSites, type ListenSite } from "../../src/engine/python/listen.js";
import { abbreviatePy } from "../../src/engine/python/values.js";

const ALL_INTERFACES = new Set(["0.0.0.0", "::", "::0", "0:0:0:0:0:0:0:0", "[::]", "*", ""]);

/** Text pre-filter: a wildcard address, or a host taken from somewhere else. */
export const MENTIONS_PY = /0\.0\.0\.0|["']::["']|\bhost\b|\.bind\b/i;

/**
 * The Python check of bind-all-interfaces: `FastMCP(host=...)`, `mcp.run(transport="sse", host=...)`,
 * `uvicorn.run`/`uvicorn.Config(app, host=...)`, hypercorn's `bind`, `mcp.settings.host = ...`, whose host is
 * the wildcard address when nothing is configured: written so, a constant, an environment variable's fallback,
 * a command-line option's or a settings field's default, or what a helper returns.
 */
export function checkPython(ctx: PythonRuleContext): void {
  for (const site of listenSites(ctx.module, ctx.project, ctx.mcp.isMcpServer)) {
    if (!ALL_INTERFACES.has(site.value.value.trim())) continue;
    report(ctx, site);
  }
}

function describe(site: ListenSite): string {
  const { value, why } = site.value;
  const address = value === "" ? "an empty host, the wildcard address" : `${JSON.stringify(value)}, the wildcard address`;
  if (!why) return site.host.type === "identifier" ? `every interface: \`${site.host.text}\` is ${address}` : `every interface: ${address}`;
  return `every interface by default: \`${abbreviatePy(site.host, 40)}\` is ${address}, as ${why}`;
}

function report(ctx: PythonRuleContext, site: ListenSite): void {
  const { node, host } = site;
  const optIn = site.value.why !== "";
  // A `"host:port"` bind string keeps its port.
  const fixed = host.type === "string" && site.value.value !== "" && !optIn ? node.text.replace(host.text, host.text.replace(site.value.value, "127.0.0.1")) : node.text.replace(host.text, '"127.0.0.1"');
  // The wildcard literal itself, where this call writes it, becomes loopback.
  const literal = host.type === "string" && !optIn && site.value.value !== "" && host.text.includes(site.value.value) ? host : undefined;
  ctx.report({
    node,
    ...(literal ? { fix: { node: literal, replacement: literal.text.replace(site.value.value, "127.0.0.1") } } : {}),
    message:
      `\`${site.summary}\` makes this MCP server listen on ${describe(site)}. Anyone who can reach this machine over the network — the same Wi-Fi, office LAN or container network — can connect and call its tools with the user's privileges ("NeighborJack").`,
    remediation: [
      optIn
        ? `Make loopback the default: ${site.value.why} should be \`"127.0.0.1"\`, not ${JSON.stringify(site.value.value)}. Whoever runs the server can still opt in to another interface explicitly, knowing what it exposes.`
        : ["Listen on the loopback interface only:", "", "```python", fixed, "```"].join("\n"),
      "",
      "A local MCP server needs no other interface: clients on the same machine reach it at `http://127.0.0.1:<port>`. " +
        "If it must be reachable from other machines (a container, a shared host), do not expose it directly: put authentication (a bearer token or OAuth check on every request) and TLS in front of it, e.g. a reverse proxy, and bind to that specific interface rather than all of them.",
    ].join("\n"),
  });
}
