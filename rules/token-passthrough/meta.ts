import type { RuleMeta } from "../../src/engine/rule.js";
import { MENTIONS_PY } from "./python.js";

/** What the rule states about itself (see `RuleMeta`): apart from its checks, so that the Python side loads without the TypeScript compiler. */
export const meta: RuleMeta = {
  id: "token-passthrough",
  title: "The client's token is passed through to another service",
  severity: "high",
  cwe: "CWE-441",
  confidence: "medium",
  languages: ["typescript", "javascript", "python"],
  references: [
    "https://cwe.mitre.org/data/definitions/441.html",
    "https://modelcontextprotocol.io/specification/2025-06-18/basic/security_best_practices#token-passthrough",
    "https://modelcontextprotocol.io/specification/2025-06-18/basic/authorization#access-token-privilege-restriction",
    "https://datatracker.ietf.org/doc/html/rfc8693",
  ],
  description:
    "An MCP server forwards the Authorization token its client sent (or the whole incoming header set) to an upstream API. The MCP specification forbids this: the token was issued for the MCP server, the upstream cannot tell who is really calling, audit trails and rate limits break, and a stolen token opens every service that accepts it.",
  mentions: /authorization|authInfo|headers/i,
  mentionsPython: MENTIONS_PY,
};
