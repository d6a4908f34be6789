import { Node, SyntaxKind } from "ts-morph";
import { analyzeWith } from "../../src/engine/analyze.js";
import { describeSources } from "../../src/engine/mcp.js";
import type { Rule } from "../../src/engine/rule.js";
import type { SourceInput } from "../../src/engine/types.js";
import { descendantsOfKind } from "../../src/engine/values.js";

/** A probe rule: reports `sink(x)` when tool input reaches x, naming where it came from. */
const probe: Rule = {
  meta: {
    id: "probe",
    title: "taint probe for tests",
    severity: "high",
    cwe: "CWE-20",
    confidence: "high",
    languages: ["typescript", "javascript"],
    references: ["https://example.com/probe"],
    description: "Reports sink(x) calls whose argument carries tool input.",
  },
  check(ctx) {
    for (const call of descendantsOfKind(ctx.sourceFile, SyntaxKind.CallExpression)) {
      const callee = call.getExpression();
      if (!Node.isIdentifier(callee) || callee.getText() !== "sink") continue;
      const arg = call.getArguments()[0];
      const sources = arg ? ctx.taint.sourcesOf(arg) : [];
      if (sources.length > 0) ctx.report({ node: call, message: describeSources(sources), remediation: "-" });
    }
  },
};

const HEADER = `import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
declare function sink(value: unknown): void;
const server = new McpServer({ name: "t", version: "1" });
`;

function tainted(body: string, extra: SourceInput[] = []): string[] {
  const result = analyzeWith([probe], [{ path: "src/server.ts", content: HEADER + body }, ...extra]);
  expect(result.errors).toEqual([]);
  return result.findings.filter((f) => f.path === "src/server.ts").map((f) => f.message);
}

describe("taint sources: every way a handler receives input", () => {
  it.each([
    ["server.tool(name, cb) with no schema", `server.tool("t", async (args: any) => { sink(args.x); return { content: [] }; });`],
    ["server.tool(name, schema, cb)", `server.tool("t", { x: z.string() }, async ({ x }) => { sink(x); return { content: [] }; });`],
    ["server.tool(name, description, schema, cb)", `server.tool("t", "d", { x: z.string() }, async ({ x }) => { sink(x); return { content: [] }; });`],
    ["server.tool(name, description, schema, annotations, cb)", `server.tool("t", "d", { x: z.string() }, { readOnlyHint: true }, async ({ x }) => { sink(x); return { content: [] }; });`],
    ["registerTool", `server.registerTool("t", { inputSchema: { x: z.string() } }, async (input) => { sink(input.x); return { content: [] }; });`],
    ["a named handler declared elsewhere", `async function handle({ x }: { x: string }) { sink(x); return { content: [] }; }\nserver.tool("t", { x: z.string() }, handle);`],
    ["setRequestHandler(CallToolRequestSchema) reading request.params.arguments", `server.server.setRequestHandler(CallToolRequestSchema, async (request) => { sink(request.params.arguments.x); return { content: [] }; });`],
    ["CallTool arguments destructured, behind a switch on the tool name", `server.server.setRequestHandler(CallToolRequestSchema, async (request) => { const { name, arguments: args } = request.params; switch (name) { case "t": sink(args.x); } return { content: [] }; });`],
    ["a resource template's variables", `server.resource("r", new ResourceTemplate("notes://{id}", { list: undefined }), async (uri, { id }) => { sink(id); return { contents: [] }; });`],
    ["a resource template's URI", `server.registerResource("r", new ResourceTemplate("notes://{id}", { list: undefined }), {}, async (uri) => { sink(uri.pathname); return { contents: [] }; });`],
    ["prompt arguments", `server.prompt("p", { topic: z.string() }, ({ topic }) => { sink(topic); return { messages: [] }; });`],
    ["registerPrompt arguments", `server.registerPrompt("p", { argsSchema: { topic: z.string() } }, (args) => { sink(args.topic); return { messages: [] }; });`],
    ["HTTP request data in an MCP HTTP endpoint", `declare const app: any;\napp.post("/mcp", (req: any, res: any) => { sink(req.query.file); sink(req.body.x); sink(req.headers["x-file"]); });`],
  ])("%s", (_name, body) => {
    expect(tainted(body).length).toBeGreaterThan(0);
  });

  it("does not treat the request object itself, a static resource's URI or a tool's name as input", () => {
    expect(
      tainted(`declare const app: any;
app.post("/mcp", (req: any, res: any) => { sink(req); sink(req.method); });
server.resource("readme", "docs://readme", async (uri) => { sink(uri.href); return { contents: [] }; });
server.server.setRequestHandler(CallToolRequestSchema, async (request) => { sink(request.params.name); return { content: [] }; });`),
    ).toEqual([]);
  });

  it("names the handlers the input came from", () => {
    expect(tainted(`server.tool("git_log", { x: z.string() }, async ({ x }) => { sink(x); return { content: [] }; });`)).toEqual(["Tool `git_log` input"]);
    expect(tainted(`server.prompt("review", { x: z.string() }, ({ x }) => { sink(x); return { messages: [] }; });`)).toEqual(["Prompt `review` input"]);
  });
});

describe("taint propagation", () => {
  const inTool = (body: string) => tainted(`server.tool("t", { x: z.string(), list: z.array(z.string()) }, async ({ x, list }) => {\n${body}\nreturn { content: [] };\n});`);

  it.each([
    ["a variable", `const a = x; sink(a);`],
    ["reassignment", `let a = "safe"; a = x; sink(a);`],
    ["+= concatenation", `let a = "ls "; a += x; sink(a);`],
    ["a template literal", "sink(`git log ${x}`);"],
    ["concatenation", `sink("cat " + x + " | wc");`],
    ["destructuring", `const { a } = { a: x }; sink(a);`],
    ["an object literal", `sink({ path: x });`],
    ["an array literal and join", `sink(["ls", x].join(" "));`],
    ["string methods", `sink(x.trim().toLowerCase().replace("a", "b"));`],
    ["an argument flowing in through replace", `sink("template".replace("{}", x));`],
    ["path.join", `sink(require("node:path").join("/root", x));`],
    ["a for-of loop over a tainted array", `for (const item of list) sink(item);`],
    ["a callback over a tainted array", `list.map((item) => sink(item));`],
    ["await and a conditional", `const v = list.length > 0 ? x : "none"; sink(await v);`],
    ["new URL", `sink(new URL(x).hostname);`],
  ])("through %s", (_name, body) => {
    expect(inTool(body).length).toBeGreaterThan(0);
  });

  it("through same-file helpers: arguments to parameters, and return values back", () => {
    const findings = tainted(`function build(a: string) { return "git log " + a; }
function run(cmd: string) { sink(cmd); }
function outer(v: string) { run(build(v)); }
server.tool("t", { x: z.string() }, async ({ x }) => { outer(x); sink(build(x)); sink(build("main")); return { content: [] }; });`);
    expect(findings).toHaveLength(2);
  });

  it("through promisify-wrapped helpers", () => {
    expect(
      tainted(`import { promisify } from "node:util";
function readIt(p: string, cb: (e: unknown) => void) { sink(p); cb(null); }
const readAsync = promisify(readIt);
server.tool("t", { x: z.string() }, async ({ x }) => { await readAsync(x); return { content: [] }; });`).length,
    ).toBeGreaterThan(0);
  });

  it("stops at constants, numbers, constrained schemas and allowlist checks", () => {
    expect(
      tainted(`const ALLOWED = new Set(["a", "b"]);
server.tool("t", { x: z.string(), n: z.number(), kind: z.enum(["a", "b"]), flag: z.boolean() }, async ({ x, n, kind, flag }) => {
  sink("constant");
  sink(Number(x));
  sink(parseInt(x, 10));
  sink(x.length);
  sink(n);
  sink(kind);
  sink(flag);
  if (ALLOWED.has(x)) sink(x);
  if (x === "main" || x === "dev") sink(x);
  switch (x) { case "a": sink(x); break; }
  if (!/^[a-z0-9-]+$/.test(x)) throw new Error("bad");
  sink(x);
  return { content: [] };
});`),
    ).toEqual([]);
  });
});

describe("taint across files", () => {
  const helpers: SourceInput = {
    path: "src/lib/git.ts",
    content: `declare function sink(value: unknown): void;
export function gitLog(branch: string) { sink("git log " + branch); }
export const describe = (ref: string) => "git describe " + ref;
export function fixed() { sink("git status"); }
export default function show(rev: string) { sink(rev); }
`,
  };
  const commonjs: SourceInput = {
    path: "src/lib/shell.js",
    content: `function run(cmd) { sink(cmd); }
module.exports = { run };
`,
  };

  it("follows arguments into functions of relatively imported modules and reports at the sink there", () => {
    const result = analyzeWith(
      [probe],
      [
        {
          path: "src/server.ts",
          content:
            HEADER +
            `import { gitLog, fixed } from "./lib/git.js";
import show from "./lib/git.js";
import * as git from "./lib/git.js";
const shell = require("./lib/shell.js");
server.tool("log", { branch: z.string() }, async ({ branch }) => { gitLog(branch); fixed(); return { content: [] }; });
server.tool("show", { rev: z.string() }, async ({ rev }) => { show(rev); return { content: [] }; });
server.tool("ns", { rev: z.string() }, async ({ rev }) => { git.gitLog(rev); shell.run(rev); return { content: [] }; });`,
        },
        helpers,
        commonjs,
      ],
    );
    expect(result.errors).toEqual([]);
    const at = result.findings.map((f) => `${f.path}:${f.line} ${f.message}`).sort();
    expect(at).toEqual([
      "src/lib/git.ts:2 Tool `log`, `ns` input",
      "src/lib/git.ts:5 Tool `show` input",
      "src/lib/shell.js:1 Tool `ns` input",
    ]);
  });

  it("binds handlers that a server registers by name from another module", () => {
    const handlerModule: SourceInput = {
      path: "src/tools/read.ts",
      content: `declare function sink(value: unknown): void;
export async function readHandler({ file }: { file: string }) { sink(file); return { content: [] }; }
export const listHandler = async () => { sink("ls"); return { content: [] }; };
`,
    };
    const server = HEADER + `import { readHandler, listHandler } from "./tools/read.js";
server.tool("read", "Read a file", { file: z.string() }, readHandler);
server.tool("list", "List files", {}, listHandler);`;
    const result = analyzeWith([probe], [{ path: "src/server.ts", content: server }, handlerModule]);
    expect(result.findings.map((f) => `${f.path}:${f.line} ${f.message}`)).toEqual(["src/tools/read.ts:2 Tool `read` input"]);
  });

  it("brings return values of imported functions back", () => {
    expect(tainted(`import { describe } from "./lib/git.js";\nserver.tool("t", { x: z.string() }, async ({ x }) => { sink(describe(x)); sink(describe("v1")); return { content: [] }; });`, [helpers])).toHaveLength(1);
  });

  it("degrades quietly when the imported module is not among the files (a pull request's changed files)", () => {
    const body = `import { describe } from "./lib/git.js";\nimport { missing } from "./lib/missing.js";\nserver.tool("t", { x: z.string() }, async ({ x }) => { sink(describe(x)); missing(x); sink(x); return { content: [] }; });`;
    expect(tainted(body)).toHaveLength(1);
    const alone = analyzeWith([probe], [helpers]);
    expect(alone.errors).toEqual([]);
    expect(alone.findings).toEqual([]);
  });
});

describe("taint through methods, registries and module forms", () => {
  const files = (server: string, ...rest: SourceInput[]) => analyzeWith([probe], [{ path: "src/server.ts", content: HEADER + server }, ...rest]);
  const at = (result: ReturnType<typeof analyzeWith>) => result.findings.map((f) => `${f.path}:${f.line} ${f.message}`).sort();

  it("follows an interface-typed, constructor-injected service to the class that implements it", () => {
    const service: SourceInput = {
      path: "src/services/git.ts",
      content: `declare function sink(value: unknown): void;
export interface Vcs { log(ref: string): void; status(): void }
export class GitVcs implements Vcs {
  log(ref: string) { sink(ref); }
  status() { sink("status"); }
}
`,
    };
    const server = `import type { Vcs } from "./services/git.js";
class Tools {
  constructor(private readonly vcs: Vcs) {}
  register() {
    server.tool("log", { ref: z.string() }, async ({ ref }) => { this.vcs.log(ref); this.vcs.status(); return { content: [] }; });
  }
}`;
    expect(at(files(server, service))).toEqual(["src/services/git.ts:4 Tool `log` input"]);
  });

  it("resolves aliases under the usual src/ folder when no tsconfig is among the files", () => {
    const lib: SourceInput = { path: "src/lib/run.ts", content: `declare function sink(value: unknown): void;\nexport function run(x: string) { sink(x); }\n` };
    expect(at(files(`import { run } from "@/lib/run.js";\nserver.tool("r", { x: z.string() }, async ({ x }) => { run(x); return { content: [] }; });`, lib))).toEqual(["src/lib/run.ts:2 Tool `r` input"]);
    // a tsconfig that maps the alias elsewhere wins over the convention
    const config: SourceInput = { path: "tsconfig.json", content: `{ "compilerOptions": { "paths": { "@/*": ["./vendor/*"] } } }` };
    expect(at(files(`import { run } from "@/lib/run.js";\nserver.tool("r", { x: z.string() }, async ({ x }) => { run(x); return { content: [] }; });`, lib, config))).toEqual([]);
  });

  it("binds tools registered from a Map and dispatched by name", () => {
    const server = `import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema } from "@modelcontextprotocol/sdk/types.js";
const low = new Server({ name: "x", version: "1" }, { capabilities: {} });
const handlers = new Map<string, (args: any) => unknown>();
handlers.set("echo", (args) => sink(args.text));
handlers.set("ping", () => sink("pong"));
low.setRequestHandler(CallToolRequestSchema, async (req) => handlers.get(req.params.name)!(req.params.arguments));`;
    expect(at(files(server))).toEqual(["src/server.ts:9 Tool input"]);
  });

  it("names each tool of a loop over definition objects after its own definition", () => {
    const server = `const read = { name: "read", schema: { p: z.string() }, handler: async ({ p }: any) => { sink(p); return { content: [] }; } };
const stat = { name: "stat", schema: { p: z.string() }, async handler({ p }: any) { sink(p); return { content: [] }; } };
for (const def of [read, stat]) server.tool(def.name, def.schema, def.handler);`;
    expect(at(files(server))).toEqual(["src/server.ts:5 Tool `read` input", "src/server.ts:6 Tool `stat` input"]);
  });
});
