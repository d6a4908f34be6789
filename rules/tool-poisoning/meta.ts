import type { RuleMeta } from "../../src/engine/rule.js";
import { MENTIONS_PY } from "./python.js";

/** What the rule states about itself (see `RuleMeta`): apart from its checks, so that the Python side loads without the TypeScript compiler. */
export const meta: RuleMeta = {
  id: "tool-poisoning",
  title: "Hidden instructions in a tool description",
  severity: "high",
  cwe: "CWE-1427",
  confidence: "medium",
  languages: ["typescript", "javascript", "python"],
  references: [
    "https://cwe.mitre.org/data/definitions/1427.html",
    "https://invariantlabs.ai/blog/mcp-security-notification-tool-poisoning-attacks",
    "https://modelcontextprotocol.io/specification/2025-06-18/server/tools#security-considerations",
    "https://owasp.org/www-project-top-10-for-large-language-model-applications/",
  ],
  description:
    "Tool descriptions are read by the model as trusted context, but users rarely see them in full. Instructions hidden there — <IMPORTANT> blocks, \"do not tell the user\", requests to read ~/.ssh or API keys, invisible Unicode — make the model act against the user.",
  mentions: /\.(?:tool|registerTool|describe|setRequestHandler)\s*\(|inputSchema|\.description\s*\+?=[^=]|\[\s*["'`]description["'`]\s*\]\s*\+?=[^=]/,
  mentionsPython: MENTIONS_PY,
};
