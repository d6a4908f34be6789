import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { analyze } from "../../src/engine/analyze.js";

/**
 * Servers written after the MCP Python SDK's documented examples (quickstart, echo, SQLite
 * explorer, weather, simple-tool, simple-resource, simple-auth) and a filesystem server with
 * correct containment. All rules run on them; a finding is allowed only on a line marked
 * `# ruleid: <id>`, so any false positive fails here.
 */
const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/python-examples");
const MARK = /^\s*#\s*ruleid:\s*([a-z0-9-]+)/;

const examples = readdirSync(EXAMPLES).sort().map((name) => {
  const files = readdirSync(join(EXAMPLES, name)).filter((f) => f.endsWith(".py")).map((f) => ({ path: `${name}/${f}`, content: readFileSync(join(EXAMPLES, name, f), "utf8") }));
  return [name, files] as const;
});

describe("Python SDK-style example servers", () => {
  it.each(examples)("%s: findings only where marked", (_name, files) => {
    const result = analyze(files);
    expect(result.skipped).toEqual([]);
    expect(result.errors).toEqual([]);
    const expected = files.flatMap(({ path, content }) =>
      content.split("\n").flatMap((line, i) => {
        const m = MARK.exec(line);
        return m ? [`${path}:${i + 2}:${m[1]}`] : [];
      }),
    );
    expect(result.findings.map((f) => `${f.path}:${f.line}:${f.ruleId}`).sort()).toEqual(expected.sort());
  });
});
