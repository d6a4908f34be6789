import type { RuleMeta } from "../../src/engine/rule.js";

/** What the rule states about itself (see `RuleMeta`): apart from its checks, so that the Python side loads without the TypeScript compiler. */
export const meta: RuleMeta = {
  id: "tool-definition-change",
  title: "MCP tool definition changed",
  severity: "medium",
  cwe: "CWE-1427",
  confidence: "medium",
  languages: ["typescript", "javascript", "python"],
  references: [
    "https://cwe.mitre.org/data/definitions/1427.html",
    "https://invariantlabs.ai/blog/mcp-security-notification-tool-poisoning-attacks",
    "https://modelcontextprotocol.io/specification/2025-06-18/server/tools#security-considerations",
  ],
  description:
    "A tool's name, description and input schema are what users and clients approve and what the model reads as instructions. A change to them after people trusted the tool (a \"rug pull\") changes what the model does without anyone approving it again, so each change deserves a reviewer's eyes — above all when the new text adds instructions, hidden characters or references to other tools.",
  mentions: /\b(?:tool|registerTool|inputSchema)\b/,
};
