import type { PyToolHandler } from "./mcp.js";

/**
 * Where input came from, worded as the TypeScript rules word it (`describeSources`):
 * "Tool `run` input", "Resource template `file` input", "Prompt `review` input",
 * "HTTP request data", joined with "and".
 */
export function inputLabel(handlers: readonly PyToolHandler[]): string {
  const names = (kinds: readonly PyToolHandler["kind"][]) =>
    [...new Set(handlers.filter((h) => kinds.includes(h.kind) && h.toolName).map((h) => `\`${h.toolName}\``))].join(", ");
  const kinds = new Set(handlers.map((h) => h.kind));
  const parts: string[] = [];
  if (kinds.has("tool") || kinds.has("callTool")) {
    const n = names(["tool", "callTool"]);
    parts.push(n ? `Tool ${n} input` : "Tool input");
  }
  if (kinds.has("resource")) {
    const n = names(["resource"]);
    parts.push(n ? `Resource template ${n} input` : "Resource URI input");
  }
  if (kinds.has("prompt")) {
    const n = names(["prompt"]);
    parts.push(n ? `Prompt ${n} input` : "Prompt input");
  }
  if (kinds.has("route")) parts.push("HTTP request data");
  return parts.length > 0 ? parts.join(" and ") : "Tool input";
}

/** The command-injection wording, as its TypeScript check has it: "Tool `run`: tool input". */
export function toolsLabel(handlers: readonly PyToolHandler[]): string {
  const names = [...new Set(handlers.map((h) => h.toolName).filter((n): n is string => !!n))];
  return names.length > 0 ? `Tool ${names.map((n) => `\`${n}\``).join(", ")}: tool input` : "Tool input";
}
