import type { PythonRuleContext } from "../../src/engine/python/context.js";
import { inputLabel } from "../../src/engine/python/describe.js";
import type { PyNode } from "../../src/engine/python/parser.js";
import { abbreviatePy, callArgs, constantString } from "../../src/engine/python/values.js";

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
};
/** pathlib methods that read, write, list or delete the path they are called on. */
const PATH_METHODS = new Set([
  "read_text", "read_bytes", "write_text", "write_bytes", "open", "unlink", "rmdir", "mkdir", "iterdir", "glob", "rglob",
  "rename", "replace", "touch", "symlink_to", "hardlink_to", "chmod",
]);

/** Text pre-filter: a filesystem call. */
export const MENTIONS_PY = /\b(?:open|os|shutil|pathlib|Path|FileResponse|send_file|glob|tarfile|zipfile)\b/;

/** The Python check of path-traversal: `open`, `os.*`, `shutil.*` and pathlib reads and writes on tool input without a resolved containment check. */
export function checkPython(ctx: PythonRuleContext): void {
  for (const call of ctx.module.nodesOf("call")) {
    const callee = call.childForFieldName("function")!;
    const fn = ctx.module.qualifiedName(callee);
    const indexes = fn ? PATH_FUNCTIONS[fn] : undefined;
    if (indexes) {
      const args = callArgs(call);
      for (const index of indexes) {
        const arg = args.positional[index] ?? (index === 0 ? args.keywords.get("file") ?? args.keywords.get("path") ?? args.keywords.get("src") : index === 1 ? args.keywords.get("dst") : undefined);
        if (!arg || constantString(arg, ctx.module) !== undefined || !ctx.taint.isTainted(arg, "path")) continue;
        report(ctx, call, arg, `${callee.text}(${abbreviatePy(arg)})`, WRITES.test(fn!) || (fn === "open" && opensForWriting(call)));
        break;
      }
      continue;
    }
    if (callee.type !== "attribute") continue;
    const method = callee.childForFieldName("attribute")!.text;
    const receiver = callee.childForFieldName("object")!;
    if (!PATH_METHODS.has(method) || constantString(receiver, ctx.module) !== undefined) continue;
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
  const mode = args.keywords.get("mode") ?? args.positional[call.childForFieldName("function")!.type === "attribute" ? 0 : 1];
  return !!mode && /[wax+]/.test(constantString(mode) ?? "");
}

function report(ctx: PythonRuleContext, call: PyNode, path: PyNode, summary: string, writes: boolean): void {
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
      "ROOT = Path(ALLOWED_DIR).resolve()",
      `target = (ROOT / ${p}).resolve()`,
      "if not target.is_relative_to(ROOT):",
      `    raise ValueError(f"path outside {ROOT}: {${/^\w+$/.test(p) ? p : "target"}}")`,
      "```",
      "",
      "Then use `target`. `os.path.commonpath([ROOT, os.path.realpath(p)]) == ROOT` works too. A prefix check is only safe with the separator: `str(target).startswith(str(ROOT) + os.sep)`; `startswith(ROOT)` alone lets `/data-evil` pass for `/data`. " +
        "If the tool only needs a file name, reduce the input to `os.path.basename(...)` and reject `..`.",
    ].join("\n"),
  });
}
