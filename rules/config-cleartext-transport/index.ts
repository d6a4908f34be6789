import { isLoopbackHost, MAX_VALUE_LENGTH, type StringValue } from "../../src/engine/config/index.js";
import type { Rule } from "../../src/engine/rule.js";

const CLEARTEXT = /\b(https?|wss?):\/\/([^/\s"'?#]+)/gi;

export const configCleartextTransport: Rule = {
  meta: {
    id: "config-cleartext-transport",
    title: "MCP server reached over cleartext HTTP",
    severity: "medium",
    cwe: "CWE-319",
    confidence: "high",
    languages: ["mcp-config"],
    references: [
      "https://cwe.mitre.org/data/definitions/319.html",
      "https://modelcontextprotocol.io/specification/2025-06-18/basic/authorization#communication-security",
    ],
    description:
      "An MCP client config that connects to a remote server over `http://` or `ws://` sends every tool call, every result and any token in the headers in cleartext: anyone on the path can read them, and can change the tool descriptions and results the model trusts.",
  },
  checkConfig(ctx) {
    for (const server of ctx.config.servers) {
      const candidates: StringValue[] = [...(server.url ? [server.url] : []), ...server.args].filter((v) => v.value.length <= MAX_VALUE_LENGTH);
      for (const value of candidates) {
        for (const m of value.value.matchAll(CLEARTEXT)) {
          const scheme = m[1]!.toLowerCase();
          if (scheme === "https" || scheme === "wss") continue;
          const host = m[2]!.replace(/^[^@]*@/, "").replace(/:\d+$/, "");
          if (isLoopbackHost(host)) continue;
          const secure = scheme === "ws" ? "wss" : "https";
          ctx.report({
            offset: value.offset,
            length: value.length,
            message: `Server \`${server.name}\` is reached at \`${scheme}://${m[2]}\` in cleartext: tool calls, results and credentials cross the network unencrypted, and anyone on the path can read or rewrite them.`,
            remediation: `Use \`${secure}://${m[2]}\`; if the server does not offer TLS, put it behind a TLS-terminating proxy or reach it through an SSH tunnel to a loopback port.`,
            severity: server.headers.length > 0 || /token|key|auth/i.test(value.value) ? "high" : undefined,
            fix: { offset: value.offset, length: value.length, replacement: JSON.stringify(value.value.replace(m[0], `${secure}://${m[2]}`)) },
          });
          break;
        }
      }
    }
  },
};
