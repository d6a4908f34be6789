import { analyzeWith } from "../../src/engine/analyze.js";
import type { Rule, RuleContext } from "../../src/engine/rule.js";
import { changedRange, toolDefinitionChange } from "../../rules/tool-definition-change/index.js";

const file = (description: string, trailer = "") => `import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";

const server = new McpServer({ name: "notes", version: "1.0.0" });

server.tool("search", "${description}", { query: z.string() }, async ({ query }) => ({
  content: [{ type: "text", text: query }],
}));
${trailer}`;

/** The rule, noting whether it asked for the parsed base version. */
function watched(): { rule: Rule; parsedBase: () => boolean } {
  let asked = false;
  const rule: Rule = {
    ...toolDefinitionChange,
    check: (ctx) =>
      toolDefinitionChange.check!(
        new Proxy(ctx, {
          get(target, key) {
            if (key === "base") asked = true;
            return Reflect.get(target, key);
          },
        }) as RuleContext,
      ),
  };
  return { rule, parsedBase: () => asked };
}

describe("tool-definition-change reads the base only where a tool changed", () => {
  it("finds the changed region of two texts", () => {
    expect(changedRange("abcdef", "abXYef")).toEqual({ start: 2, end: 4 });
    expect(changedRange("abcdef", "abef")).toEqual({ start: 2, end: 2 });
    expect(changedRange("aaaa", "aaaaaa")).toEqual({ start: 4, end: 6 });
    expect(changedRange("same", "same")).toEqual({ start: 4, end: 4 });
  });

  it("reports a changed description, having parsed the base", () => {
    const { rule, parsedBase } = watched();
    const result = analyzeWith([rule], [{ path: "s.ts", content: file("Search the notes by title."), base: file("Search the notes.") }]);
    expect(result.findings.map((f) => [f.line, f.ruleId])).toEqual([[6, "tool-definition-change"]]);
    expect(parsedBase()).toBe(true);
  });

  it("leaves the base unparsed when the change is outside every tool definition, with the same (empty) result", () => {
    const { rule, parsedBase } = watched();
    const result = analyzeWith([rule], [{ path: "s.ts", content: file("Search the notes.", "export const v = 2;\n"), base: file("Search the notes.", "export const v = 1;\n") }]);
    expect(result.findings).toEqual([]);
    expect(parsedBase()).toBe(false);
  });

  it("leaves the base unparsed for a change inside a tool's handler, and parses it when the handler stops being a function", () => {
    const withBody = (line: string) => file("Search the notes.").replace("  content: [{ type: \"text\", text: query }],", line);
    const inside = watched();
    const edited = analyzeWith([inside.rule], [{ path: "s.ts", content: withBody("  content: [{ type: \"text\", text: query.trim() }],"), base: withBody("  content: [{ type: \"text\", text: query }],") }]);
    expect(edited.findings).toEqual([]);
    expect(inside.parsedBase()).toBe(false);
    // The handler replaced by an object: the argument is now a schema, a real change.
    const replaced = watched();
    const before = `server.tool("search", "Search.", async () => ({ content: [] }));\n`;
    const after = `server.tool("search", "Search.", { query: z.string() });\n`;
    const result = analyzeWith([replaced.rule], [{ path: "s.ts", content: after, base: before }]);
    expect(result.findings.map((f) => f.message)).toEqual([expect.stringContaining("changes its input schema")]);
    expect(replaced.parsedBase()).toBe(true);
  });

  it("parses the base for a deletion inside a definition", () => {
    const { rule, parsedBase } = watched();
    const result = analyzeWith([rule], [{ path: "s.ts", content: file("Search."), base: file("Search the notes.") }]);
    expect(result.findings).toHaveLength(1);
    expect(parsedBase()).toBe(true);
  });
});
