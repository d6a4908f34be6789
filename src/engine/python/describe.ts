import type { PyToolHandler } from "./mcp.js";

/**
 * How a message names where input came from: "Tool `run`: tool input", "Prompt `review`:
 * prompt input", or "HTTP request data" for an endpoint of the MCP HTTP app.
 */
export function inputLabel(handlers: readonly PyToolHandler[]): string {
  const named = handlers.filter((h) => h.toolName && h.kind !== "route");
  if (named.length > 0) {
    const kind = named[0]!.kind === "prompt" ? "Prompt" : named[0]!.kind === "resource" ? "Resource" : "Tool";
    const what = kind === "Prompt" ? "prompt input" : kind === "Resource" ? "resource URI input" : "tool input";
    return `${kind} ${named.map((h) => `\`${h.toolName}\``).join(", ")}: ${what}`;
  }
  if (handlers.length > 0 && handlers.every((h) => h.kind === "route")) return "HTTP request data";
  return "Tool input";
}
