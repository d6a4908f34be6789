/**
 * Deterministic synthetic MCP server sources: realistic tool handlers, some with flaws the rules
 * find, most safe. Used by the benchmarks and the hostile-input tests.
 */

const TOOLS = ["git_log", "read_note", "list_dir", "search", "fetch_page", "run_query", "format", "stats"];

/** One TypeScript MCP server file of about `lines` lines; every `vulnerableEvery`-th file has flaws. */
export function mcpServerSource(index: number, lines = 120, vulnerableEvery = 5): string {
  const vulnerable = index % vulnerableEvery === 0;
  const out: string[] = [
    `import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";`,
    `import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";`,
    `import { exec, execFile } from "node:child_process";`,
    `import { readFile } from "node:fs/promises";`,
    `import path from "node:path";`,
    `import express from "express";`,
    `import { z } from "zod";`,
    ``,
    `const ROOT = path.resolve(process.env.NOTES_ROOT ?? "./notes");`,
    `const server = new McpServer({ name: "server-${index}", version: "1.0.${index}" });`,
    ``,
  ];
  let t = 0;
  while (out.length < lines - 8) {
    const name = `${TOOLS[t % TOOLS.length]}_${t}`;
    if (vulnerable && t === 0) {
      out.push(
        `server.tool("${name}", "Show the log of a branch", { branch: z.string() }, async ({ branch }) => {`,
        `  return new Promise((resolve) => {`,
        `    exec(\`git log --oneline \${branch}\`, (error, stdout) => resolve({ content: [{ type: "text", text: stdout }] }));`,
        `  });`,
        `});`,
        ``,
      );
    } else if (t % 3 === 0) {
      out.push(
        `server.tool("${name}", "List commits of a branch", { branch: z.string() }, async ({ branch }) => {`,
        `  return new Promise((resolve) => {`,
        `    execFile("git", ["log", "--oneline", "--", branch], (error, stdout) => resolve({ content: [{ type: "text", text: stdout }] }));`,
        `  });`,
        `});`,
        ``,
      );
    } else if (t % 3 === 1) {
      out.push(
        `server.registerTool("${name}", { description: "Read a note from the notes folder", inputSchema: { name: z.string() } }, async ({ name }) => {`,
        `  const full = path.resolve(ROOT, name);`,
        `  if (path.relative(ROOT, full).startsWith("..")) throw new Error("outside the notes folder");`,
        `  const text = await readFile(full, "utf8");`,
        `  return { content: [{ type: "text", text: text.slice(0, 10000) }] };`,
        `});`,
        ``,
      );
    } else {
      out.push(
        `server.tool("${name}", "Count words in a text", { text: z.string().max(100000) }, async ({ text }) => {`,
        `  const words = text.split(/\\s+/).filter(Boolean).length;`,
        `  const lines = text.split("\\n").length;`,
        `  return { content: [{ type: "text", text: JSON.stringify({ words, lines }) }] };`,
        `});`,
        ``,
      );
    }
    t++;
  }
  out.push(
    `const app = express();`,
    `app.use(express.json());`,
    `app.post("/mcp", async (req, res) => {`,
    `  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });`,
    `  await server.connect(transport);`,
    `  await transport.handleRequest(req, res, req.body);`,
    `});`,
    vulnerable ? `app.listen(3000, "0.0.0.0");` : `app.listen(3000, "127.0.0.1");`,
  );
  return out.join("\n") + "\n";
}

/** Plain application code with no MCP in it: what most files of a real pull request look like. */
export function plainSource(index: number, lines = 80): string {
  const out = [`export interface Item${index} { id: number; name: string; tags: string[] }`, ``];
  let f = 0;
  while (out.length < lines - 2) {
    out.push(
      `export function transform${index}_${f}(items: Item${index}[]): Map<string, number> {`,
      `  const counts = new Map<string, number>();`,
      `  for (const item of items) for (const tag of item.tags) counts.set(tag, (counts.get(tag) ?? 0) + item.id);`,
      `  return counts;`,
      `}`,
      ``,
    );
    f++;
  }
  return out.join("\n") + "\n";
}
