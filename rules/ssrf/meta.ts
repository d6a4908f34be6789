import type { RuleMeta } from "../../src/engine/rule.js";
import { MENTIONS_PY } from "./python.js";

/** What the rule states about itself (see `RuleMeta`): apart from its checks, so that the Python side loads without the TypeScript compiler. */
export const meta: RuleMeta = {
  id: "ssrf",
  title: "Tool input chooses the URL of a server-side request",
  severity: "high",
  cwe: "CWE-918",
  confidence: "high",
  languages: ["typescript", "javascript", "python"],
  references: [
    "https://cwe.mitre.org/data/definitions/918.html",
    "https://owasp.org/www-community/attacks/Server_Side_Request_Forgery",
    "https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html",
    "https://modelcontextprotocol.io/specification/2025-06-18/basic/security_best_practices",
  ],
  description:
    "An MCP handler sends a request to a URL that tool input chooses (fetch, axios, got, http.request; requests, httpx, urllib, aiohttp) with no host allowlist. The server then reaches what the caller cannot: cloud metadata endpoints (169.254.169.254), localhost admin ports, the internal network, and returns the answer to the model.",
  mentions: /\bfetch\b|axios|\bgot\b|undici|\bky\b|superagent|needle|https?\.(?:get|request)|\brequest\(/,
  mentionsPython: MENTIONS_PY,
};
