import type { Inventory, InventoryServer, InventoryTool } from "../engine/inventory.js";

/** The inventory as text for a person: servers with their tools, client configs, dependencies, findings, coverage. */
export function formatInventoryText(inventory: Inventory): string {
  const out: string[] = [];
  const toolsOf = (server: InventoryServer | undefined) => inventory.tools.filter((t) => t.server === server?.id);
  out.push(`MCP servers (${inventory.servers.length})`);
  if (inventory.servers.length === 0) out.push("  none found in code");
  for (const server of inventory.servers) {
    out.push(`  ${server.name ?? "(unnamed)"}${server.version ? ` ${server.version}` : ""}  ${server.language}, ${server.sdk}  ${server.path}:${server.line}`);
    out.push(`    transports: ${server.transports.length > 0 ? server.transports.join(", ") : "none found"}`);
    if (server.http) {
      const listen = server.http.listen.map((l) => `${l.host ?? "(set at run time)"}${l.port ? `:${l.port}` : ""} [${l.exposure}] ${l.path}:${l.line}`);
      out.push(`    listens: ${listen.length > 0 ? listen.join("; ") : "not found"}`);
      out.push(`    authentication: ${server.http.auth === "unknown" ? "unknown" : server.http.auth ? "yes" : "NO"}, Host/Origin validation: ${server.http.hostValidation ? "yes" : "no"}, CORS: ${server.http.cors}`);
    }
    for (const tool of toolsOf(server)) out.push(...toolLines(tool, "    "));
  }
  const orphans = toolsOf(undefined);
  if (orphans.length > 0) {
    out.push(`  tools registered on a server not found in this checkout (${orphans.length})`);
    for (const tool of orphans) out.push(...toolLines(tool, "    "));
  }
  out.push("", `Client configs (${inventory.configs.length})`);
  for (const config of inventory.configs) {
    out.push(`  ${config.path}  (${config.client})${config.parseError ? `  parse error: ${config.parseError}` : ""}`);
    for (const s of config.servers) {
      const what = s.url ?? [s.command, ...(s.args ?? [])].filter(Boolean).join(" ");
      const pkg = s.package ? `  package ${s.package.ecosystem}:${s.package.name}${s.package.version ? `@${s.package.version}` : ""} ${s.pinned ? "pinned" : "NOT pinned"}` : "";
      out.push(`    ${s.name} [${s.transport}] ${escape(what)}${pkg}`);
    }
  }
  out.push("", `MCP dependencies (${inventory.dependencies.length})`);
  for (const d of inventory.dependencies) {
    const advisories = d.advisories.length > 0 ? `  ADVISORIES: ${d.advisories.map((a) => `${a.id}${a.cve ? ` (${a.cve})` : ""}, fixed in ${a.fixed}`).join("; ")}` : "";
    out.push(`  ${d.ecosystem}:${d.name} ${d.spec}  ${d.path}:${d.line}${d.locked ? " (lockfile)" : ""}${advisories}`);
  }
  out.push("", `Findings (${inventory.findings.length})`);
  for (const f of inventory.findings) out.push(`  ${f.path}:${f.line}  ${f.severity.toUpperCase()}  ${f.ruleId}  ${f.fingerprint}`);
  const c = inventory.coverage;
  out.push("", `Coverage: ${c.filesAnalyzed} files analyzed (${c.linesAnalyzed} lines) of ${c.filesRead} read; ${c.notRead.length} not read or not analyzed`);
  for (const s of c.notRead) out.push(`  ${s.path}: ${s.reason}${s.detail ? ` (${s.detail})` : ""}`);
  for (const e of c.ruleErrors) out.push(`  ${e.path}: ${e.ruleId} failed: ${e.message}`);
  for (const note of c.notes) out.push(`  note: ${note}`);
  return out.join("\n") + "\n";
}

function toolLines(tool: InventoryTool, indent: string): string[] {
  const props = tool.inputSchema && typeof tool.inputSchema.properties === "object" && tool.inputSchema.properties ? Object.keys(tool.inputSchema.properties) : undefined;
  const lines = [`${indent}${tool.kind} ${tool.nameComputed ? `[name computed at run time: ${escape(tool.name)}]` : escape(tool.name)}${tool.uri ? ` <${escape(tool.uri)}>` : ""}${props ? `(${props.map(escape).join(", ")})` : tool.kind === "tool" ? " (input schema not derived)" : ""}  ${tool.path}:${tool.line}  #${tool.definitionHash}`];
  if (tool.description) lines.push(`${indent}  ${escape(tool.description).replace(/\n/g, `\n${indent}  `)}`);
  return lines;
}

/** Tool names and descriptions are written by whoever wrote the code: invisible and control characters are shown as escapes. */
function escape(text: string): string {
  return text.replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2064\uFEFF]|[\u{E0000}-\u{E007F}]/gu, (ch) => `\\u{${ch.codePointAt(0)!.toString(16)}}`);
}
