/**
 * What a Python file's text says about being an MCP server, read without parsing it: the unit
 * planner asks it of every file of a tree.
 */

/** A server that speaks MCP's JSON-RPC by hand, without the SDK: it dispatches `tools/call` and answers `jsonrpc` messages. */
const HAND_ROLLED_MCP = /["']tools\/(?:call|list)["']/;
const JSON_RPC = /["']jsonrpc["']|protocolVersion/;

/** True for a module that implements the MCP protocol itself (a `tools/call` dispatcher answering JSON-RPC), with no SDK import. */
export function handRolledMcpServer(text: string): boolean {
  return HAND_ROLLED_MCP.test(text) && JSON_RPC.test(text);
}

/** True for the text of a Python MCP server: an import of the MCP SDK or fastmcp, or a hand-rolled JSON-RPC server. */
export function isPythonMcpServer(text: string): boolean {
  return /^\s*(?:from|import)\s+(?:mcp|fastmcp)\b/m.test(text) || handRolledMcpServer(text);
}
