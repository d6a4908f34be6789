import { parseTree, type Node as JsonNode, type ParseError, printParseErrorCode } from "jsonc-parser";

/** A range of a file's text, by character offset. */
export interface Span {
  offset: number;
  length: number;
}

/** A string value of the config and where it is written (the quotes included). */
export interface StringValue extends Span {
  value: string;
}

/** A `"KEY": "value"` pair of an `env` or `headers` object. */
export interface KeyedValue extends StringValue {
  key: string;
}

/** One server of an MCP client config, as written: nothing is started or resolved. */
export interface McpServerEntry {
  name: string;
  /** The server's key in its collection. */
  nameSpan: Span;
  command?: StringValue;
  args: StringValue[];
  env: KeyedValue[];
  headers: KeyedValue[];
  /** `url` (VS Code, Cursor, Claude), `httpUrl` (Gemini CLI) or `serverUrl` (Windsurf). */
  url?: StringValue;
  /** Every string in the entry with the key it sits under, for checks that look everywhere. */
  strings: KeyedValue[];
}

export interface McpConfigFile {
  servers: McpServerEntry[];
  /** Set when the text is not JSON with comments: "line N: message". */
  parseError?: string;
}

/** Keys whose object value holds servers by name, in the clients' config formats. */
const COLLECTIONS = new Set(["servers", "mcpServers", "context_servers"]);
const URL_KEYS = ["url", "httpUrl", "serverUrl"];

/**
 * Parses an MCP client config: JSON with comments and trailing commas, as editors accept. Servers
 * are found under `servers` (VS Code), `mcpServers` (Claude, Cursor, Gemini, Windsurf, Cline,
 * also nested per project in `~/.claude.json`), `mcp.servers` (VS Code settings) and
 * `context_servers` (Zed).
 */
export function parseMcpConfig(text: string): McpConfigFile {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0 || !root) {
    const first = errors[0];
    if (!first) return { servers: [], parseError: "line 1: empty file" };
    return { servers: [], parseError: `line ${lineOf(text, first.offset)}: ${printParseErrorCode(first.error)}` };
  }
  const servers: McpServerEntry[] = [];
  const visit = (node: JsonNode, depth: number) => {
    if (depth > 6 || node.type !== "object") return;
    for (const prop of node.children ?? []) {
      const [key, value] = prop.children ?? [];
      if (!key || !value) continue;
      if (COLLECTIONS.has(String(key.value)) && value.type === "object") {
        for (const entry of value.children ?? []) {
          const [nameNode, body] = entry.children ?? [];
          if (nameNode && body?.type === "object") servers.push(serverOf(String(nameNode.value), nameNode, body));
        }
      } else {
        visit(value, depth + 1);
      }
    }
  };
  visit(root, 0);
  return { servers };
}

function serverOf(name: string, nameNode: JsonNode, body: JsonNode): McpServerEntry {
  const entry: McpServerEntry = { name, nameSpan: spanOf(nameNode), args: [], env: [], headers: [], strings: [] };
  for (const prop of body.children ?? []) {
    const [keyNode, value] = prop.children ?? [];
    if (!keyNode || !value) continue;
    const key = String(keyNode.value);
    if (key === "command" && value.type === "string") entry.command = stringOf(value);
    else if (key === "args" && value.type === "array") entry.args = (value.children ?? []).filter((n) => n.type === "string").map(stringOf);
    else if (key === "env" && value.type === "object") entry.env = keyedStrings(value);
    else if ((key === "headers" || key === "requestInit") && value.type === "object") entry.headers = keyedStrings(key === "headers" ? value : childObject(value, "headers"));
    else if (URL_KEYS.includes(key) && value.type === "string") entry.url = stringOf(value);
  }
  collectStrings(body, "", entry.strings);
  return entry;
}

function childObject(node: JsonNode, name: string): JsonNode | undefined {
  const prop = node.children?.find((p) => p.children?.[0]?.value === name);
  const value = prop?.children?.[1];
  return value?.type === "object" ? value : undefined;
}

function keyedStrings(node: JsonNode | undefined): KeyedValue[] {
  const out: KeyedValue[] = [];
  for (const prop of node?.children ?? []) {
    const [keyNode, value] = prop.children ?? [];
    if (keyNode && value?.type === "string") out.push({ key: String(keyNode.value), ...stringOf(value) });
  }
  return out;
}

function collectStrings(node: JsonNode, key: string, out: KeyedValue[]): void {
  if (node.type === "string") out.push({ key, ...stringOf(node) });
  else if (node.type === "array") for (const child of node.children ?? []) collectStrings(child, key, out);
  else if (node.type === "object") {
    for (const prop of node.children ?? []) {
      const [keyNode, value] = prop.children ?? [];
      if (keyNode && value) collectStrings(value, String(keyNode.value), out);
    }
  }
}

function stringOf(node: JsonNode): StringValue {
  return { value: String(node.value), offset: node.offset, length: node.length };
}

function spanOf(node: JsonNode): Span {
  return { offset: node.offset, length: node.length };
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}
