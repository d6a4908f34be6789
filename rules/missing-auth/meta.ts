import type { RuleMeta } from "../../src/engine/rule.js";
import { MENTIONS_PY } from "./python.js";

/** What the rule states about itself (see `RuleMeta`): apart from its checks, so that the Python side loads without the TypeScript compiler. */
export const meta: RuleMeta = {
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
    "An MCP endpoint served over HTTP/SSE to the network has no authentication: no auth middleware on the route or the app, and no check of an Authorization header or API key in the handler. Anyone who can reach the port can list and call the server's tools with the user's privileges. An auth guard that lets requests through when no secret is configured fails open the same way.",
  mentions: /\.listen\s*\(|\bserve\s*\(|canActivate|\bnext\s*\(\s*\)/,
  mentionsPython: MENTIONS_PY,
};
