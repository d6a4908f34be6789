import type { RuleMeta } from "../../src/engine/rule.js";
import { MENTIONS_PY } from "./python.js";

/** What the rule states about itself (see `RuleMeta`): apart from its checks, so that the Python side loads without the TypeScript compiler. */
export const meta: RuleMeta = {
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
    "A Streamable HTTP or SSE MCP transport with no Host/Origin validation and no authentication: a web page the user visits can rebind its own domain name to 127.0.0.1 and call the local server's tools from the browser. The MCP specification requires servers to validate the Origin header. An Origin check that compares the Origin with the request's own Host header, and transport code whose protection defaults to off, validate nothing either.",
  mentions: /StreamableHTTPServerTransport|SSEServerTransport|DnsRebinding/,
  mentionsPython: MENTIONS_PY,
};
