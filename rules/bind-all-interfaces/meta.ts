import type { RuleMeta } from "../../src/engine/rule.js";
import { MENTIONS_PY } from "./python.js";

/** What the rule states about itself (see `RuleMeta`): apart from its checks, so that the Python side loads without the TypeScript compiler. */
export const meta: RuleMeta = {
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
  mentions: /\.listen\s*\(|\bserve\s*\(/,
  mentionsPython: MENTIONS_PY,
};
