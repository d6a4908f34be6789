import type { PythonRuleContext } from "../../src/engine/python/context.js";
import { poisoningMessage, poisoningReasons, POISONING_REMEDIATION } from "./index.js";

/** Text pre-filter: FastMCP and low-level servers both import from `mcp` or `fastmcp`. */
export const MENTIONS_PY = /\b(?:mcp|fastmcp)\b/;

/** The Python check of tool-poisoning: docstrings and `description=` of tools, prompts and resources, `Field(description=...)`, `types.Tool(...)`. */
export function checkPython(ctx: PythonRuleContext): void {
  for (const { node, text, toolName } of ctx.mcp.descriptions) {
    const reasons = poisoningReasons(text);
    if (reasons.length > 0) ctx.report({ node, message: poisoningMessage(toolName, reasons), remediation: POISONING_REMEDIATION });
  }
}
