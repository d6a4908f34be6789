/** What a token handed on means, the same in both languages. */
export function passthroughMessage(what: string): string {
  return `${what} to another service. The token was issued for this MCP server; passing it through lets the upstream be called with the user's authority by whoever holds it, bypasses the upstream's own audience checks and rate limits, and leaves no trace of which client really acted. The MCP specification forbids token passthrough.`;
}
