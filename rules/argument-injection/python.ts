import type { PythonRuleContext } from "../../src/engine/python/context.js";
import { inputLabel } from "../../src/engine/python/describe.js";
import type { PyNode } from "../../src/engine/python/parser.js";
import { abbreviatePy, callArgs, constantString, unwrapPy } from "../../src/engine/python/values.js";
import { DANGEROUS_OPTIONS } from "./index.js";

const ARGV_FUNCTIONS = new Set(["subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output", "subprocess.Popen"]);
const EXEC_FUNCTIONS = new Set(["asyncio.create_subprocess_exec", "os.execv", "os.execvp", "os.execvpe", "os.spawnv", "os.spawnvp"]);
const SHELL_PROGRAM = /^(?:\/(?:usr\/)?bin\/)?(?:sh|bash|zsh|dash|ksh|fish|cmd(?:\.exe)?|powershell(?:\.exe)?|pwsh)$/i;
const END_OF_OPTIONS = new Set(["--", "--end-of-options"]);
/** Options whose next argument is their value: a value after them is never read as an option (`git -C <dir>`, `grep -e <pattern>`). */
const VALUE_OPTIONS = new Set(["-C", "-e", "--regexp", "-m", "--message", "--git-dir", "--work-tree", "--directory"]);

/** Text pre-filter: a process started with an argument list. */
export const MENTIONS_PY = /\b(?:subprocess|create_subprocess_exec|execv\w*|spawnv\w*)\b/;

/** The Python check of argument-injection: tool input as an element of an argv list, before any `--`, where it can start with `-`. */
export function checkPython(ctx: PythonRuleContext): void {
  for (const call of ctx.module.nodesOf("call")) {
    const fn = ctx.module.qualifiedName(call.childForFieldName("function")!) ?? "";
    const args = callArgs(call);
    let elements: PyNode[] | undefined;
    if (ARGV_FUNCTIONS.has(fn)) {
      const shell = args.keywords.get("shell");
      if (shell && shell.text !== "False") continue; // command-injection's case
      const argv = unwrapPy(args.positional[0] ?? args.keywords.get("args") ?? call);
      if (argv.type === "list" || argv.type === "tuple") elements = argv.namedChildren.filter((e): e is PyNode => !!e && e.type !== "comment");
      else if (argv.type === "identifier") elements = builtList(argv);
    } else if (EXEC_FUNCTIONS.has(fn)) {
      const rest = fn.startsWith("asyncio") ? args.positional : args.positional.slice(fn.startsWith("os.spawn") ? 2 : 1, fn.startsWith("os.spawn") ? 3 : 2);
      elements = fn.startsWith("asyncio") ? rest : rest[0] && (unwrapPy(rest[0]).type === "list" || unwrapPy(rest[0]).type === "tuple") ? unwrapPy(rest[0]).namedChildren.filter((e): e is PyNode => !!e) : undefined;
    }
    if (!elements || elements.length < 2) continue;
    const program = constantString(elements[0]!, ctx.module);
    if (program === undefined || SHELL_PROGRAM.test(program.trim())) continue;
    for (let i = 1; i < elements.length; i++) {
      const element = elements[i]!;
      const literal = constantString(element, ctx.module);
      if (literal !== undefined) {
        if (END_OF_OPTIONS.has(literal)) break;
        continue;
      }
      if (element.type === "list_splat" || hasConstantPrefix(element) || VALUE_OPTIONS.has(constantString(elements[i - 1]!, ctx.module) ?? "")) continue;
      if (!ctx.taint.isTainted(element, "argument")) continue;
      report(ctx, call, program, elements, i);
      break;
    }
  }
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

function report(ctx: PythonRuleContext, call: PyNode, program: string, elements: PyNode[], index: number): void {
  const element = elements[index]!;
  const base = program.split("/").pop()!;
  const danger = DANGEROUS_OPTIONS[base];
  // For git, `--` would turn a revision into a path; `--end-of-options` ends options and keeps it a revision.
  const end = base === "git" ? '"--end-of-options"' : '"--"';
  const fixed = [...elements.slice(0, index).map((e) => e.text), end, ...elements.slice(index).map((e) => e.text)].join(", ");
  ctx.report({
    node: call,
    message:
      `${inputLabel(ctx.taint.sourcesOf(element, "argument"))} is passed to \`${base}\` as \`${abbreviatePy(element, 30)}\` with no \`--\` before it, so a value starting with \`-\` is read as an option` +
      (danger ? `: for ${base}, ${danger} runs a command or writes a file.` : ", which can change what the program does (write files, read other files, run helpers)."),
    remediation: [
      `End option parsing before the input with \`${end.replace(/"/g, "")}\`, so it is always an operand:`,
      "",
      "```python",
      `${call.childForFieldName("function")!.text}([${fixed}]${callArgs(call).keywords.size ? ", ..." : ""})`,
      "```",
      "",
      "If the program does not accept `--` there, reject values starting with `-` first (`if value.startswith(\"-\"): raise ValueError(...)`), or constrain the input (a `Literal[...]` type, `re.fullmatch(r\"[\\w./]+\", value)` without a leading `-`).",
    ].join("\n"),
  });
}

/**
 * The elements of an argument list built in a variable before the call, in order:
 * `args = ["git", "log"]`, then `args.append(x)`, `args.extend([...])`, `args += [...]`.
 * Undefined when the list is assigned more than once or changed in another way.
 */
function builtList(name: PyNode): PyNode[] | undefined {
  let fn: PyNode | null = name.parent;
  while (fn && fn.type !== "function_definition") fn = fn.parent;
  if (!fn) return undefined;
  let out: PyNode[] | undefined;
  const items = (list: PyNode | undefined) => (list && (list.type === "list" || list.type === "tuple") ? list.namedChildren.filter((e): e is PyNode => !!e && e.type !== "comment") : undefined);
  for (const node of fn.descendantsOfType(["assignment", "augmented_assignment", "call"])) {
    if (!node || node.startIndex >= name.startIndex) continue;
    if (node.type === "assignment" && node.childForFieldName("left")?.text === name.text) {
      if (out) return undefined;
      out = items(unwrapPy(node.childForFieldName("right")!));
      if (!out) return undefined;
    } else if (node.type === "augmented_assignment" && node.childForFieldName("left")?.text === name.text) {
      const more = items(unwrapPy(node.childForFieldName("right")!));
      if (!out || !more || node.childForFieldName("operator")?.text !== "+=") return undefined;
      out.push(...more);
    } else if (node.type === "call" && out) {
      const callee = node.childForFieldName("function")!;
      if (callee.type !== "attribute" || callee.childForFieldName("object")?.text !== name.text) continue;
      const method = callee.childForFieldName("attribute")!.text;
      const arg = callArgs(node).positional[0];
      if (method === "append" && arg) out.push(arg);
      else if (method === "extend" && arg && items(unwrapPy(arg))) out.push(...items(unwrapPy(arg))!);
      else if (method === "insert" || method === "extend" || method === "append") return undefined;
    }
  }
  return out;
}
