import { joinedFiles, MAX_NEIGHBOURS, planNeighbours, type TreeFile } from "../../src/review/neighbours.js";

function tree(paths: Record<string, string>, extra: Partial<TreeFile>[] = []): TreeFile[] {
  return [...Object.entries(paths).map(([path, text]) => ({ path, mode: "100644", size: Buffer.byteLength(text) })), ...(extra as TreeFile[])];
}

describe("neighbours of a pull request's changed files", () => {
  it("reads what a changed file imports first, then the files nearest to it, and never vendored or linked ones", () => {
    const repo = {
      "src/server.ts": 'import { run } from "./lib/run.js";\n',
      "src/lib/run.ts": "export function run() {}\n",
      "src/tools/list.ts": "export const x = 1;\n",
      "other/far.ts": "export const y = 1;\n",
      "node_modules/pkg/index.js": "module.exports = 1;\n",
      "dist/server.js": "console.log(1);\n",
      "README.md": "# hi\n",
    };
    const files = tree(repo, [{ path: "src/link.ts", mode: "120000", size: 10 }]);
    const plan = planNeighbours(new Map([["src/server.ts", repo["src/server.ts"]]]), files, 1024 * 1024);
    expect(plan.toRead).toEqual(["src/lib/run.ts", "src/tools/list.ts", "other/far.ts"]);
    expect(plan.notRead).toBe(0);
  });

  it("stops at the file limit and counts what it left", () => {
    const repo: Record<string, string> = { "src/a.ts": "export {};\n" };
    for (let i = 0; i < MAX_NEIGHBOURS + 5; i++) repo[`src/m${String(i).padStart(3, "0")}.ts`] = "export {};\n";
    const plan = planNeighbours(new Map([["src/a.ts", repo["src/a.ts"]!]]), tree(repo), 1024);
    expect(plan.toRead).toHaveLength(MAX_NEIGHBOURS);
    expect(plan.notRead).toBe(5);
  });

  it("keeps TS files joined by imports either way within three steps, and drops the rest", () => {
    const changed = new Map([["src/lib/git.ts", 'import { sh } from "./sh.js";\n']]);
    const read = new Map([
      ["src/lib/sh.ts", "export function sh() {}\n"],
      ["src/tools/log.ts", 'import { log } from "../lib/git.js";\n'],
      ["src/index.ts", 'import "./tools/log.js";\n'],
      ["src/unrelated.ts", "export const z = 1;\n"],
    ]);
    const all = tree({ ...Object.fromEntries(read), ...Object.fromEntries(changed) });
    expect(joinedFiles(changed, read, all)).toEqual(["src/index.ts", "src/lib/sh.ts", "src/tools/log.ts"]);
  });

  it("follows Python relative imports, `from . import module`, and absolute imports of the repository's own package", () => {
    const changed = new Map([["src/pkg/helpers.py", "import subprocess\nfrom .shell import run\n"]]);
    const read = new Map([
      ["src/pkg/shell.py", "def run(c): ...\n"],
      ["src/pkg/server.py", "from mcp.server.fastmcp import FastMCP\nfrom pkg.helpers import log\n"],
      ["src/pkg/tools/__init__.py", "from .. import helpers\n"],
      ["src/pkg/other.py", "import os\n"],
      ["tests/test_x.py", "import pkg.server\n"],
    ]);
    const all = tree({ ...Object.fromEntries(read), ...Object.fromEntries(changed) });
    expect(joinedFiles(changed, read, all)).toEqual(["src/pkg/server.py", "src/pkg/shell.py", "src/pkg/tools/__init__.py", "tests/test_x.py"]);
  });
});
