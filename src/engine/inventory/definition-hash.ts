import { createHash } from "node:crypto";
import { canonicalJson } from "./json-schema.js";
import type { InventoryTool } from "./types.js";

/**
 * A tool's definition as clients see it, hashed: kind, name, description and input schema. Where it
 * is written (path, line) and which server holds it are left out, so moving code changes nothing,
 * while any change a client would re-approve changes the hash.
 */
export function definitionHash(tool: Pick<InventoryTool, "kind" | "name" | "description" | "inputSchema" | "uri">): string {
  const text = canonicalJson({ kind: tool.kind, name: tool.name, uri: tool.uri ?? null, description: tool.description ?? null, inputSchema: tool.inputSchema ?? null });
  return createHash("sha256").update(text).digest("hex").slice(0, 20);
}
