import { hasHttpAuth } from "../../src/engine/python/http.js";
import type { PythonRuleContext } from "../../src/engine/python/context.js";
import type { PyNode } from "../../src/engine/python/parser.js";
import { callArgs, constantString } from "../../src/engine/python/values.js";

/** Text pre-filter: the SDK's transport security settings. */
export const MENTIONS_PY = /dns_rebinding|allowed_hosts|allowed_origins|TransportSecuritySettings/;

/** The Python check of dns-rebinding: `TransportSecuritySettings(enable_dns_rebinding_protection=False)` or wildcard allowed hosts/origins, with no authentication. */
export function checkPython(ctx: PythonRuleContext): void {
  if (!ctx.mcp.isMcpServer || hasHttpAuth(ctx.module)) return;
  for (const call of ctx.module.nodesOf("call")) {
    const fn = ctx.module.qualifiedName(call.childForFieldName("function")!) ?? "";
    if (!/(?:^|\.)TransportSecuritySettings$/.test(fn)) continue;
    const args = callArgs(call);
    const enabled = args.keywords.get("enable_dns_rebinding_protection");
    if (enabled?.text === "False") report(ctx, call, "`enable_dns_rebinding_protection=False` turns off the SDK's Host and Origin checks");
    else for (const key of ["allowed_hosts", "allowed_origins"]) {
      const list = args.keywords.get(key);
      if (list && wildcard(ctx, list)) report(ctx, call, `\`${key}\` contains \`"*"\`, which accepts any ${key === "allowed_hosts" ? "Host header" : "Origin"}`);
    }
  }
}

function wildcard(ctx: PythonRuleContext, list: PyNode): boolean {
  return list.namedChildren.some((e) => !!e && /^\*(?::\*)?$/.test(constantString(e, ctx.module) ?? ""));
}

function report(ctx: PythonRuleContext, call: PyNode, what: string): void {
  ctx.report({
    node: call,
    message:
      `${what}, and this MCP server has no authentication. A web page the user visits can rebind its own domain name to 127.0.0.1 and call the local server's tools from the browser (DNS rebinding); the MCP specification requires servers to validate the Origin header.`,
    remediation: [
      "Keep DNS-rebinding protection on and list the hosts and origins the server really answers to:",
      "",
      "```python",
      "from mcp.server.transport_security import TransportSecuritySettings",
      "",
      "security = TransportSecuritySettings(",
      "    enable_dns_rebinding_protection=True,",
      '    allowed_hosts=["127.0.0.1:8000", "localhost:8000"],',
      '    allowed_origins=["http://127.0.0.1:8000", "http://localhost:8000"],',
      ")",
      "```",
      "",
      "and require a bearer token on the endpoint if it is reachable from anywhere but this machine.",
    ].join("\n"),
  });
}
