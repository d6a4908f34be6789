import type { PythonRuleContext } from "../../src/engine/python/context.js";
import { nodesWithin, type PythonModule } from "../../src/engine/python/module.js";
import { inputLabel } from "../../src/engine/python/describe.js";
import type { PyNode } from "../../src/engine/python/parser.js";
import { listElements } from "../../src/engine/python/pieces.js";
import { abbreviatePy, callArgs, calleeOf, constantString, unwrapPy } from "../../src/engine/python/values.js";
import { DANGEROUS_OPTIONS } from "../../src/engine/program-options.js";

const ARGV_FUNCTIONS = new Set(["subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output", "subprocess.Popen"]);
const EXEC_FUNCTIONS = new Set(["asyncio.create_subprocess_exec", "os.execv", "os.execvp", "os.execvpe", "os.spawnv", "os.spawnvp"]);
const SHELL_PROGRAM = /^(?:\/(?:usr\/)?bin\/)?(?:sh|bash|zsh|dash|ksh|fish|cmd(?:\.exe)?|powershell(?:\.exe)?|pwsh)$/i;
const END_OF_OPTIONS = new Set(["--", "--end-of-options"]);
/** Options whose next argument is their value: a value after them is never read as an option (`git -C <dir>`, `grep -e <pattern>`). */
const VALUE_OPTIONS = new Set(["-C", "-e", "--regexp", "-m", "--message", "--git-dir", "--work-tree", "--directory"]);

/** Methods of GitPython's `Git` object that are not git subcommands. */
const GIT_OBJECT_METHODS = new Set([
  "execute", "clear_cache", "update_environment", "custom_environment", "set_persistent_git_options", "version_info",
  "get_object_header", "get_object_data", "stream_object_data", "transform_kwargs", "transform_kwarg", "refresh", "polish_url", "is_cygwin",
]);

/** Text pre-filter: a process started with an argument list, or GitPython. */
export const MENTIONS_PY = /\b(?:subprocess|create_subprocess_exec|execv\w*|spawnv\w*)\b|\.git\.\w+\(|\bGit\(|\[\s*["'][\w./-]+["']\s*,/;

/** The argv list a call runs without a shell, or undefined when the call starts no process that way. */
export function argvArgument(module: PythonModule, call: PyNode): PyNode | undefined {
  const fn = module.qualifiedName(calleeOf(call)!) ?? "";
  const args = callArgs(call);
  if (ARGV_FUNCTIONS.has(fn)) {
    const shell = args.keywords.get("shell");
    if (shell && shell.text !== "False") return undefined;
    return args.positional[0] ?? args.keywords.get("args");
  }
  // `asyncio.create_subprocess_exec(*cmd)`
  if (fn === "asyncio.create_subprocess_exec" && args.positional.length === 0) return args.listSplats[0];
  return undefined;
}

/**
 * The Python check of argument-injection: tool input as an element of an argv list, before any `--`, where it can start with `-`:
 * lists given to `subprocess` and `exec*` here or built here and handed to a helper that runs them, and GitPython's
 * `repo.git.<command>(...)`, whose positional arguments are git's argv.
 */
export function checkPython(ctx: PythonRuleContext): void {
  for (const call of ctx.module.nodesOf("call")) {
    const fn = ctx.module.qualifiedName(calleeOf(call)!) ?? "";
    const args = callArgs(call);
    let elements: readonly PyNode[] | undefined;
    if (ARGV_FUNCTIONS.has(fn)) {
      const shell = args.keywords.get("shell");
      if (shell && shell.text !== "False") continue; // command-injection's case
      elements = listElements(unwrapPy(args.positional[0] ?? args.keywords.get("args") ?? call));
    } else if (fn === "asyncio.create_subprocess_exec" && args.positional.length === 0 && args.listSplats.length === 1) {
      // `create_subprocess_exec(*cmd)` with `cmd` built before.
      elements = listElements(args.listSplats[0]!);
    } else if (EXEC_FUNCTIONS.has(fn)) {
      const rest = fn.startsWith("asyncio") ? args.positional : args.positional.slice(fn.startsWith("os.spawn") ? 2 : 1, fn.startsWith("os.spawn") ? 3 : 2);
      elements = fn.startsWith("asyncio") ? rest : rest[0] && (unwrapPy(rest[0]).type === "list" || unwrapPy(rest[0]).type === "tuple") ? unwrapPy(rest[0]).namedChildren.filter((e): e is PyNode => !!e) : undefined;
    } else {
      const git = gitPythonCommand(ctx.module, call);
      if (git) {
        checkElements(ctx, call, ["git", git.subcommand], git.elements, 0, { gitPython: true });
        continue;
      }
      // An argument list built here and run by a helper: `run_command(cmd)` → `subprocess.run(cmd_list)`.
      for (const forwarded of ctx.taint.forwardedArguments(call, argvArgument)) {
        const list = listElements(unwrapPy(forwarded.argument));
        if (list && list.length >= 2 && checkElements(ctx, call, [], list, 1, { via: forwarded.sink, viaPath: forwarded.sinkModule.path, argv: forwarded.argument })) break;
      }
      continue;
    }
    if (!elements || elements.length < 2) continue;
    checkElements(ctx, call, [], elements, 1, { argv: unwrapPy(args.positional[0] ?? args.keywords.get("args") ?? args.listSplats[0] ?? call) });
  }
}

/**
 * `repo.git.checkout(branch)`, `self.repo.git.diff("--stat", target)`, `git.Git(path).log(ref)`: the subcommand
 * (GitPython turns `rev_parse` into `rev-parse`) and the positional arguments, `*spread` ones included, in order.
 */
function gitPythonCommand(module: PythonModule, call: PyNode): { subcommand: string; elements: PyNode[] } | undefined {
  const callee = calleeOf(call)!;
  if (callee.type !== "attribute" || !module.importsModule("git")) return undefined;
  const method = callee.childForFieldName("attribute")!.text;
  if (method.startsWith("_") || GIT_OBJECT_METHODS.has(method)) return undefined;
  if (!isGitObject(module, unwrapPy(callee.childForFieldName("object")!), 0)) return undefined;
  const elements = (call.childForFieldName("arguments")?.namedChildren ?? []).filter((a): a is PyNode => !!a && a.type !== "comment" && a.type !== "keyword_argument" && a.type !== "dictionary_splat");
  return { subcommand: method.replace(/_/g, "-"), elements };
}

function isGitObject(module: PythonModule, object: PyNode, depth: number): boolean {
  if (object.type === "attribute") return object.childForFieldName("attribute")!.text === "git" && module.qualifiedName(object) !== "git.git";
  if (object.type === "call") return /^git\.(?:cmd\.)?Git$/.test(module.qualifiedName(object.childForFieldName("function")!) ?? "");
  if (object.type === "identifier" && depth < 2) {
    const value = assignedOnce(object);
    return !!value && isGitObject(module, unwrapPy(value), depth + 1);
  }
  return false;
}

/** The value of the only plain assignment to a name in its function. */
function assignedOnce(name: PyNode): PyNode | undefined {
  let fn: PyNode | null = name.parent;
  while (fn && fn.type !== "function_definition") fn = fn.parent;
  if (!fn) return undefined;
  const values = nodesWithin(fn, "assignment").filter((a) => a?.childForFieldName("left")?.text === name.text);
  return values.length === 1 ? (values[0]!.childForFieldName("right") ?? undefined) : undefined;
}

/**
 * Reports the first element from `start` on that tool input reaches before a `--`, unless a constant prefix or an option taking a
 * value protects it. `program` is the argv head when the elements do not start with it (GitPython's `git <subcommand>`).
 */
function checkElements(ctx: PythonRuleContext, call: PyNode, program: string[], elements: readonly PyNode[], start: number, how: { gitPython?: boolean; via?: PyNode; viaPath?: string; argv?: PyNode }): boolean {
  const name = program[0] ?? constantString(elements[0]!, ctx.module);
  if (name === undefined || SHELL_PROGRAM.test(name.trim())) return false;
  const candidates: { index: number; afterOption: boolean }[] = [];
  for (let i = start; i < elements.length; i++) {
    const element = elements[i]!;
    const literal = constantString(element, ctx.module);
    if (literal !== undefined) {
      if (END_OF_OPTIONS.has(literal)) break;
      continue;
    }
    const previous = i > 0 ? constantString(elements[i - 1]!, ctx.module) : undefined;
    if (element.type === "list_splat" || hasConstantPrefix(element) || VALUE_OPTIONS.has(previous ?? "")) continue;
    if (!ctx.taint.isTainted(element, "argument")) continue;
    candidates.push({ index: i, afterOption: /^-/.test(previous ?? "") });
  }
  // Right after an option (`-p`, `-o`) the value may be that option's; an element after no option is surely an operand.
  const chosen = candidates.find((c) => !c.afterOption) ?? candidates[0];
  if (!chosen) return false;
  // A list built before the call: asking about the argument itself gives the finding its trace.
  if (how.argv) ctx.taint.isTainted(how.argv, "argument");
  report(ctx, call, [...program, ...(program.length > 0 ? [] : [name])].join(" "), elements, chosen.index, how);
  return true;
}

/** `f"--branch={name}"` or `"refs/heads/" + name`: the value cannot start with `-`. */
function hasConstantPrefix(element: PyNode): boolean {
  const e = unwrapPy(element);
  if (e.type === "string") {
    const first = e.namedChildren.find((c) => c?.type === "string_content" || c?.type === "interpolation");
    return first?.type === "string_content" && first.text.length > 0;
  }
  if (e.type === "binary_operator" && e.childForFieldName("operator")?.type === "+") {
    const left = e.childForFieldName("left")!;
    return (left.type === "string" && !left.namedChildren.some((c) => c?.type === "interpolation")) || hasConstantPrefix(left);
  }
  return false;
}

function report(ctx: PythonRuleContext, call: PyNode, command: string, elements: readonly PyNode[], index: number, how: { gitPython?: boolean; via?: PyNode; viaPath?: string }): void {
  const element = elements[index]!;
  const base = command.split(" ")[0]!.split("/").pop()!;
  const shown = how.gitPython ? command : base;
  const danger = DANGEROUS_OPTIONS[base];
  // For git, `--` would turn a revision into a path; `--end-of-options` ends options and keeps it a revision.
  const end = base === "git" ? '"--end-of-options"' : '"--"';
  const fixed = [...elements.slice(0, index).map((e) => e.text), end, ...elements.slice(index).map((e) => e.text)].join(", ");
  const callee = calleeOf(call)!.text;
  const where = how.via ? ` \`${callee}\` runs the list with \`${abbreviatePy(how.via, 40)}\` (${how.viaPath && how.viaPath !== ctx.path ? `${how.viaPath}, ` : ""}line ${how.via.startPosition.row + 1}).` : "";
  ctx.report({
    node: call,
    message:
      `${inputLabel(ctx.taint.sourcesOf(element, "argument"))} is passed to \`${shown}\` as \`${abbreviatePy(element, 30)}\` with no \`--\` before it, so a value starting with \`-\` is read as an option` +
      (danger ? `: for ${base}, ${danger} runs a command or writes a file.` : ", which can change what the program does (write files, read other files, run helpers).") +
      where,
    remediation: [
      `End option parsing before the input with \`${end.replace(/"/g, "")}\`, so it is always an operand:`,
      "",
      "```python",
      how.gitPython ? `${callee}(${fixed}${callArgs(call).keywords.size ? ", ..." : ""})` : how.via ? `[${fixed}]  # the list given to ${callee}` : `${callee}([${fixed}]${callArgs(call).keywords.size ? ", ..." : ""})`,
      "```",
      "",
      "If the program does not accept `--` there, reject values starting with `-` first (`if value.startswith(\"-\"): raise ValueError(...)`), or constrain the input (a `Literal[...]` type, `re.fullmatch(r\"[\\w./]+\", value)` without a leading `-`).",
    ].join("\n"),
  });
}
