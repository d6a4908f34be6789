import { splitCommand } from "../../src/engine/split-command.js";
import type { PythonRuleContext } from "../../src/engine/python/context.js";
import { toolsLabel as inputLabel } from "../../src/engine/python/describe.js";
import type { PyNode } from "../../src/engine/python/parser.js";
import type { PythonModule } from "../../src/engine/python/module.js";
import { listElements, listHead, stringPieces, type Piece } from "../../src/engine/python/pieces.js";
import { abbreviatePy, callArgs, calleeOf, constantString, unwrapPy } from "../../src/engine/python/values.js";

const SUBPROCESS = new Set(["subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output", "subprocess.Popen"]);
const ALWAYS_SHELL = new Set(["os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput", "commands.getoutput", "asyncio.create_subprocess_shell", "pty.spawn_shell"]);
const SHELL_PROGRAM = /^(?:\/(?:usr\/)?bin\/)?(?:sh|bash|zsh|dash|ksh|fish|cmd(?:\.exe)?|powershell(?:\.exe)?|pwsh)$/i;

/** Text pre-filter: a Python file is parsed for this rule only if it mentions a shell-running API, or builds an argument list for a helper. */
export const MENTIONS_PY = /\b(?:subprocess|os\.system|os\.popen|system|popen|create_subprocess_shell|getoutput)\b|\[\s*["'][\w./-]+["']\s*,/;

/** The Python check of command-injection: `subprocess.*` with `shell=True`, `os.system`, `os.popen`, `asyncio.create_subprocess_shell`, `sh -c`. */
export function checkPython(ctx: PythonRuleContext): void {
  for (const call of ctx.module.nodesOf("call")) {
    const fn = ctx.module.qualifiedName(calleeOf(call)!) ?? "";
    if (ALWAYS_SHELL.has(fn)) checkShell(ctx, call, fn);
    else if (SUBPROCESS.has(fn)) checkSubprocess(ctx, call, fn);
    else if (call.childForFieldName("arguments")?.namedChildren.length) checkForwardedArgv(ctx, call);
  }
}

function checkShell(ctx: PythonRuleContext, call: PyNode, fn: string): void {
  const args = callArgs(call);
  const command = args.positional[0] ?? args.keywords.get("cmd") ?? args.keywords.get("command");
  if (!command || !ctx.taint.isTainted(command, "command")) return;
  ctx.report({
    node: call,
    severity: "critical",
    message:
      `${inputLabel(ctx.taint.sourcesOf(command, "command"))} reaches \`${calleeText(call)}(${abbreviatePy(command)})\`. ${fn} runs the command through a shell, ` +
      "so shell syntax in the input (`;`, `|`, `&&`, `$(...)`, backticks) runs arbitrary commands on the host with the server's privileges. " +
      "The arguments of a tool call are chosen by the model, and a prompt injection in any document, web page or issue the model reads can choose them.",
    ...remediation(ctx, call, fn, command),
  });
}

function checkSubprocess(ctx: PythonRuleContext, call: PyNode, fn: string): void {
  const args = callArgs(call);
  const command = args.positional[0] ?? args.keywords.get("args");
  if (!command) return;
  const shell = args.keywords.get("shell");
  const usesShell = !!shell && !["False", "None", "0", '""', "''"].includes(shell.text);
  if (usesShell) {
    if (!ctx.taint.isTainted(command, "command")) return;
    ctx.report({
      node: call,
      severity: "critical",
      message:
        `${inputLabel(ctx.taint.sourcesOf(command, "command"))} reaches \`${calleeText(call)}(${abbreviatePy(command)}, shell=True)\`: with \`shell=True\` the command is run by \`/bin/sh\`, ` +
        "so shell syntax in the input (`;`, `|`, `&&`, `$(...)`) runs arbitrary commands on the host with the server's privileges.",
      ...remediation(ctx, call, fn, command),
    });
    return;
  }
  checkArgv(ctx, call, fn, command);
}

/**
 * An argument list run without a shell: `["sh", "-c", script]` runs the script as shell code, and a first element from tool
 * input chooses the program. A list that arrives as a parameter is judged where it is built (see `checkForwardedArgv`).
 */
function checkArgv(ctx: PythonRuleContext, call: PyNode, fn: string, command: PyNode, via?: Via): boolean {
  const elements = listElements(command);
  if (elements) {
    const program = elements[0] ? constantString(elements[0], ctx.module) : undefined;
    if (program && SHELL_PROGRAM.test(program.trim())) {
      const flag = elements.findIndex((e) => /^(?:-c|\/c|-command)$/i.test(constantString(e, ctx.module) ?? ""));
      const script = flag >= 0 ? elements[flag + 1] : undefined;
      if (script && ctx.taint.isTainted(script, "command")) {
        ctx.report({
          node: call,
          severity: "critical",
          message:
            `${inputLabel(ctx.taint.sourcesOf(script, "command"))} reaches the script of \`${calleeText(call)}([${JSON.stringify(program)}, ${JSON.stringify(constantString(elements[flag]!, ctx.module))}, ${abbreviatePy(script)}])\`: ` +
            `${program} interprets it as shell code, so \`;\`, \`|\` or \`$(...)\` in the input run arbitrary commands on the host.` +
            viaText(ctx, call, via),
          remediation: remediation(ctx, call, fn, script).remediation,
        });
        return true;
      }
      return false;
    }
    if (elements[0] && program === undefined && elements[0].type !== "list_splat" && ctx.taint.isTainted(elements[0])) {
      reportProgramChoice(ctx, call, elements[0], via);
      return true;
    }
    return false;
  }
  if (!via && ctx.taint.isParameter(command)) return false;
  // `cmd = ["kubectl", ...]` then `cmd.extend(args)`: the program is still the literal head.
  const head = listHead(command);
  if (head) {
    if (constantString(head, ctx.module) !== undefined || !ctx.taint.isTainted(head)) return false;
    reportProgramChoice(ctx, call, head, via);
    return true;
  }
  if (constantString(command, ctx.module) === undefined && ctx.taint.isTainted(command)) {
    reportProgramChoice(ctx, call, command, via);
    return true;
  }
  return false;
}

/** Where a helper of the project runs what a call hands it. */
type Via = { sink: PyNode; path: string };

function viaText(ctx: PythonRuleContext, call: PyNode, via: Via | undefined): string {
  return via ? ` \`${calleeText(call)}\` runs it with \`${abbreviatePy(via.sink, 40)}\` (${via.path !== ctx.path ? `${via.path}, ` : ""}line ${via.sink.startPosition.row + 1}).` : "";
}

/** The argv a call runs without a shell: what a helper's parameter becomes. */
function argvOf(module: PythonModule, call: PyNode): PyNode | undefined {
  const fn = module.qualifiedName(calleeOf(call)!);
  if (!fn || !SUBPROCESS.has(fn)) return undefined;
  const args = callArgs(call);
  const shell = args.keywords.get("shell");
  if (shell && !["False", "None", "0", '""', "''"].includes(shell.text)) return undefined;
  return args.positional[0] ?? args.keywords.get("args");
}

/** An argument list built at a call and run by a helper of the project (`run_command(cmd)` → `subprocess.run(cmd_list)`). */
function checkForwardedArgv(ctx: PythonRuleContext, call: PyNode): void {
  for (const f of ctx.taint.forwardedArguments(call, argvOf)) {
    const fn = ctx.module.qualifiedName(f.sink.childForFieldName("function")!) ?? "subprocess.run";
    if (checkArgv(ctx, call, fn, f.argument, { sink: f.sink, path: f.sinkModule.path })) return;
  }
}

function reportProgramChoice(ctx: PythonRuleContext, call: PyNode, program: PyNode, via?: Via): void {
  ctx.report({
    node: call,
    message:
      `${inputLabel(ctx.taint.sourcesOf(program))} chooses the program that \`${calleeText(call)}(${abbreviatePy(program)}, ...)\` runs: ` +
      "whoever controls the tool arguments can run any executable on the host (`/bin/sh`, `curl … | sh`, an interpreter with inline code)." +
      viaText(ctx, call, via),
    remediation: [
      "Do not let tool input name the program. Declare the choice as a fixed set — a `Literal[\"status\", \"log\"]` or `Enum` parameter type — and map each value to a literal argument list:",
      "",
      "```python",
      'COMMANDS = {"status": ["git", "status"], "log": ["git", "log", "-n", "20"]}',
      `${calleeText(call)}(COMMANDS[action], check=True)`,
      "```",
    ].join("\n"),
  });
}

/** The command as an argv list for subprocess (see splitCommand), or the shell syntax that keeps it from being one. */
export function toArgv(pieces: Piece[], isInput: (node: PyNode) => boolean): { program: string; args: string[]; checks: string[] } | { shellSyntax: string } | undefined {
  const split = splitCommand(pieces, isInput);
  if (!split || "shellSyntax" in split) return split;
  const args = split.words.map((w) => renderWord(w, isInput));
  if (split.endAt !== undefined) args.splice(split.endAt, 0, pyString(split.endMarker));
  const checks = split.unguarded.map((i) => `if str(${renderWord(split.words[i]!, isInput)}).startswith("-"):\n    raise ValueError("invalid argument")`);
  return { program: pyString(split.program), args, checks };
}

/** A word as a list element: literal text quoted, tool input as it is (a string), any other value through `str()`. */
function renderWord(word: Piece[], isInput: (node: PyNode) => boolean): string {
  if (word.length === 1) {
    const only = word[0]!;
    if (!("expr" in only)) return pyString(only.literal);
    return isInput(only.node) || only.node.type === "string" ? only.expr : `str(${only.expr})`;
  }
  return 'f"' + word.map((p) => ("expr" in p ? `{${p.expr}}` : p.literal.replace(/[{}"]/g, (c) => (c === '"' ? '\\"' : c + c)))).join("") + '"';
}

function pyString(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

function calleeText(call: PyNode): string {
  return calleeOf(call)!.text.replace(/\s+/g, "");
}

/** A fix written for this call: the same command as an argument list run without a shell, when it can be split. */
function remediation(ctx: PythonRuleContext, call: PyNode, fn: string, command: PyNode): { remediation: string; fix?: { node: PyNode; replacement: string } } {
  const pieces = stringPieces(ctx.module, command);
  const rewrite = pieces ? toArgv(pieces, (n) => ctx.taint.isTainted(n)) : undefined;
  const keywords = [...callArgs(call).keywords.entries()].filter(([k]) => k !== "shell" && k !== "args" && k !== "cmd");
  if (rewrite && "program" in rewrite) {
    const argv = `[${[rewrite.program, ...rewrite.args].join(", ")}]`;
    const written = (shown: (v: PyNode) => string) => {
      const keep = keywords.map(([k, v]) => `${k}=${shown(v)}`);
      return fn === "asyncio.create_subprocess_shell"
        ? `await asyncio.create_subprocess_exec(${[rewrite.program, ...rewrite.args, ...keep].join(", ")})`
        : fn === "os.popen" || fn.startsWith("subprocess.getoutput") || fn.endsWith("getstatusoutput") || fn === "commands.getoutput"
          ? `subprocess.run(${argv}, capture_output=True, text=True, check=True).stdout`
          : fn === "os.system"
            ? `subprocess.run(${argv}, check=True)`
            : `${calleeText(call)}(${[argv, ...keep].join(", ")})`;
    };
    const inputs = rewrite.args.filter((a) => !a.startsWith("'") && !a.startsWith('f"') && !a.startsWith("str("));
    // The call rewritten in place: subprocess's own functions keep their name; the command is its first argument.
    const inPlace = SUBPROCESS.has(fn) && callArgs(call).positional[0]?.id === command.id && rewrite.checks.length === 0;
    return {
      remediation: remediationText(rewrite, inputs, [...rewrite.checks, written((v) => abbreviatePy(v, 40))].join("\n")),
      ...(inPlace ? { fix: { node: call, replacement: written((v) => v.text) } } : {}),
    };
  }
  return { remediation: otherRemediation(command, rewrite) };
}

function remediationText(rewrite: { args: string[]; checks: string[] }, inputs: string[], code: string): string {
  return [
    "Run the program directly, without a shell, and pass each value as its own list element:",
    "",
    "```python",
    code,
    "```",
    "",
    `Without a shell, \`;\`, \`|\` or \`$(...)\` in ${inputs.map((i) => `\`${i}\``).join(", ") || "the input"} are plain characters of one argument.` +
      (rewrite.args.includes("'--'") ? " The `'--'` ends option parsing, so a value starting with `-` cannot become an option." : "") +
      (rewrite.args.includes("'--end-of-options'") ? " `'--end-of-options'` ends option parsing, so a value starting with `-` cannot become an option, and it stays a revision (git reads what follows `--` as paths)." : "") +
      (rewrite.checks.length > 0 ? " An option follows the input (or the program has no end-of-options marker), so a leading `-` is refused instead." : "") +
      ' Also constrain the input: a `Literal["a", "b"]` parameter type, or a check such as `re.fullmatch(r"[\\w./-]+", value)`.',
  ].join("\n");
}

function otherRemediation(command: PyNode, rewrite: { shellSyntax: string } | undefined): string {
  if (rewrite && "shellSyntax" in rewrite) {
    return [
      `This command line uses shell syntax (\`${rewrite.shellSyntax}\`), which an argument list cannot express. Run each program with \`subprocess.run([program, arg1, ...])\` (no \`shell=True\`) and do the piping, redirection or sequencing in Python, passing tool input only as separate list elements.`,
      'Constrain the input as well: a `Literal[...]` parameter type, or `re.fullmatch(r"[\\w./-]+", value)`.',
    ].join("\n\n");
  }
  return [
    `\`${abbreviatePy(command)}\` is run by a shell and carries tool input. If it is a fixed program with arguments, run \`subprocess.run(["program", arg1, arg2], check=True)\` without \`shell=True\`, passing each tool-input value as its own list element (after \`"--"\` where the program accepts it).`,
    "If tool input decides the whole command, do not run it: declare the operations the tool supports as a fixed set (a `Literal[...]` or `Enum` parameter) and map each to a literal argument list. If running arbitrary commands is the purpose of the tool, say so in its description, have the client confirm each call with the user, and run it in a sandbox rather than on the host. As a last resort, `shlex.quote()` each value interpolated into the command.",
  ].join("\n\n");
}
