import { Node, SyntaxKind, type CallExpression } from "ts-morph";
import { moduleRefOf } from "../../src/engine/imports.js";
import { describeSources } from "../../src/engine/mcp.js";
import type { Rule, RuleContext } from "../../src/engine/rule.js";
import { PATH_CONTAINMENT } from "../../src/engine/sanitizers.js";
import { abbreviate, constantString, constInitializer, declarationOf, descendantsOfKind, unwrap } from "../../src/engine/values.js";
import { checkPython, MENTIONS_PY } from "./python.js";

const FS_MODULES = new Set(["fs", "fs/promises", "fs-extra", "graceful-fs"]);
/** fs functions, and which of their arguments are paths. */
const FS_PATH_ARGS: Record<string, readonly number[]> = {
  readFile: [0], readFileSync: [0], writeFile: [0], writeFileSync: [0], appendFile: [0], appendFileSync: [0],
  createReadStream: [0], createWriteStream: [0], open: [0], openSync: [0], readdir: [0], readdirSync: [0],
  opendir: [0], opendirSync: [0], unlink: [0], unlinkSync: [0], rm: [0], rmSync: [0], rmdir: [0], rmdirSync: [0],
  mkdir: [0], mkdirSync: [0], stat: [0], statSync: [0], lstat: [0], lstatSync: [0], access: [0], accessSync: [0],
  chmod: [0], chmodSync: [0], chown: [0], chownSync: [0], truncate: [0], truncateSync: [0], utimes: [0],
  copyFile: [0, 1], copyFileSync: [0, 1], cp: [0, 1], cpSync: [0, 1], rename: [0, 1], renameSync: [0, 1],
  symlink: [0, 1], symlinkSync: [0, 1], link: [0, 1], linkSync: [0, 1], watch: [0], existsSync: [0],
  outputFile: [0], outputFileSync: [0], readJson: [0], readJsonSync: [0], writeJson: [0], writeJsonSync: [0],
  remove: [0], removeSync: [0], move: [0, 1], copy: [0, 1], ensureDir: [0], emptyDir: [0],
};
/** Methods that serve a file by path on an HTTP response. */
const RESPONSE_METHODS = new Set(["sendFile", "download"]);
const WRITES = /write|append|rm|unlink|rename|copy|cp\b|mkdir|chmod|chown|truncate|move|remove|output|symlink|link|emptyDir|createWriteStream/i;
const ROOT_NAME = /root|dir|base|allowed|home|workspace|folder|sandbox|prefix|cwd/i;

export const pathTraversal: Rule = {
  meta: {
    id: "path-traversal",
    title: "Tool input chooses a file path outside the allowed directory",
    severity: "high",
    cwe: "CWE-22",
    confidence: "high",
    languages: ["typescript", "javascript", "python"],
    references: [
      "https://cwe.mitre.org/data/definitions/22.html",
      "https://github.com/modelcontextprotocol/servers/security/advisories/GHSA-hc55-p739-j48w",
      "https://nodejs.org/api/path.html#pathrelativefrom-to",
      "https://owasp.org/www-community/attacks/Path_Traversal",
    ],
    description:
      "An MCP handler passes tool, resource or prompt input to a filesystem call without checking that the resolved path stays inside the directory the server is meant to expose. `../`, an absolute path or a symlink then reads or writes any file the server can reach: SSH keys, cloud credentials, other MCP servers' configs. A prefix check without a separator (`full.startsWith(root)`) lets `/data-evil` pass for `/data`.",
    mentions: /\bfs\b|fs-extra|graceful-fs|sendFile|\.startsWith\(\s*[\w.]*(?:root|dir|base|allowed|home|workspace|folder|sandbox|prefix)/i,
    mentionsPython: MENTIONS_PY,
  },
  checkPython,
  check(ctx) {
    for (const call of descendantsOfKind(ctx.sourceFile, SyntaxKind.CallExpression)) {
      const callee = call.getExpression();
      if (Node.isPropertyAccessExpression(callee) && callee.getName() === "startsWith") {
        checkPrefixCheck(ctx, call);
        continue;
      }
      const calleeName = Node.isPropertyAccessExpression(callee) ? callee.getName() : callee.getText();
      if (!(calleeName in FS_PATH_ARGS) && !RESPONSE_METHODS.has(calleeName)) continue;
      const ref = moduleRefOf(callee);
      let indexes: readonly number[] | undefined;
      if (ref && FS_MODULES.has(ref.module)) indexes = FS_PATH_ARGS[ref.name];
      else if (Node.isPropertyAccessExpression(callee) && RESPONSE_METHODS.has(callee.getName())) indexes = [0];
      if (!indexes) continue;
      const name = ref?.name ?? (callee as import("ts-morph").PropertyAccessExpression).getName();
      for (const index of indexes) {
        const arg = call.getArguments()[index];
        if (!arg || constantString(arg) !== undefined) continue;
        const sources = ctx.taint.sourcesOf(arg, PATH_CONTAINMENT);
        if (sources.length === 0) continue;
        const fn = callee.getText().replace(/\s+/g, "");
        ctx.report({
          node: call,
          // Writing or deleting any file the server can reach is code execution one step away (~/.bashrc, ~/.ssh/authorized_keys).
          severity: WRITES.test(name) ? "critical" : "high",
          message:
            `${describeSources(sources)} reaches the path of \`${fn}(${abbreviate(arg)})\` with no containment check. ` +
            "`../` segments, an absolute path or a symlink let the caller " + (WRITES.test(name) ? "write or delete" : "read") +
            " any file the server process can reach — SSH keys, `.env` files, cloud credentials, other MCP servers' configs.",
          remediation: remediation(call, arg, fn),
        });
        break;
      }
    }
  },
};

/** The root a path is built on and the input part, as written: `path.join(ROOT, name)` → ROOT, name. */
function partsOf(arg: Node): { root?: string; input: string } {
  let node = unwrap(arg);
  if (Node.isIdentifier(node)) {
    const decl = declarationOf(node);
    const init = decl ? constInitializer(decl) : undefined;
    if (init) node = unwrap(init);
    else return { input: arg.getText() };
  }
  if (Node.isCallExpression(node) && /(?:^|\.)(?:join|resolve)$/.test(node.getExpression().getText()) && node.getArguments().length >= 2) {
    const [first, ...rest] = node.getArguments();
    return { root: first!.getText(), input: rest.map((r) => r.getText()).join(", ") };
  }
  if (Node.isTemplateExpression(node) && node.getHead().getLiteralText() === "" && node.getTemplateSpans().length >= 2) {
    const [first, ...rest] = node.getTemplateSpans();
    const tail = "`" + rest.map((s, i) => (i === 0 ? first!.getLiteral().getLiteralText().replace(/^\//, "") : "") + "${" + s.getExpression().getText() + "}" + s.getLiteral().getLiteralText()).join("") + "`";
    return { root: first!.getExpression().getText(), input: tail };
  }
  return { input: abbreviate(arg, 60) };
}

function remediation(call: CallExpression, arg: Node, fn: string): string {
  const { root = "ALLOWED_ROOT", input } = partsOf(arg);
  const sync = /Sync$/.test(fn);
  const writes = WRITES.test(fn);
  const name = /^(?:target|resolved)$/.test(input) ? "safePath" : "target";
  const rest = call.getArguments().filter((a) => a !== arg).map((a) => abbreviate(a, 30));
  const resolved = writes ? `path.resolve(${root}, ${input})` : `${sync ? "fs.realpathSync" : "await fs.promises.realpath"}(path.resolve(${root}, ${input}))`;
  const lines = [
    `Resolve the path against the directory this server exposes${writes ? "" : ", resolve symlinks"}, and refuse anything that lands outside it before calling \`${fn}\`:`,
    "",
    "```ts",
    `const ${name} = ${resolved};`,
    `const rel = path.relative(${root}, ${name});`,
    `if (rel.startsWith("..") || path.isAbsolute(rel)) throw new Error("path is outside ${root}");`,
    `${fn}(${[name, ...rest].join(", ")});`,
    "```",
    "",
    ...(writes ? ["The file may not exist yet: resolve symlinks on its parent directory (`fs.realpath(path.dirname(...))`) and check that instead, so a link inside the root cannot redirect the write.", ""] : []),
    `\`${root}\` must itself be an absolute, real path (\`fs.realpathSync(path.resolve(...))\` once at startup). ` +
      "Do not compare with a bare prefix (`target.startsWith(root)`): `/data-evil` starts with `/data`. If the tool only needs a file name, use `path.basename(...)` of the input, or declare the allowed names as `z.enum([...])` in the tool's schema.",
  ];
  return lines.join("\n");
}

/** `full.startsWith(root)` on tool input with no trailing separator: `/data-evil` passes for `/data`. */
function checkPrefixCheck(ctx: RuleContext, call: CallExpression): void {
  const callee = call.getExpression() as import("ts-morph").PropertyAccessExpression;
  const prefix = call.getArguments()[0];
  if (!prefix || endsWithSeparator(prefix)) return;
  const literal = constantString(prefix);
  if (literal !== undefined && !literal.startsWith("/")) return;
  if (literal === undefined && !ROOT_NAME.test(prefix.getText())) return;
  const subject = callee.getExpression();
  const sources = ctx.taint.sourcesOf(subject);
  if (sources.length === 0) return;
  const subjectText = subject.getText();
  const prefixText = prefix.getText();
  ctx.report({
    node: call,
    message:
      `\`${abbreviate(call)}\` checks ${lowerFirst(describeSources(sources))} against a directory by prefix, without a path separator: ` +
      `a sibling such as \`${literal ?? "/allowed"}-evil/secret\` also starts with \`${prefixText}\` and passes. This exact flaw was CVE-2025-53110 in the reference filesystem MCP server.`,
    remediation: [
      "Compare whole path segments: resolve both sides, then check with `path.relative`, or require the separator after the root:",
      "",
      "```ts",
      `const rel = path.relative(${prefixText}, ${subjectText});`,
      `const inside = rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));`,
      `// or: ${subjectText} === ${prefixText} || ${subjectText}.startsWith(${prefixText} + path.sep)`,
      "```",
      "",
      "Resolve symlinks (`fs.realpath`) on the path before the check, or a link inside the root can still point outside it.",
    ].join("\n"),
  });
}

function lowerFirst(text: string): string {
  return /^HTTP/.test(text) ? text : text.charAt(0).toLowerCase() + text.slice(1);
}

function endsWithSeparator(prefix: Node): boolean {
  const node = unwrap(prefix);
  const text = node.getText();
  if (/(?:\+\s*(?:path\.)?sep|\+\s*["'`][/\\]{1,2}["'`])$/.test(text) || /\bsep\b\s*\)?$/.test(text)) return true;
  const literal = constantString(node);
  if (literal !== undefined) return /[/\\]$/.test(literal);
  // dir.replace(/\/?$/, "/"): a separator appended unless already there
  if (Node.isCallExpression(node) && /\.replace(?:All)?$/.test(node.getExpression().getText())) {
    const replacement = node.getArguments()[1];
    const value = replacement ? constantString(replacement) : undefined;
    if (value !== undefined && /[/\\]$/.test(value)) return true;
  }
  if (Node.isTemplateExpression(node)) return /[/\\]$/.test(node.getLastChild()?.getText().replace(/`$/, "") ?? "") || /\$\{(?:path\.)?sep\}`$/.test(text);
  if (Node.isIdentifier(node)) {
    const decl = declarationOf(node);
    const init = decl && Node.isVariableDeclaration(decl) ? decl.getInitializer() : undefined;
    return init ? endsWithSeparator(init) : false;
  }
  return false;
}
