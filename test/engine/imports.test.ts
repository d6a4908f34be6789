import { Project, SyntaxKind } from "ts-morph";
import { moduleBoundNames, moduleRefOf } from "../../src/engine/imports.js";

const parse = (text: string) => new Project({ useInMemoryFileSystem: true, compilerOptions: { allowJs: true, noLib: true } }).createSourceFile("/f.ts", text);

describe("moduleBoundNames", () => {
  it("holds every name moduleRefOf can follow to a module, in any order of declaration, and nothing else", () => {
    const file = parse(`
import fs, * as os from "node:os";
import { exec as run, spawn } from "node:child_process";
import { promisify } from "node:util";
const later = cp.execFile;
const cp = require("child_process");
const { execSync, spawnSync: s } = require("node:child_process");
const execAsync = promisify(run);
async function f() { const mod = await import("node:child_process"); }
const server = new McpServer({});
const text = "a,b".split(",");
let n = 1;
`);
    expect([...moduleBoundNames(file)].sort()).toEqual(["cp", "execAsync", "execSync", "fs", "later", "mod", "os", "promisify", "run", "s", "spawn"]);
  });

  it("keeps moduleRefOf's answers: module-bound callees resolve, others are undefined without the checker", () => {
    const file = parse(`import { exec } from "child_process";\nconst cp = require("child_process");\nconst local = { exec() {} };\nexec("a"); cp.spawn("b"); local.exec("c");\n`);
    const callees = file.getDescendantsOfKind(SyntaxKind.CallExpression).map((c) => c.getExpression()).filter((e) => e.getText() !== "require");
    expect(callees.map((c) => [c.getText(), moduleRefOf(c)?.module, moduleRefOf(c)?.name])).toEqual([
      ["exec", "child_process", "exec"],
      ["cp.spawn", "child_process", "spawn"],
      ["local.exec", undefined, undefined],
    ]);
  });
});
