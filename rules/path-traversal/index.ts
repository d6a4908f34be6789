import { Node, SyntaxKind, type CallExpression } from "ts-morph";
import { moduleRefOf } from "../../src/engine/imports.js";
import { describeSources } from "../../src/engine/mcp.js";
import type { Rule, RuleContext } from "../../src/engine/rule.js";
import { CONTAINMENT_HELPER, PATH_CONTAINMENT } from "../../src/engine/sanitizers.js";
import { isFunctionLike } from "../../src/engine/taint.js";
import { abbreviate, constantString, constInitializer, declarationOf, descendantsOfKind, unwrap } from "../../src/engine/values.js";
import { checkPython } from "./python.js";
import { meta } from "./meta.js";

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
  meta,
  checkPython,
  check(ctx) {
    checkUnresolvedFallbacks(ctx);
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

/** `fs.realpath(p)`, `fs.promises.realpath(p)`, `realpathSync(p)`, `realpath.native(p)`. */
function isRealpath(call: CallExpression): boolean {
  const callee = call.getExpression();
  const ref = moduleRefOf(callee);
  if (ref && FS_MODULES.has(ref.module)) return /^realpath(?:Sync)?$/.test(ref.name);
  return /(?:^|\.)realpath(?:Sync)?(?:\.native)?$/.test(callee.getText().replace(/\s+/g, ""));
}

/** True when every path through the block ends in `throw` or `return` at its top level. */
function alwaysExits(block: Node): boolean {
  const last = Node.isBlock(block) ? block.getStatements().at(-1) : block;
  return !!last && (Node.isThrowStatement(last) || Node.isReturnStatement(last));
}

/** The same value as `text`, as written: `p`, `(p)`, `p as string`. */
function isSameValue(node: Node | undefined, text: string): boolean {
  return !!node && unwrap(node).getText() === text;
}

/**
 * A path validator that swallows realpath's failure and goes on with the unresolved path:
 * `try { real = await fs.realpath(p) } catch (e) { if (e.code !== "ENOENT") throw e }` then
 * `const checked = real ?? p` (or `catch { return p }`, `catch { real = p }`). A file that does not
 * exist yet — every write of a new file — is then checked and used unresolved, so a symlinked
 * directory inside the allowed root sends it anywhere. Resolving the parent directory in the
 * catch (another realpath) is the fix, and is not reported.
 */
function checkUnresolvedFallbacks(ctx: RuleContext): void {
  for (const attempt of descendantsOfKind(ctx.sourceFile, SyntaxKind.TryStatement)) {
    const handler = attempt.getCatchClause()?.getBlock();
    if (!handler || descendantsOfKind(handler, SyntaxKind.CallExpression).some(isRealpath)) continue;
    const resolving = descendantsOfKind(attempt.getTryBlock(), SyntaxKind.CallExpression).find(isRealpath);
    const input = resolving?.getArguments()[0];
    if (!resolving || !input) continue;
    const unresolved = unwrap(input).getText();
    // Where the resolved path is kept: `real = await fs.realpath(p)` or `const real = ...`.
    let holder: Node | undefined = resolving.getParent();
    while (holder && (Node.isAwaitExpression(holder) || Node.isParenthesizedExpression(holder) || Node.isAsExpression(holder))) holder = holder.getParent();
    const held = holder && Node.isBinaryExpression(holder) && holder.getOperatorToken().getKind() === SyntaxKind.EqualsToken ? unwrap(holder.getLeft()).getText() : undefined;
    const fn = attempt.getFirstAncestor((a) => isFunctionLike(a));
    if (!fn) continue;
    let fallback: Node | undefined;
    for (const ret of descendantsOfKind(handler, SyntaxKind.ReturnStatement)) if (isSameValue(ret.getExpression(), unresolved)) fallback ??= ret;
    for (const assignment of descendantsOfKind(handler, SyntaxKind.BinaryExpression)) {
      if (held && assignment.getOperatorToken().getKind() === SyntaxKind.EqualsToken && assignment.getLeft().getText() === held && isSameValue(assignment.getRight(), unresolved)) fallback ??= assignment;
    }
    if (!fallback && held && !alwaysExits(handler)) {
      for (const merge of descendantsOfKind(fn, SyntaxKind.BinaryExpression)) {
        if (merge.getPos() < attempt.getEnd() || !/^(?:\?\?|\|\|)$/.test(merge.getOperatorToken().getText())) continue;
        if (isSameValue(merge.getLeft(), held) && isSameValue(merge.getRight(), unresolved)) fallback ??= merge;
      }
    }
    if (!fallback) continue;
    // Only a validator: a function named as one, or one that checks containment on what it resolved.
    const name = functionName(fn);
    const checksContainment = descendantsOfKind(fn, SyntaxKind.CallExpression).some((c) => {
      const callee = c.getExpression();
      const called = Node.isPropertyAccessExpression(callee) ? callee.getName() : callee.getText();
      return (CONTAINMENT_HELPER.test(called) && !/^(?:resolve|join|normalize)$/.test(called)) || called === "startsWith" || called === "relative";
    });
    if (!checksContainment && !CONTAINMENT_HELPER.test(name ?? "")) continue;
    const where = name ? `\`${name}\`` : "this path check";
    ctx.report({
      node: fallback,
      message:
        `When \`${abbreviate(resolving, 50)}\` fails — as it does for a file that does not exist yet, i.e. every new file written — ${where} goes on with \`${unresolved}\` unresolved (\`${abbreviate(fallback, 50)}\`). ` +
        "A symlink inside an allowed directory pointing elsewhere is then never seen: the unresolved path passes the containment check and the write follows the link out of the sandbox.",
      remediation: [
        `Resolve the deepest part of the path that exists, and check and use that instead of \`${unresolved}\`:`,
        "",
        "```ts",
        `async function resolveForWrite(target: string): Promise<string> {`,
        `  const rest: string[] = [];`,
        `  for (let dir = target; ; dir = path.dirname(dir)) {`,
        `    try {`,
        `      return path.join(await fs.promises.realpath(dir), ...rest);`,
        `    } catch (error) {`,
        `      if ((error as NodeJS.ErrnoException).code !== "ENOENT" || path.dirname(dir) === dir) throw error;`,
        `      rest.unshift(path.basename(dir));`,
        `    }`,
        `  }`,
        `}`,
        "```",
        "",
        "Then run the containment check on the resolved path and return the resolved path, so the caller writes where the check looked.",
      ].join("\n"),
    });
  }
}

/** The name of the function a node is in: its declaration's, or for a nested arrow, the named function around it. */
function functionName(fn: Node): string | undefined {
  let variable: string | undefined;
  for (let cur: Node | undefined = fn; cur; cur = cur.getParent()) {
    if (Node.isFunctionDeclaration(cur) || Node.isMethodDeclaration(cur)) return cur.getName() ?? variable;
    if (Node.isVariableDeclaration(cur)) variable ??= cur.getName();
  }
  return variable;
}
