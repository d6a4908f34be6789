import type { PythonRuleContext } from "../../src/engine/python/context.js";
import { inputLabel } from "../../src/engine/python/describe.js";
import type { PyNode } from "../../src/engine/python/parser.js";
import { abbreviatePy, callArgs, calleeOf, constantString, unwrapPy } from "../../src/engine/python/values.js";

/** Functions that open, write, list, move or delete a path, and which arguments are paths. */
const PATH_FUNCTIONS: Record<string, readonly number[]> = {
  open: [0], "io.open": [0], "codecs.open": [0], "os.open": [0], "aiofiles.open": [0], "builtins.open": [0],
  "os.remove": [0], "os.unlink": [0], "os.rmdir": [0], "os.removedirs": [0], "os.rename": [0, 1], "os.replace": [0, 1],
  "os.makedirs": [0], "os.mkdir": [0], "os.listdir": [0], "os.scandir": [0], "os.walk": [0], "os.chmod": [0], "os.chown": [0],
  "os.symlink": [0, 1], "os.link": [0, 1], "os.truncate": [0],
  "shutil.copy": [0, 1], "shutil.copy2": [0, 1], "shutil.copyfile": [0, 1], "shutil.copytree": [0, 1], "shutil.move": [0, 1],
  "shutil.rmtree": [0], "shutil.unpack_archive": [0, 1], "shutil.make_archive": [0, 2],
  "starlette.responses.FileResponse": [0], "fastapi.responses.FileResponse": [0], "flask.send_file": [0],
  "aiofiles.os.remove": [0], "glob.glob": [0], "tarfile.open": [0], "zipfile.ZipFile": [0],
  // GitPython: the repository a tool works on, and where a clone or a new repository goes.
  "git.Repo": [0], "git.Repo.init": [0], "git.Repo.clone_from": [1], "git.repo.Repo": [0], "git.repo.base.Repo": [0],
};
/** GitPython's index: `repo.index.add(paths)` stages files by path, also outside the work tree (`../`). */
const GIT_INDEX_METHODS = new Set(["add", "remove", "move"]);
/** pathlib methods that read, write, list or delete the path they are called on. */
const PATH_METHODS = new Set([
  "read_text", "read_bytes", "write_text", "write_bytes", "open", "unlink", "rmdir", "mkdir", "iterdir", "glob", "rglob",
  "rename", "replace", "touch", "symlink_to", "hardlink_to", "chmod",
]);

/** Text pre-filter: a filesystem call. */
export const MENTIONS_PY = /\b(?:open|os|shutil|pathlib|Path|FileResponse|send_file|glob|tarfile|zipfile|git|Repo)\b/;

const ROOT_NAME = /root|dir|base|allowed|home|workspace|folder|sandbox|prefix|cwd/i;

/**
 * The Python check of path-traversal: `open`, `os.*`, `shutil.*`, pathlib and GitPython reads and writes on tool input
 * without a resolved containment check, and containment checks that cannot hold (see `checkContainment`).
 */
export function checkPython(ctx: PythonRuleContext): void {
  checkContainment(ctx);
  for (const call of ctx.module.nodesOf("call")) {
    const callee = calleeOf(call)!;
    const fn = ctx.module.qualifiedName(callee);
    const indexes = fn ? PATH_FUNCTIONS[fn] : undefined;
    if (indexes) {
      const args = callArgs(call);
      for (const index of indexes) {
        const arg = args.positional[index] ?? (index === 0 ? args.keywords.get("file") ?? args.keywords.get("path") ?? args.keywords.get("src") : index === 1 ? args.keywords.get("dst") ?? args.keywords.get("to_path") : undefined);
        if (!arg || constantString(arg, ctx.module) !== undefined || !ctx.taint.isTainted(arg, "path")) continue;
        report(ctx, call, arg, `${callee.text}(${abbreviatePy(arg)})`, WRITES.test(fn!) || (fn === "open" && opensForWriting(call)));
        break;
      }
      continue;
    }
    if (callee.type !== "attribute") continue;
    const method = callee.childForFieldName("attribute")!.text;
    const receiver = callee.childForFieldName("object")!;
    if (GIT_INDEX_METHODS.has(method) && receiver.type === "attribute" && receiver.childForFieldName("attribute")!.text === "index" && ctx.module.importsModule("git")) {
      const items = callArgs(call).positional[0] ?? callArgs(call).keywords.get("items");
      if (items && constantString(items, ctx.module) === undefined && ctx.taint.isTainted(items, "path")) report(ctx, call, items, `${callee.text}(${abbreviatePy(items)})`, method !== "add");
      continue;
    }
    if (!PATH_METHODS.has(method) || constantString(receiver, ctx.module) !== undefined) continue;
    // `text.replace(old, new)` is the string method; pathlib's `replace(target)` takes one path.
    if ((method === "replace" || method === "rename") && callArgs(call).positional.length > 1) continue;
    // `open` and `glob` exist on other objects too; a pathlib receiver is built with Path or `/`.
    if ((method === "open" || method === "glob" || method === "replace" || method === "rename" || method === "chmod") && !looksLikePath(ctx, receiver)) continue;
    if (!ctx.taint.isTainted(receiver, "path")) continue;
    report(ctx, call, receiver, `${abbreviatePy(receiver)}.${method}(...)`, WRITES.test(method) || (method === "open" && opensForWriting(call)));
  }
}

function looksLikePath(ctx: PythonRuleContext, receiver: PyNode): boolean {
  return /\bPath\(|\/|\.resolve\(|joinpath|path|file|dir|root|base/i.test(receiver.text) || receiver.type === "binary_operator";
}

/** Writing, moving or deleting: critical, as in the TypeScript check. */
const WRITES = /write|append|remove|unlink|rmdir|rmtree|rename|replace|copy|move|mkdir|makedirs|chmod|chown|truncate|symlink|link|touch|unpack_archive|make_archive/i;

/** `open(path, "w")`, `"a"`, `"x"`, `"+"`. */
function opensForWriting(call: PyNode): boolean {
  const args = callArgs(call);
  const mode = args.keywords.get("mode") ?? args.positional[calleeOf(call)!.type === "attribute" ? 0 : 1];
  return !!mode && /[wax+]/.test(constantString(mode) ?? "");
}

/** `BASE / name` or `self.root / name`: the root a path expression joins its input to, as written. */
function joinedRoot(path: PyNode): string | undefined {
  let e = unwrapPy(path);
  while (e.type === "binary_operator" && e.childForFieldName("operator")?.type === "/") {
    const left = unwrapPy(e.childForFieldName("left")!);
    if (left.type === "identifier" || left.type === "attribute") return left.text;
    e = left;
  }
  return undefined;
}

/** Statements already reported, with the path text: `list(p.rglob("*.py")) + list(p.rglob("*.ts"))` is one finding. */
const reported = new WeakMap<PythonRuleContext, Set<string>>();

function report(ctx: PythonRuleContext, call: PyNode, path: PyNode, summary: string, writes: boolean): void {
  let seen = reported.get(ctx);
  if (!seen) reported.set(ctx, (seen = new Set()));
  let statement = call;
  while (statement.parent && statement.parent.type !== "block" && statement.parent.type !== "module") statement = statement.parent;
  const key = `${statement.id}:${path.text}:${writes}`;
  if (seen.has(key)) return;
  seen.add(key);
  const p = abbreviatePy(path, 40);
  ctx.report({
    node: call,
    severity: writes ? "critical" : "high",
    message:
      `${inputLabel(ctx.taint.sourcesOf(path, "path"))} chooses the path of \`${summary}\` with no check that the resolved path stays inside the directory the server is meant to expose. ` +
      (writes
        ? "`../`, an absolute path or a symlink then let the caller write or delete any file the server can: shell profiles, SSH authorized_keys, other MCP servers' configs."
        : "`../`, an absolute path or a symlink then let the caller read any file the server can: SSH keys, cloud credentials, other MCP servers' configs."),
    remediation: [
      "Resolve the path (following symlinks) and check that it is inside the allowed root before using it:",
      "",
      "```python",
      // A path already joined to its root (`BASE / name`) is resolved as written and checked against that root.
      ...(joinedRoot(path) ? [`ROOT = ${joinedRoot(path)}.resolve()`, `target = (${abbreviatePy(path, 60)}).resolve()`] : ["ROOT = Path(ALLOWED_DIR).resolve()", `target = (ROOT / ${p}).resolve()`]),
      "if not target.is_relative_to(ROOT):",
      `    raise ValueError(f"path outside {ROOT}: {${/^\w+$/.test(p) ? p : "target"}}")`,
      "```",
      "",
      "Then use `target`. `os.path.commonpath([ROOT, os.path.realpath(p)]) == ROOT` works too. A prefix check is only safe with the separator: `str(target).startswith(str(ROOT) + os.sep)`; `startswith(ROOT)` alone lets `/data-evil` pass for `/data`. " +
        "If the tool only needs a file name, reduce the input to `os.path.basename(...)` and reject `..`.",
    ].join("\n"),
  });
}

/**
 * A containment check on tool input that `..` or a sibling directory passes: `is_relative_to`, `relative_to`,
 * `ROOT in p.parents`, `commonpath` or a root prefix on a path that was never resolved or normalized
 * (`Path.absolute()` and `os.path.join` keep `..`), `os.path.commonprefix` (it compares characters), and a
 * root prefix without a separator (`/data-evil` starts with `/data`).
 */
function checkContainment(ctx: PythonRuleContext): void {
  if (!/is_relative_to|relative_to|\.parents\b|commonpath|commonprefix|startswith/.test(ctx.module.text)) return;
  for (const node of ctx.module.nodesOf("call", "comparison_operator")) {
    const check = containmentCheck(ctx, node);
    if (!check) continue;
    // `..` matters where the path was never normalized; a missing separator or a character prefix wherever input reaches.
    const sources = ctx.taint.sourcesOf(check.subject, check.flaw === "unresolved" ? "traversal" : "path");
    if (sources.length > 0) reportCheck(ctx, node, check, sources);
  }
}

type Containment = { subject: PyNode; root: PyNode | undefined; flaw: "unresolved" | "prefix" | "characters" };

function containmentCheck(ctx: PythonRuleContext, node: PyNode): Containment | undefined {
  if (node.type === "comparison_operator") {
    // `ROOT in path.absolute().parents`
    const [left, right] = node.namedChildren;
    const op = node.children.filter((c) => !!c && !c.isNamed).map((c) => c!.type).join(" ");
    if ((op === "in" || op === "not in") && left && right?.type === "attribute" && right.childForFieldName("attribute")!.text === "parents") {
      return { subject: right.childForFieldName("object")!, root: left, flaw: "unresolved" };
    }
    return undefined;
  }
  const callee = node.childForFieldName("function")!;
  const args = callArgs(node);
  const fn = ctx.module.qualifiedName(callee) ?? "";
  if (fn === "os.path.commonprefix" || fn === "os.path.commonpath") {
    const list = args.positional[0] ? unwrapPyList(args.positional[0]) : [];
    // `commonpath([root, p]) == root` is the check; the result used otherwise is not.
    if (node.parent?.type !== "comparison_operator") return undefined;
    const subject = list.find((e) => ctx.taint.isTainted(e, "path"));
    const root = list.find((e) => e !== subject);
    return subject ? { subject, root, flaw: fn.endsWith("commonprefix") ? "characters" : "unresolved" } : undefined;
  }
  if (callee.type !== "attribute") return undefined;
  const method = callee.childForFieldName("attribute")!.text;
  const receiver = callee.childForFieldName("object")!;
  const root = args.positional[0];
  if (method === "is_relative_to") return root ? { subject: receiver, root, flaw: "unresolved" } : undefined;
  // `p.relative_to(ROOT)` as a statement of its own raises for a path outside: the check idiom. Its value used is a relative path.
  if (method === "relative_to") return root && node.parent?.type === "expression_statement" ? { subject: receiver, root, flaw: "unresolved" } : undefined;
  if (method !== "startswith" || !root) return undefined;
  // A directory prefix on a path: not `arn.startswith(VALID_PREFIXES)` or `url.startswith(BASE)`.
  const literal = constantString(root, ctx.module);
  // A directory with at least one segment: `startswith("/")` asks whether a path is absolute.
  const rootLike = literal !== undefined ? /^(?:\/|[A-Za-z]:\\)[^/\\\s]/.test(literal) : ROOT_NAME.test(root.text) && !/url|uri|prefix|scheme|host/i.test(root.text);
  if (!rootLike || !pathLike(receiver)) return undefined;
  if (!endsWithSeparator(ctx, root)) return { subject: receiver, root, flaw: "prefix" };
  return { subject: receiver, root, flaw: "unresolved" };
}

/** A value built as a path: pathlib, `os.path`, or a name that says so, here or where it was assigned in its function. */
function pathLike(expr: PyNode): boolean {
  const PATHY = /\bPath\(|os\.path\.|realpath|abspath|normpath|\.resolve\(|\/\s*\w|path|file|dir|folder|root/i;
  if (PATHY.test(expr.text)) return true;
  const name = expr.type === "identifier" ? expr.text : expr.type === "call" && /^str$/.test(expr.childForFieldName("function")!.text) ? callArgs(expr).positional[0]?.text : undefined;
  if (!name || !/^\w+$/.test(name)) return false;
  let fn: PyNode | null = expr.parent;
  while (fn && fn.type !== "function_definition") fn = fn.parent;
  const assigned = fn ? [...fn.text.matchAll(new RegExp(`\\b${name}\\s*(?::[^=\\n]+)?=\\s*([^\\n]+)`, "g"))].map((m) => m[1]!) : [];
  return assigned.some((v) => PATHY.test(v));
}

function unwrapPyList(node: PyNode): PyNode[] {
  const n = node.type === "parenthesized_expression" ? (node.namedChildren[0] ?? node) : node;
  return n.type === "list" || n.type === "tuple" ? n.namedChildren.filter((e): e is PyNode => !!e) : [];
}

/** `root + os.sep`, `root + "/"`, `f"{root}/"`, `os.path.join(root, "")`, a literal ending in `/`. */
function endsWithSeparator(ctx: PythonRuleContext, prefix: PyNode): boolean {
  const literal = constantString(prefix, ctx.module);
  if (literal !== undefined) return /[/\\]$/.test(literal);
  const text = prefix.text.replace(/\s+/g, "");
  return /(?:\+os\.sep|\+os\.path\.sep|\+["'][/\\]{1,2}["']|\/["']|os\.path\.join\([^)]*,["']{2}\))\)?$/.test(text);
}

function reportCheck(ctx: PythonRuleContext, node: PyNode, check: Containment, sources: ReturnType<PythonRuleContext["taint"]["sourcesOf"]>): void {
  const subject = abbreviatePy(check.subject, 40);
  const root = check.root ? abbreviatePy(check.root, 30) : "ROOT";
  const why =
    check.flaw === "prefix"
      ? `it compares by prefix without a path separator, so a sibling such as \`${root}-evil/secret\` also starts with \`${root}\` and passes.`
      : check.flaw === "characters"
        ? "`os.path.commonprefix` compares characters, not path segments, so a sibling such as `/data-evil` shares the prefix `/data`."
        : /\.absolute\(\)/.test(check.subject.text)
          ? `\`Path.absolute()\` does not collapse \`..\`, so \`${root}/../etc/passwd\` lies lexically inside \`${root}\` and passes, then opens a file outside it.`
          : `\`${subject}\` is never resolved or normalized, so \`..\` segments stay in it: \`${root}/../etc/passwd\` passes the check and then opens a file outside it.`;
  ctx.report({
    node,
    message: `\`${abbreviatePy(node, 60)}\` is meant to keep ${inputLabel(sources).replace(/^(?!HTTP)./, (c) => c.toLowerCase())} inside \`${root}\`, but ${why}`,
    remediation: [
      "Resolve the path (collapsing `..` and following symlinks) before comparing whole path segments:",
      "",
      "```python",
      `target = Path(${subject}).resolve()`,
      `if not target.is_relative_to(Path(${root}).resolve()):`,
      '    raise ValueError("path outside the allowed directory")',
      "```",
      "",
      "Then use `target`. `os.path.realpath(p)` with `os.path.commonpath([root, real]) == root`, or `real.startswith(root + os.sep)`, works too.",
    ].join("\n"),
  });
}
