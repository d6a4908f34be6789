import { analyze } from "../../src/engine/index.js";

/** Hostile inputs must not stall the review: each file is analyzed in well under a second. */
describe("config and manifest checks on hostile input", () => {
  const timed = (path: string, content: string, base?: string) => {
    const started = performance.now();
    const result = analyze([{ path, content, base }]);
    return { result, ms: performance.now() - started };
  };

  it("a huge dotted value in a client config", () => {
    const value = "a.".repeat(150_000);
    const { result, ms } = timed(".vscode/mcp.json", JSON.stringify({ servers: { x: { command: "curl " + value, args: [value, `postgres://u:${value}`], env: { TOKEN: value }, url: `http://${value}` } } }));
    expect(result.errors).toEqual([]);
    expect(ms).toBeLessThan(1000);
  });

  it("thousands of unclosed Python tool decorators with a base version", () => {
    const text = "@mcp.tool(\n".repeat(20_000);
    const { result, ms } = timed("server.py", text, text);
    expect(result.errors).toEqual([]);
    expect(ms).toBeLessThan(2000);
  });

  it("a very long requirements line", () => {
    const { result, ms } = timed("requirements.txt", `mcp${"=".repeat(50_000)}1\n${"a".repeat(200_000)}!\n`);
    expect(result.errors).toEqual([]);
    expect(ms).toBeLessThan(1000);
  });
});
