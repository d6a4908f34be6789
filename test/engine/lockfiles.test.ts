import { analyze } from "../../src/engine/analyze.js";
import { parseDependencies } from "../../src/engine/config/manifest.js";
import { bigPackageLock, bigUvLock } from "../support/lockfiles.js";

describe("lockfiles read whole", () => {
  it("finds an MCP package with an advisory on its line in a multi-megabyte package-lock.json", () => {
    const { text, line } = bigPackageLock(12_000, { name: "mcp-remote", version: "0.1.15" });
    expect(text.length).toBeGreaterThan(3 * 1024 * 1024);
    const findings = analyze([{ path: "package-lock.json", content: text }]).findings;
    expect(findings.map((f) => [f.ruleId, f.path, f.line, f.context])).toEqual([["vulnerable-mcp-dependency", "package-lock.json", line, "production"]]);
    expect(findings[0]!.message).toContain("`mcp-remote` 0.1.15 is affected by");
  });

  it("finds one in a real-size uv.lock", () => {
    const { text, line } = bigUvLock(800, { name: "mcp", version: "1.9.4" });
    expect(text.length).toBeGreaterThan(512 * 1024);
    const findings = analyze([{ path: "uv.lock", content: text }]).findings;
    expect(findings.map((f) => [f.path, f.line])).toEqual([["uv.lock", line]]);
  });

  it("reads each package-lock version's layout: v1's nested dependencies, v2's packages over them", () => {
    const v1 = JSON.stringify({ lockfileVersion: 1, dependencies: { a: { version: "1.0.0", dependencies: { b: { version: "2.0.0" } } } } }, null, 2);
    expect(parseDependencies("package-lock.json", v1).map((d) => `${d.name}@${d.spec}`)).toEqual(["a@1.0.0", "b@2.0.0"]);
    const v2 = JSON.stringify({ lockfileVersion: 2, packages: { "": { version: "0.0.1" }, "node_modules/a": { version: "1.0.1" } }, dependencies: { a: { version: "1.0.1" } } }, null, 2);
    expect(parseDependencies("package-lock.json", v2).map((d) => `${d.name}@${d.spec}`)).toEqual(["a@1.0.1"]);
  });
});
